-- Account mapping: a partnership between the vendor and one partner to compare accounts
-- (dual opt-in, each side's sharing per population), the partner's uploaded CRM export,
-- the matches found and the decisions people took on uncertain ones. A partner's rows and
-- matches are deleted when it asks or the partnership ends. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0032_account_mapping.sql.
CREATE TABLE mapping_partnerships (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    status TEXT NOT NULL,
    vendor_accepted_at TIMESTAMPTZ,
    vendor_accepted_by TEXT,
    partner_accepted_at TIMESTAMPTZ,
    partner_accepted_by TEXT,
    ended_at TIMESTAMPTZ,
    ended_by TEXT,
    -- A name match at or above the threshold counts; between the floor and it, a person
    -- decides (percent).
    threshold_pct BIGINT NOT NULL,
    floor_pct BIGINT NOT NULL,
    -- JSON: per population, the fields the side shares (none: counts only).
    vendor_sharing TEXT NOT NULL,
    partner_sharing TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One live (proposed or active) mapping partnership per partner.
CREATE UNIQUE INDEX mapping_partnerships_one_live ON mapping_partnerships (partner_id) WHERE status <> 'ended';
CREATE INDEX mapping_partnerships_partner ON mapping_partnerships (partner_id, created_at);

-- The partner's current upload (a new one replaces it).
CREATE TABLE mapping_uploads (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES mapping_partnerships (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mapping_json TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mapping_uploads_partnership ON mapping_uploads (partnership_id);
CREATE INDEX mapping_uploads_partner ON mapping_uploads (partner_id);

CREATE TABLE mapping_rows (
    id TEXT PRIMARY KEY,
    upload_id TEXT NOT NULL REFERENCES mapping_uploads (id),
    partnership_id TEXT NOT NULL REFERENCES mapping_partnerships (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    row_no BIGINT NOT NULL,
    external_id TEXT,
    name TEXT NOT NULL,
    web_domain TEXT,
    country TEXT,
    population TEXT NOT NULL
);
CREATE INDEX mapping_rows_upload ON mapping_rows (upload_id);
CREATE INDEX mapping_rows_partnership ON mapping_rows (partnership_id);
CREATE INDEX mapping_rows_partner ON mapping_rows (partner_id);

CREATE TABLE mapping_matches (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES mapping_partnerships (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    row_id TEXT NOT NULL REFERENCES mapping_rows (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    vendor_population TEXT NOT NULL,
    partner_population TEXT NOT NULL,
    method TEXT NOT NULL,
    confidence BIGINT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX mapping_matches_partnership ON mapping_matches (partnership_id, state);
CREATE INDEX mapping_matches_partner ON mapping_matches (partner_id);
CREATE INDEX mapping_matches_row ON mapping_matches (row_id);
CREATE INDEX mapping_matches_account ON mapping_matches (account_id);

-- A person's verdict on an uncertain pair, remembered across uploads: the vendor account
-- and the partner's account by its normalised key (name, country, domain).
CREATE TABLE mapping_decisions (
    partnership_id TEXT NOT NULL REFERENCES mapping_partnerships (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    row_key TEXT NOT NULL,
    -- `confirmed` or `rejected`.
    verdict TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, account_id, row_key)
);
CREATE INDEX mapping_decisions_account ON mapping_decisions (account_id);

-- The column mapping a partner confirmed last, per source of file.
CREATE TABLE mapping_column_maps (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    source TEXT NOT NULL,
    mapping_json TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partner_id, source)
);
