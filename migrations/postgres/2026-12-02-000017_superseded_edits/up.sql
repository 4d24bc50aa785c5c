-- A shopper's resubmission (after a return) supersedes the reviewer's earlier edits of the
-- items it answers again: the edit stays in the history, marked superseded, and no longer
-- counts in the answers as scored. Edits made before this rule are marked the same way, and
-- the server rescores the visits they touch right after this migration.
ALTER TABLE submission_edits ADD COLUMN superseded_at TIMESTAMP;
UPDATE submission_edits
SET superseded_at = s.submitted_at
FROM submissions s
WHERE s.id = submission_edits.submission_id
  AND s.submitted_at IS NOT NULL
  AND submission_edits.edited_at < s.submitted_at
  AND (s.content::jsonb -> 'answers') ? submission_edits.item_key;
INSERT INTO pending_maintenance (task) VALUES ('rescore_superseded_edits');
