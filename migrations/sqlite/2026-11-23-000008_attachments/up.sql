-- Evidence files of submissions. The bytes live in the object store; this is what is known
-- of them. Ids are chosen by the phone, so uploads can be retried.
CREATE TABLE attachments (
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
CREATE INDEX attachments_submission ON attachments (submission_id);
