-- A response that shows a secret once (a new API key, a generated password, tokens) is never
-- kept: only the fact that the request was carried out ('withheld', with its status and
-- Location), so a resend is told so instead of being shown the secret again. Responses kept
-- before this rule may hold such secrets in clear: they are dropped.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'withheld')),
    status INTEGER,
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
