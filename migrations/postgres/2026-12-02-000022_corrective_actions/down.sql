DROP TABLE verification_reshops;
DROP TABLE training_sessions;
DROP TABLE corrective_action_events;
DROP TABLE corrective_actions;
