DROP TABLE self_assessments;
