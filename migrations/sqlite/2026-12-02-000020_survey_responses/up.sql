-- Survey links, responses and their roll-ups (PRODUCT.md section 8).
--
-- A survey link is a public address (printed as a QR code at a point of sale or on a receipt):
-- its token is not a secret and is stored as it is, so the code can be printed again. It only
-- lets someone answer that survey, at a limited rate.
CREATE TABLE survey_links (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    instrument_version_id TEXT NOT NULL REFERENCES survey_instrument_versions (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    channel TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_links_org ON survey_links (organization_id, id);

-- One-time invitation codes (post-sale research), imported as a list. A code is a secret until
-- spent: only its SHA-256 is kept. Codes are unique across the service.
CREATE TABLE survey_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    instrument_version_id TEXT NOT NULL REFERENCES survey_instrument_versions (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    channel TEXT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    spent_at TIMESTAMP,
    response_id TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_invitations_org ON survey_invitations (organization_id, id);

-- Customer responses (through a link) and management responses (for a scope and period).
-- `id` is the client's response id for a customer response, which makes a resend harmless.
-- `location_id` is '' for a management response about a region or the organization, and
-- `region` is '' for one about the organization.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    audience TEXT NOT NULL CHECK (audience IN ('customer', 'management')),
    instrument_version_id TEXT NOT NULL REFERENCES survey_instrument_versions (id),
    link_id TEXT REFERENCES survey_links (id),
    invitation_id TEXT REFERENCES survey_invitations (id),
    respondent_id TEXT,
    location_id TEXT NOT NULL,
    region TEXT NOT NULL,
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    language TEXT NOT NULL,
    answers TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    flags TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_responses_org ON survey_responses (organization_id, audience, received_at);

-- Sums per subject (`standard:CODE`, `dimension:NAME`, `weighted_gap5`, `channel:NAME`) and
-- cell, in millionths of a level (see src/surveys/responses.rs): the five-gaps report reads
-- these, never the responses.
CREATE TABLE survey_rollups (
    organization_id TEXT NOT NULL,
    audience TEXT NOT NULL,
    -- 'day' and 'month' for customers (each response is in both), 'span' for management.
    grain TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    location_id TEXT NOT NULL,
    region TEXT NOT NULL,
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    responses BIGINT NOT NULL,
    n_expectation BIGINT NOT NULL,
    sum_expectation BIGINT NOT NULL,
    sumsq_expectation BIGINT NOT NULL,
    n_perception BIGINT NOT NULL,
    sum_perception BIGINT NOT NULL,
    sumsq_perception BIGINT NOT NULL,
    n_difference BIGINT NOT NULL,
    sum_difference BIGINT NOT NULL,
    sumsq_difference BIGINT NOT NULL,
    PRIMARY KEY (organization_id, audience, grain, subject_key, location_id, region, segment, channel, period_start, period_end)
);
