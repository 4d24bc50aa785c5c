-- Mystery-shop assignments and the history of their status changes.
CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    checklist_version_id TEXT NOT NULL REFERENCES checklist_versions (id),
    channel TEXT NOT NULL,
    segment TEXT NOT NULL,
    scenario TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    fee_cents BIGINT NOT NULL,
    currency TEXT NOT NULL,
    shopper_id TEXT REFERENCES users (id),
    status TEXT NOT NULL,
    wave_id TEXT,
    version INTEGER NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    check_in_at TIMESTAMP,
    check_in_latitude DOUBLE PRECISION,
    check_in_longitude DOUBLE PRECISION,
    check_in_accuracy_m DOUBLE PRECISION,
    check_in_device_time TIMESTAMP,
    check_in_distance_m DOUBLE PRECISION
);
CREATE INDEX assignments_org_status ON assignments (organization_id, status, window_end);
CREATE INDEX assignments_shopper ON assignments (shopper_id, status);
CREATE INDEX assignments_location_shopper ON assignments (location_id, shopper_id, submitted_at);
CREATE INDEX assignments_org_updated ON assignments (organization_id, updated_at);
CREATE INDEX assignments_wave ON assignments (wave_id);

CREATE TABLE assignment_events (
    id TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT,
    shopper_id TEXT,
    reason TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX assignment_events_assignment ON assignment_events (assignment_id, at);
