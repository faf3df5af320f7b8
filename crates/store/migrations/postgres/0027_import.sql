-- CSV imports: which of our records each source's record id became (so importing a file
-- again updates instead of duplicating), the confirmed column mapping per kind and source,
-- and every import run with its counts and errors. postgres flavour; keep in step with
-- migrations/sqlite/0027_import.sql.
CREATE TABLE import_keys (
    -- accounts, opportunities, ...
    kind TEXT NOT NULL,
    -- salesforce-report, salesforce-dataloader, hubspot, partnerops.
    source TEXT NOT NULL,
    -- The record id in the source (a Salesforce Id, a HubSpot Record ID).
    external_id TEXT NOT NULL,
    -- Ours (accounts.id, ...); which table depends on kind.
    record_id TEXT NOT NULL,
    -- The last run that read this key: a second row with the same key in one file is an
    -- error, not a second update.
    run_id TEXT NOT NULL,
    PRIMARY KEY (kind, source, external_id)
);
-- One source record per record of ours: a second one with the same web domain is refused.
CREATE INDEX import_keys_record ON import_keys (record_id);

CREATE TABLE import_runs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    -- done or refused (nothing written).
    status TEXT NOT NULL,
    -- JSON object: our field -> their column.
    mapping_json TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    -- JSON array of {row, column, rule, message}, at most 1000.
    errors_json TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX import_runs_started ON import_runs (started_at, id);
CREATE INDEX import_runs_actor ON import_runs (actor_id);

CREATE TABLE import_mappings (
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    mapping_json TEXT NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, source)
);
