-- Partnership architecture: charters (versioned, signed by both sides), gate reviews,
-- decision trees and their evaluations. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0003_partnerships.sql (same tables, columns and index names).

CREATE TABLE charters (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    title TEXT NOT NULL,
    version BIGINT NOT NULL,
    phase TEXT,
    status TEXT NOT NULL,
    lessons TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ
);
CREATE INDEX charters_partner ON charters (partner_id);

-- Each version's content and signatures. A version signed by both sides is never changed;
-- an amendment is the next version.
CREATE TABLE charter_versions (
    charter_id TEXT NOT NULL REFERENCES charters (id),
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    vendor_signed_by TEXT REFERENCES users (id),
    vendor_signed_at TIMESTAMPTZ,
    partner_signed_by TEXT REFERENCES users (id),
    partner_signed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (charter_id, version)
);

CREATE TABLE gate_reviews (
    id TEXT PRIMARY KEY,
    charter_id TEXT NOT NULL REFERENCES charters (id),
    phase TEXT NOT NULL,
    measured TEXT NOT NULL,
    passed BIGINT NOT NULL,
    missed TEXT NOT NULL,
    decision TEXT NOT NULL,
    path TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX gate_reviews_charter ON gate_reviews (charter_id, at);

-- Programs adjust the built-in trees by storing their own under the same key.
CREATE TABLE decision_trees (
    key TEXT PRIMARY KEY,
    tree TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE tree_evaluations (
    id TEXT PRIMARY KEY,
    charter_id TEXT REFERENCES charters (id),
    partner_id TEXT REFERENCES partners (id),
    tree_key TEXT NOT NULL,
    answers TEXT NOT NULL,
    path TEXT NOT NULL,
    outcome TEXT,
    actor_name TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tree_evaluations_charter ON tree_evaluations (charter_id);
CREATE INDEX tree_evaluations_partner ON tree_evaluations (partner_id);
