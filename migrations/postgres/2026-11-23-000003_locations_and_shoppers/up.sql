-- Locations shopped, and what the program knows about its shoppers.
CREATE TABLE locations (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    segment TEXT NOT NULL CHECK (segment IN ('b2c', 'b2b')),
    address TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    geofence_radius_m INTEGER NOT NULL,
    time_zone TEXT NOT NULL,
    -- JSON array of channel names.
    channels TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organization_id, code)
);
CREATE INDEX locations_org_id ON locations (organization_id, id);
CREATE INDEX locations_org_region ON locations (organization_id, region);

CREATE TABLE shopper_profiles (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    home_region TEXT,
    -- JSON arrays.
    languages TEXT NOT NULL,
    segments TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);

-- Locations where a shopper is known to staff: never eligible there.
CREATE TABLE shopper_exclusions (
    shopper_id TEXT NOT NULL REFERENCES users (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    reason TEXT,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shopper_id, location_id)
);
CREATE INDEX shopper_exclusions_location ON shopper_exclusions (location_id);
