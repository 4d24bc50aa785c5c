-- Service recovery (PRODUCT.md section 9): corrective actions on a location × standard gap,
-- their history, the training held, and the verifying re-shops (ordinary assignments linked
-- here, so nothing on the assignment tells a shopper which visit is the check).
CREATE TABLE corrective_actions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    location_id TEXT NOT NULL REFERENCES locations (id),
    standard_code TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('training', 'coaching', 'process', 'staffing', 'other')),
    status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'awaiting_verification', 'verified', 'not_verified', 'cancelled')),
    owner_id TEXT NOT NULL REFERENCES users (id),
    due_date DATE NOT NULL,
    plan TEXT NOT NULL,
    reshop_count INTEGER NOT NULL CHECK (reshop_count >= 1),
    -- The standard's target and the baseline (approved visits over the window before opening),
    -- frozen when the action is opened.
    target DOUBLE PRECISION NOT NULL,
    baseline_from DATE NOT NULL,
    baseline_to DATE NOT NULL,
    baseline_n BIGINT NOT NULL,
    baseline_units BIGINT NOT NULL,
    -- Set when marked done; each time it is marked done a new round of re-shops is planned.
    done_at TIMESTAMP,
    round INTEGER NOT NULL,
    -- The decision of the last round: mean compliance on the standard over its re-shops.
    verified_compliance DOUBLE PRECISION,
    decided_at TIMESTAMP,
    revision INTEGER NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX corrective_actions_org_id ON corrective_actions (organization_id, id);
CREATE INDEX corrective_actions_org_place ON corrective_actions (organization_id, location_id, standard_code);

CREATE TABLE corrective_action_events (
    id TEXT PRIMARY KEY NOT NULL,
    action_id TEXT NOT NULL REFERENCES corrective_actions (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    change TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_id TEXT,
    -- Why, or which fields changed.
    note TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX corrective_action_events_action ON corrective_action_events (action_id, at);

CREATE TABLE training_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    action_id TEXT NOT NULL REFERENCES corrective_actions (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    held_on DATE NOT NULL,
    -- JSON arrays: standard codes and protocol names of the published book.
    standards TEXT NOT NULL,
    protocols TEXT NOT NULL,
    attendees INTEGER NOT NULL CHECK (attendees >= 0),
    notes TEXT NOT NULL,
    recorded_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX training_sessions_action ON training_sessions (action_id, held_on);

CREATE TABLE verification_reshops (
    assignment_id TEXT PRIMARY KEY NOT NULL REFERENCES assignments (id),
    action_id TEXT NOT NULL REFERENCES corrective_actions (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    round INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'approved', 'replaced', 'cancelled')),
    -- Compliance on the action's standard, once approved (none when the visit did not observe it).
    compliance DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX verification_reshops_action ON verification_reshops (action_id, round);
