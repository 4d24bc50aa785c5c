-- The outbox (PRODUCT.md section 10): every event is written in the transaction of the change
-- that causes it. The feed reads in (`tx_order`, `seq`) order. SQLite has one writer at a time,
-- so `seq` alone is commit order and `tx_order` stays 0.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    event_type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    payload TEXT NOT NULL,
    tx_order BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_feed ON events (organization_id, tx_order, seq);
CREATE INDEX events_order ON events (tx_order, seq);

-- Webhook endpoints (PRODUCT.md section 10). The signing secret is needed in clear to sign, so
-- it is kept encrypted with the server's secret key (XChaCha20-Poly1305), never in clear. During
-- a rotation the previous secret also signs until `previous_secret_until`.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON array of event types; empty means every type.
    event_types TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_until TIMESTAMP,
    -- Since when every attempt has failed (NULL after a success); the endpoint is disabled
    -- when this lasts too long.
    failing_since TIMESTAMP,
    disabled_reason TEXT,
    version INTEGER NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id, id);

-- One event to one endpoint. Every attempt sends the event's id as `webhook-id`. A worker
-- claims a due delivery by setting `lease_until`; a worker that dies mid-delivery leaves a
-- lease that runs out, and the delivery is tried again (at least once).
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_status INTEGER,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

-- The delivery log: one row per attempt, with what the receiver answered (an excerpt).
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    attempt INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms INTEGER NOT NULL,
    error TEXT,
    response_excerpt TEXT
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- How far the dispatcher has fanned events out to endpoints: a position in the feed order.
CREATE TABLE outbox_cursors (
    name TEXT PRIMARY KEY NOT NULL,
    tx_order BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
INSERT INTO outbox_cursors (name, tx_order, seq) VALUES ('webhooks', 0, 0);
