-- The field workforce (PRODUCT.md section 11): what shoppers spend and are paid, the quizzes
-- that certify them, and the roll-up their reputation is read from.

-- The cap on a shop's reimbursements, in the assignment's currency's minor unit: the
-- organization's default, copied onto each assignment when it is planned.
ALTER TABLE organizations ADD COLUMN reimbursement_cap_minor BIGINT NOT NULL DEFAULT 5000;
ALTER TABLE assignments ADD COLUMN reimbursement_cap_minor BIGINT NOT NULL DEFAULT 5000;
-- A certification the job requires beyond its checklist's (a quiz; checked in code).
ALTER TABLE assignments ADD COLUMN required_quiz_id TEXT;
-- The reviewer's grade of the shopper's work, 1 to 5 (checked in code).
ALTER TABLE submissions ADD COLUMN grade INTEGER;

-- A shopper's expense claims on a submission, one row per line of the submission's `expenses`,
-- decided by the reviewer with the review.
CREATE TABLE reimbursements (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    line_key TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('meal', 'purchase', 'parking', 'travel', 'other')),
    description TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    receipt_attachment_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'approved', 'refused')),
    approved_minor BIGINT CHECK (approved_minor >= 0),
    decision_note TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (submission_id, line_key)
);

CREATE TABLE payment_batches (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'cancelled')),
    note TEXT,
    -- The payment provider's reference, given when it is marked paid.
    reference TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP,
    paid_by TEXT,
    cancelled_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX payment_batches_org ON payment_batches (organization_id, id);

-- What the organization owes a shopper: a shop's fee and its approved reimbursements when the
-- shop is approved; a negative claw-back line when a paid shop is rejected later. A line is in
-- at most one batch; a line dropped before payment is voided, never deleted.
CREATE TABLE payables (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'reimbursement', 'clawback')),
    reimbursement_id TEXT REFERENCES reimbursements (id),
    -- The paid line a claw-back takes back; at most one claw-back per line.
    reverses_id TEXT UNIQUE REFERENCES payables (id),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    earned_at TIMESTAMP NOT NULL,
    batch_id TEXT REFERENCES payment_batches (id),
    voided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payables_org_batch ON payables (organization_id, batch_id, earned_at);
CREATE INDEX payables_shopper ON payables (shopper_id, earned_at);
CREATE INDEX payables_submission ON payables (submission_id);
CREATE INDEX payables_batch ON payables (batch_id);

-- Certification quizzes, versioned like the other documents (drafts edited in place,
-- published versions never change).
CREATE TABLE quizzes (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX quizzes_org ON quizzes (organization_id, id);

CREATE TABLE quiz_versions (
    id TEXT PRIMARY KEY NOT NULL,
    quiz_id TEXT NOT NULL REFERENCES quizzes (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    revision INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- The checklist every job of which requires this certification ('' for none).
    checklist_id TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    published_by TEXT,
    UNIQUE (quiz_id, version)
);
CREATE UNIQUE INDEX quiz_versions_one_draft ON quiz_versions (quiz_id) WHERE status = 'draft';

CREATE TABLE quiz_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    quiz_id TEXT NOT NULL REFERENCES quizzes (id),
    quiz_version_id TEXT NOT NULL REFERENCES quiz_versions (id),
    shopper_id TEXT NOT NULL REFERENCES users (id),
    answers TEXT NOT NULL,
    correct INTEGER NOT NULL,
    total INTEGER NOT NULL,
    passed BOOLEAN NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX quiz_attempts_shopper ON quiz_attempts (shopper_id, quiz_id);
CREATE INDEX quiz_attempts_quiz ON quiz_attempts (quiz_id, at);

-- Per shopper, the counts their reputation is read from, kept up to date on every change.
CREATE TABLE shopper_reputation (
    shopper_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- First submissions, and of them those received within a day of the visit's end.
    submitted BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    -- Assignments that expired while the shopper held them.
    expired BIGINT NOT NULL,
    -- Review decisions: returns, approvals, rejections (a late rejection moves an approval).
    returned BIGINT NOT NULL,
    approved BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    grade_sum BIGINT NOT NULL,
    graded BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX shopper_reputation_org ON shopper_reputation (organization_id);

-- Reputation of the work done before this migration: counted by the server from the history.
INSERT INTO pending_maintenance (task) VALUES ('rebuild_reputation');
