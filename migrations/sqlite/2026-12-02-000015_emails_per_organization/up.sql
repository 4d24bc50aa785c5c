-- An email is unique within an organization, not across organizations: one organization must
-- not learn whether an address is registered in another (409), nor keep another from adding
-- that person. Sign-in with an address held in several organizations: see the README.
-- (Rebuilt per SQLite's documented procedure; repeating it after a crash is harmless.)
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'shopper')),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
INSERT INTO users_rebuilt
    SELECT id, organization_id, email, display_name, role, password_hash, active, version,
           created_at, updated_at, last_login_at
    FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_org_id ON users (organization_id, id);
CREATE UNIQUE INDEX users_org_email ON users (organization_id, email);
CREATE INDEX users_email ON users (email);
COMMIT;
PRAGMA foreign_keys = ON;
