-- An email is unique within an organization, not across organizations: one organization must
-- not learn whether an address is registered in another (409), nor keep another from adding
-- that person. Sign-in with an address held in several organizations: see the README.
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_org_email ON users (organization_id, email);
CREATE INDEX users_email ON users (email);
