CREATE TABLE attachments_by_id (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    item_key TEXT,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO attachments_by_id
    SELECT id, organization_id, submission_id, shopper_id, item_key, kind, content_type,
           size_bytes, sha256, object_path, created_at
    FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_by_id RENAME TO attachments;
CREATE INDEX attachments_submission ON attachments (submission_id);
