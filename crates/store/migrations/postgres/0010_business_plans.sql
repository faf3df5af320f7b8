-- Joint business plans with their versions and reviews. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0010_business_plans.sql (same tables, columns and index names).

CREATE TABLE business_plans (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    title TEXT NOT NULL,
    period_start DATE NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- The current version's content (JSON); every version is kept in business_plan_versions.
    content TEXT NOT NULL,
    partner_signed_by TEXT REFERENCES users (id),
    partner_signed_at TIMESTAMPTZ,
    vendor_signed_by TEXT REFERENCES users (id),
    vendor_signed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One plan per partner and period.
CREATE UNIQUE INDEX business_plans_partner_period ON business_plans (partner_id, period_start);
CREATE INDEX business_plans_program ON business_plans (program_id, status);
CREATE INDEX business_plans_partner_signer ON business_plans (partner_signed_by);
CREATE INDEX business_plans_vendor_signer ON business_plans (vendor_signed_by);

CREATE TABLE business_plan_versions (
    plan_id TEXT NOT NULL REFERENCES business_plans (id),
    version BIGINT NOT NULL,
    content TEXT NOT NULL,
    change_note TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE business_plan_reviews (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES business_plans (id),
    kind TEXT NOT NULL,
    held_on DATE NOT NULL,
    attendees TEXT NOT NULL,
    notes TEXT NOT NULL,
    decisions TEXT NOT NULL,
    next_steps TEXT NOT NULL,
    recorded_by_name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX business_plan_reviews_plan ON business_plan_reviews (plan_id, held_on);
