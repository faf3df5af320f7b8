-- The pipeline: opportunities, their stage history, the partners on them, the board's
-- totals, touchpoints and the dated currency-rate table. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0007_pipeline.sql (same tables, columns and index names).

CREATE TABLE opportunities (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- The partner that brought the deal; NULL for a direct deal.
    partner_id TEXT REFERENCES partners (id),
    registration_id TEXT REFERENCES registrations (id),
    title TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    expected_close_on DATE NOT NULL,
    -- The month of expected_close_on as YYYYMM, so the list filtered by close month reads
    -- its index in the list's order (a date range would sort the whole month).
    expected_close_month BIGINT NOT NULL,
    stage TEXT NOT NULL,
    -- Set when the opportunity enters a stage (that stage's default in the policy of the
    -- moment) with the weighted amount rounded once, so the forecast is a plain sum.
    probability_bp BIGINT NOT NULL,
    weighted_minor BIGINT NOT NULL,
    stage_entered_at TIMESTAMPTZ NOT NULL,
    source TEXT NOT NULL,
    route TEXT,
    marketplace TEXT,
    marketplace_name TEXT,
    vendor_owner_id TEXT REFERENCES users (id),
    partner_owner_id TEXT REFERENCES users (id),
    next_step TEXT,
    closed_on DATE,
    closed_at TIMESTAMPTZ,
    lost_reason TEXT,
    -- The rate in force on the close date into the program's currency, kept for good.
    close_rate_to TEXT,
    close_rate_e8 BIGINT,
    close_rate_effective_on DATE,
    amount_at_close_minor BIGINT,
    policy_version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One opportunity per registration (NULLs, opportunities without one, never collide).
CREATE UNIQUE INDEX opportunities_registration ON opportunities (registration_id);
-- With id last, a board column's first cards (soonest close, then id) are the index's first
-- entries instead of a sort of every deal that closes on the same day.
CREATE INDEX opportunities_program_stage ON opportunities (program_id, stage, expected_close_on, id);
CREATE INDEX opportunities_partner ON opportunities (partner_id, stage);
CREATE INDEX opportunities_account ON opportunities (account_id);
CREATE INDEX opportunities_vendor_owner ON opportunities (vendor_owner_id);
CREATE INDEX opportunities_partner_owner ON opportunities (partner_owner_id);
CREATE INDEX opportunities_updated ON opportunities (updated_at);
CREATE INDEX opportunities_close ON opportunities (expected_close_on);
CREATE INDEX opportunities_close_month ON opportunities (expected_close_month, updated_at, id);

-- The board's sums per program, stage and currency, kept in the transaction of every change
-- to an opportunity's program, stage, currency or amounts, so the board of a program with a
-- million deals reads a few rows instead of summing them all.
CREATE TABLE pipeline_totals (
    program_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    currency TEXT NOT NULL,
    n BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    weighted_minor BIGINT NOT NULL,
    PRIMARY KEY (program_id, stage, currency)
);

-- The partners on an opportunity: the one that brought it, and those whose touchpoints
-- influenced it. A partner sees exactly the opportunities it is on.
CREATE TABLE opportunity_partners (
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    role TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (opportunity_id, partner_id)
);
CREATE INDEX opportunity_partners_partner ON opportunity_partners (partner_id, opportunity_id);

-- Every stage change with time and actor, for cycle time per stage.
CREATE TABLE opportunity_stage_changes (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX opportunity_stage_changes_opportunity ON opportunity_stage_changes (opportunity_id, at);
CREATE INDEX opportunity_stage_changes_actor ON opportunity_stage_changes (actor_id);

-- Partner influence on an opportunity, the input of attribution.
CREATE TABLE touchpoints (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    kind TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    notes TEXT,
    logged_by TEXT REFERENCES users (id),
    logged_by_name TEXT NOT NULL,
    -- 1 when logged after the opportunity closed: kept, not counted.
    late BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX touchpoints_opportunity ON touchpoints (opportunity_id, occurred_at);
CREATE INDEX touchpoints_partner ON touchpoints (partner_id, occurred_at);
CREATE INDEX touchpoints_logged_by ON touchpoints (logged_by);

-- Currency rates by day: a rate applies from effective_on until a later one takes over.
-- The id is the pair and the day (`EUR-USD-2026-01-01`), so each exists once.
CREATE TABLE fx_rates (
    id TEXT PRIMARY KEY,
    from_currency TEXT NOT NULL,
    to_currency TEXT NOT NULL,
    effective_on DATE NOT NULL,
    rate_e8 BIGINT NOT NULL,
    updated_by_name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (from_currency, to_currency, effective_on)
);

-- The registration's side of the link.
ALTER TABLE registrations ADD COLUMN opportunity_id TEXT REFERENCES opportunities (id);
CREATE INDEX registrations_opportunity ON registrations (opportunity_id);
