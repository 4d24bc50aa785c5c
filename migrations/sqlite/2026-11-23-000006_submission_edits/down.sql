DROP TABLE submission_edits;
