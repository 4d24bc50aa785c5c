DROP TABLE survey_rollups;
DROP TABLE survey_responses;
DROP TABLE survey_invitations;
DROP TABLE survey_links;
