-- Foundation: programs, tiers, partners, accounts, users, credentials, audit.
-- SQLite flavour. Keep in step with migrations/postgres/0001_foundation.sql: same tables,
-- columns, constraints and index names; only the column types differ (TEXT timestamps here).

CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT,
    currency TEXT NOT NULL,
    coverage_gaps TEXT NOT NULL,
    economic_model TEXT,
    partner_value TEXT NOT NULL,
    sourced_arr_target_minor INTEGER NOT NULL,
    influenced_arr_target_minor INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX programs_name_live ON programs (lower(name)) WHERE archived_at IS NULL;
CREATE INDEX programs_sort_name ON programs (name, id);

CREATE TABLE tiers (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    rank INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    benefits TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX tiers_rank_live ON tiers (program_id, rank) WHERE archived_at IS NULL;
CREATE UNIQUE INDEX tiers_name_live ON tiers (program_id, lower(name)) WHERE archived_at IS NULL;

CREATE TABLE partners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    web_domain TEXT NOT NULL,
    partner_type TEXT NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    tier_id TEXT NOT NULL REFERENCES tiers (id),
    status TEXT NOT NULL,
    country TEXT NOT NULL,
    regions TEXT NOT NULL,
    verticals TEXT NOT NULL,
    joined_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX partners_domain_live ON partners (web_domain) WHERE archived_at IS NULL;
CREATE INDEX partners_program ON partners (program_id);
CREATE INDEX partners_tier ON partners (tier_id);
CREATE INDEX partners_sort_name ON partners (name, id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    password_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT,
    CONSTRAINT users_partner_matches_role
        CHECK ((role IN ('partner_admin', 'partner_rep')) = (partner_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_partner ON users (partner_id);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    web_domain TEXT,
    country TEXT NOT NULL,
    industry TEXT,
    direct_owner_id TEXT REFERENCES users (id),
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX accounts_domain_live ON accounts (web_domain)
    WHERE archived_at IS NULL AND web_domain IS NOT NULL;
CREATE INDEX accounts_owner ON accounts (direct_owner_id);
CREATE INDEX accounts_sort_name ON accounts (name, id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    outcome TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_client ON login_attempts (client, at);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_kind, entity_id, at);
CREATE INDEX audit_events_partner ON audit_events (partner_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);
