-- Standards books and checklists: versioned documents. A draft is editable; a published version
-- is immutable. Content is JSON text (the same on both backends).
CREATE TABLE standards_books (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX standards_books_org ON standards_books (organization_id, id);

CREATE TABLE standards_book_versions (
    id TEXT PRIMARY KEY NOT NULL,
    book_id TEXT NOT NULL REFERENCES standards_books (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    revision INTEGER NOT NULL,
    name TEXT NOT NULL,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    published_by TEXT,
    UNIQUE (book_id, version)
);
-- At most one draft per book, whatever the races.
CREATE UNIQUE INDEX standards_book_versions_one_draft ON standards_book_versions (book_id) WHERE status = 'draft';
CREATE INDEX standards_book_versions_hash ON standards_book_versions (organization_id, content_hash);

CREATE TABLE checklists (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX checklists_org ON checklists (organization_id, id);

CREATE TABLE checklist_versions (
    id TEXT PRIMARY KEY NOT NULL,
    checklist_id TEXT NOT NULL REFERENCES checklists (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    revision INTEGER NOT NULL,
    name TEXT NOT NULL,
    book_version_id TEXT NOT NULL REFERENCES standards_book_versions (id),
    channel TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    published_by TEXT,
    UNIQUE (checklist_id, version)
);
CREATE UNIQUE INDEX checklist_versions_one_draft ON checklist_versions (checklist_id) WHERE status = 'draft';
