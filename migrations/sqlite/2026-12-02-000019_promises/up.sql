-- Promises (PRODUCT.md section 8): what marketing tells customers about a standard, with the
-- level promised. Gap 4 (communication) is the highest promised level valid in a report's
-- period minus what was delivered. `channels` is a JSON array of channel names.
CREATE TABLE promises (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    standard_code TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('advertisement', 'web_site', 'brochure', 'contract', 'social_media', 'other')),
    channels TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    promised_level DOUBLE PRECISION NOT NULL CHECK (promised_level >= 0 AND promised_level <= 1),
    revision INTEGER NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX promises_org_standard ON promises (organization_id, standard_code, valid_from);
CREATE INDEX promises_org_id ON promises (organization_id, id);
