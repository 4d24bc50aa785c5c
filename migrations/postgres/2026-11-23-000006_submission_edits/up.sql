-- Reviewers' edits of answers. The shopper's original stays in submissions.content; every edit
-- is kept here (who, when, old, new, why) and the scores are recomputed from the edited answers.
CREATE TABLE submission_edits (
    id TEXT PRIMARY KEY NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    item_key TEXT NOT NULL,
    old_answer TEXT,
    new_answer TEXT NOT NULL,
    reason TEXT NOT NULL,
    edited_by TEXT,
    edited_at TIMESTAMP NOT NULL
);
CREATE INDEX submission_edits_submission ON submission_edits (submission_id, edited_at);
