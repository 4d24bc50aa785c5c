DROP TABLE assignment_events;
DROP TABLE assignments;
