-- Survey instruments (PRODUCT.md section 8): the third kind of versioned document, kept like
-- standards books and checklists (see src/versioning.rs). A version is pinned to a published
-- standards-book version (its items name standard codes) and has an audience.
CREATE TABLE survey_instruments (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_instruments_org ON survey_instruments (organization_id, id);

CREATE TABLE survey_instrument_versions (
    id TEXT PRIMARY KEY NOT NULL,
    instrument_id TEXT NOT NULL REFERENCES survey_instruments (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    revision INTEGER NOT NULL,
    name TEXT NOT NULL,
    book_version_id TEXT NOT NULL REFERENCES standards_book_versions (id),
    audience TEXT NOT NULL CHECK (audience IN ('customer', 'management')),
    content TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    published_by TEXT,
    UNIQUE (instrument_id, version)
);
CREATE UNIQUE INDEX survey_instrument_versions_one_draft ON survey_instrument_versions (instrument_id) WHERE status = 'draft';
