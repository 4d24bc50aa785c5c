-- A shopper's filled checklist for an assignment, keyed by the UUID the phone chose.
CREATE TABLE submissions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    assignment_id TEXT NOT NULL UNIQUE REFERENCES assignments (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'rejected')),
    -- The content as the shopper last sent it (JSON), and its digest for idempotent retries.
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    visit_start TIMESTAMP,
    visit_end TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    clock_skew_seconds BIGINT,
    flags TEXT NOT NULL,
    scores TEXT,
    raw_score DOUBLE PRECISION,
    visit_score DOUBLE PRECISION,
    critical_failure BOOLEAN NOT NULL DEFAULT FALSE,
    review TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    reviewed_at TIMESTAMP,
    reviewed_by TEXT
);
CREATE INDEX submissions_review_queue ON submissions (organization_id, status, submitted_at);
CREATE INDEX submissions_shopper ON submissions (shopper_id, submitted_at);
