DROP TABLE survey_instrument_versions;
DROP TABLE survey_instruments;
