-- Deal registration and channel conflict. SQLite flavour; keep in step with
-- migrations/postgres/0002_registrations.sql (same tables, columns and index names).

-- A normalised company name, so account matching finds candidates by index.
ALTER TABLE accounts ADD COLUMN name_key TEXT;
ALTER TABLE accounts ADD COLUMN name_block TEXT;
CREATE INDEX accounts_match ON accounts (country, name_block);

-- Each program's registration policy, versioned; decisions record the version they used.
CREATE TABLE program_policies (
    program_id TEXT NOT NULL REFERENCES programs (id),
    version INTEGER NOT NULL,
    registration TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (program_id, version)
);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    product TEXT,
    est_arr_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    expected_close_on TEXT,
    submitted_by TEXT REFERENCES users (id),
    submitted_at TEXT NOT NULL,
    approved_at TEXT,
    expires_at TEXT,
    renewals INTEGER NOT NULL,
    last_activity_at TEXT,
    sla_due_at TEXT,
    sla_missed_at TEXT,
    closed_at TEXT,
    possible_duplicate_of TEXT REFERENCES accounts (id),
    policy_version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One holder per account: at most one pending or approved registration. The database
-- enforces it, so concurrent submissions (from any number of instances) cannot both win.
CREATE UNIQUE INDEX registrations_one_holder ON registrations (account_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX registrations_partner ON registrations (partner_id, status);
CREATE INDEX registrations_account ON registrations (account_id);
CREATE INDEX registrations_status_expiry ON registrations (status, expires_at);

CREATE TABLE registration_activities (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    notes TEXT,
    user_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX registration_activities_registration ON registration_activities (registration_id, occurred_at);

-- Direct sales activity on accounts (for the direct-engagement conflict rule).
CREATE TABLE direct_activities (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    notes TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX direct_activities_account ON direct_activities (account_id, occurred_at);

CREATE TABLE engagement_requests (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT REFERENCES users (id),
    decision_reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX engagement_requests_registration ON engagement_requests (registration_id);
CREATE INDEX engagement_requests_partner ON engagement_requests (partner_id, status);

CREATE TABLE conflict_cases (
    id TEXT PRIMARY KEY,
    program_id TEXT REFERENCES programs (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    registration_id TEXT REFERENCES registrations (id),
    partner_id TEXT REFERENCES partners (id),
    opened_by_kind TEXT NOT NULL,
    opened_by TEXT REFERENCES users (id),
    reason TEXT NOT NULL,
    level INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    reasoning TEXT,
    resolved_at TEXT,
    resolved_by TEXT REFERENCES users (id),
    policy_version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX conflict_cases_account ON conflict_cases (account_id);
CREATE INDEX conflict_cases_partner ON conflict_cases (partner_id);
CREATE INDEX conflict_cases_open ON conflict_cases (status, due_at);
CREATE INDEX conflict_cases_registration ON conflict_cases (registration_id);

CREATE TABLE conflict_comments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES conflict_cases (id),
    author_id TEXT REFERENCES users (id),
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX conflict_comments_case ON conflict_comments (case_id, created_at);

-- Every rule that fired: which rule, what it decided, why, under which policy version,
-- about which records.
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    rule TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    records TEXT NOT NULL,
    actor_name TEXT NOT NULL
);
CREATE INDEX decisions_entity ON decisions (entity_kind, entity_id, at);
CREATE INDEX decisions_partner ON decisions (partner_id);

-- Domain events, written in the transaction of the change, delivered later (webhooks).
CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX outbox_events_undelivered ON outbox_events (delivered_at, created_at);

-- Scheduled work shared by every instance: each (kind, run_at) exists once and runs once.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    run_at TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    result TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX jobs_once ON jobs (kind, run_at);
CREATE INDEX jobs_due ON jobs (status, run_at);
