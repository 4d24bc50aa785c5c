-- What managers believe a location (or, without a location, the whole organization) delivers on
-- a standard over a period, to set beside what the shoppers saw.
CREATE TABLE self_assessments (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    location_id TEXT REFERENCES locations (id),
    standard_code TEXT NOT NULL,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    believed DOUBLE PRECISION NOT NULL CHECK (believed >= 0 AND believed <= 1),
    note TEXT,
    recorded_by TEXT,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX self_assessments_scope ON self_assessments (organization_id, standard_code, location_id);
