-- Attachment ids are chosen by the phone, so they are unique within an organization only:
-- another organization's id must behave exactly like an unknown one (a shared key answered
-- 409 and told one organization that the id existed in another).
CREATE TABLE attachments_by_organization (
    id TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    item_key TEXT,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    object_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, id)
);
INSERT INTO attachments_by_organization
    SELECT id, organization_id, submission_id, shopper_id, item_key, kind, content_type,
           size_bytes, sha256, object_path, created_at
    FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_by_organization RENAME TO attachments;
CREATE INDEX attachments_submission ON attachments (submission_id);
