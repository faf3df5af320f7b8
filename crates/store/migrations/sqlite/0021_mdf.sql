-- Market development funds: budgets per program and period, allocations to partners,
-- requests for activities, claims on approved requests, the claims' proof-of-performance
-- files and the opportunities linked to funded activities. SQLite flavour; keep in step
-- with migrations/postgres/0021_mdf.sql (same tables, columns and index names). 0019 belongs
-- to another piece of work; the runner applies whatever is missing in version order.
--
-- Never overspent: remaining_minor of a budget (amount less its allocations) and of an
-- allocation (amount less what its requests commit) is debited only by a conditional
-- UPDATE ... WHERE remaining_minor >= $x in the transaction of the change, and the CHECKs
-- below make any other path that would go below zero fail.

CREATE TABLE mdf_budgets (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    remaining_minor INTEGER NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT mdf_budgets_remaining CHECK (remaining_minor >= 0 AND remaining_minor <= amount_minor)
);
CREATE INDEX mdf_budgets_program ON mdf_budgets (program_id, period_start);
CREATE INDEX mdf_budgets_created_by ON mdf_budgets (created_by);

CREATE TABLE mdf_allocations (
    id TEXT PRIMARY KEY,
    budget_id TEXT NOT NULL REFERENCES mdf_budgets (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    remaining_minor INTEGER NOT NULL,
    expires_on TEXT NOT NULL,
    -- The joint business plan marketing commitment this funds: the plan, the commitment's
    -- index in its marketing list and its title when allocated (plans are amended).
    business_plan_id TEXT REFERENCES business_plans (id),
    marketing_index INTEGER,
    marketing_title TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT mdf_allocations_remaining CHECK (remaining_minor >= 0 AND remaining_minor <= amount_minor)
);
CREATE INDEX mdf_allocations_budget ON mdf_allocations (budget_id, created_at);
CREATE INDEX mdf_allocations_partner ON mdf_allocations (partner_id, expires_on);
CREATE INDEX mdf_allocations_business_plan ON mdf_allocations (business_plan_id);

CREATE TABLE mdf_requests (
    id TEXT PRIMARY KEY,
    allocation_id TEXT NOT NULL REFERENCES mdf_allocations (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    activity_type TEXT NOT NULL,
    title TEXT NOT NULL,
    planned_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    -- What the request holds of its allocation now (see core::mdf::rules).
    committed_minor INTEGER NOT NULL CHECK (committed_minor >= 0),
    approved_minor INTEGER,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    expected_leads INTEGER NOT NULL,
    expected_pipeline_minor INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    submitted_by TEXT REFERENCES users (id),
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX mdf_requests_allocation ON mdf_requests (allocation_id, state);
CREATE INDEX mdf_requests_partner ON mdf_requests (partner_id, created_at);
CREATE INDEX mdf_requests_state ON mdf_requests (state, created_at);
CREATE INDEX mdf_requests_submitted_by ON mdf_requests (submitted_by);
CREATE INDEX mdf_requests_decided_by ON mdf_requests (decided_by);

CREATE TABLE mdf_claims (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES mdf_requests (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    claimed_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    approved_minor INTEGER,
    proof_summary TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    payment_reference TEXT,
    paid_on TEXT,
    submitted_by TEXT REFERENCES users (id),
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- One claim per request.
CREATE UNIQUE INDEX mdf_claims_request ON mdf_claims (request_id);
CREATE INDEX mdf_claims_partner ON mdf_claims (partner_id, created_at);
CREATE INDEX mdf_claims_state ON mdf_claims (state, created_at);
CREATE INDEX mdf_claims_submitted_by ON mdf_claims (submitted_by);
CREATE INDEX mdf_claims_decided_by ON mdf_claims (decided_by);

-- A claim's proof-of-performance files: the file store's ids (the reference to its table
-- is added with the file store).
CREATE TABLE mdf_claim_proofs (
    claim_id TEXT NOT NULL REFERENCES mdf_claims (id),
    file_id TEXT NOT NULL REFERENCES stored_files (id),
    added_at TEXT NOT NULL
);
CREATE UNIQUE INDEX mdf_claim_proofs_pair ON mdf_claim_proofs (claim_id, file_id);
CREATE INDEX mdf_claim_proofs_file ON mdf_claim_proofs (file_id);

-- Opportunities a funded activity brought or influenced: the input of MDF ROI.
CREATE TABLE mdf_request_opportunities (
    request_id TEXT NOT NULL REFERENCES mdf_requests (id),
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    linked_by TEXT REFERENCES users (id),
    linked_at TEXT NOT NULL
);
CREATE UNIQUE INDEX mdf_request_opportunities_pair ON mdf_request_opportunities (request_id, opportunity_id);
CREATE INDEX mdf_request_opportunities_opportunity ON mdf_request_opportunities (opportunity_id);
CREATE INDEX mdf_request_opportunities_linked_by ON mdf_request_opportunities (linked_by);
