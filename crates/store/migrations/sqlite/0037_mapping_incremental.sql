-- Account mapping, incremental: a version of the vendor's accounts as matching sees them
-- (bumped by every insert, delete or change of a name, web domain, country or archiving),
-- so a server keeps its built matcher while the version holds and rebuilds it when it
-- moves; and introductions requested from co-sell suggestions. SQLite flavour; keep in step
-- with migrations/postgres/0037_mapping_incremental.sql.
CREATE TABLE mapping_account_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO mapping_account_version (id, version) VALUES (1, 0);
CREATE TRIGGER accounts_mapping_version_insert AFTER INSERT ON accounts BEGIN
    UPDATE mapping_account_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER accounts_mapping_version_update AFTER UPDATE OF name, web_domain, country, archived_at ON accounts BEGIN
    UPDATE mapping_account_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER accounts_mapping_version_delete AFTER DELETE ON accounts BEGIN
    UPDATE mapping_account_version SET version = version + 1 WHERE id = 1;
END;

-- An introduction one side asks of the other from a co-sell suggestion: the matched vendor
-- account, the vendor's open opportunity on it (if the vendor's side is the opportunity),
-- and, once the other side made the introduction, the touchpoint it logged there. Deleted
-- with the partner's uploaded data (it tells which accounts overlap).
CREATE TABLE mapping_intro_requests (
    id TEXT PRIMARY KEY,
    partnership_id TEXT NOT NULL REFERENCES mapping_partnerships (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- The partner's row by its normalised key (name, country, domain), as decisions keep it.
    row_key TEXT NOT NULL,
    opportunity_id TEXT REFERENCES opportunities (id),
    -- `vendor` or `partner`: who asks for the introduction.
    requested_by_side TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    -- `requested`, `made` or `declined`.
    status TEXT NOT NULL,
    touchpoint_id TEXT REFERENCES touchpoints (id),
    answered_by TEXT,
    answered_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX mapping_intro_requests_partnership ON mapping_intro_requests (partnership_id, created_at);
CREATE INDEX mapping_intro_requests_partner ON mapping_intro_requests (partner_id);
CREATE INDEX mapping_intro_requests_account ON mapping_intro_requests (account_id);
CREATE INDEX mapping_intro_requests_opportunity ON mapping_intro_requests (opportunity_id);
CREATE INDEX mapping_intro_requests_touchpoint ON mapping_intro_requests (touchpoint_id);
-- One open request per pair.
CREATE UNIQUE INDEX mapping_intro_requests_one_open ON mapping_intro_requests (partnership_id, account_id, row_key) WHERE status = 'requested';
