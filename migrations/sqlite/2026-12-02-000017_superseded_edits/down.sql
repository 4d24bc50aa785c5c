DELETE FROM pending_maintenance WHERE task = 'rescore_superseded_edits';
ALTER TABLE submission_edits DROP COLUMN superseded_at;
