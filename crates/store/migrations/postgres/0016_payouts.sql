-- Incentives and payouts: the deals as they were paid, the revenue events after them,
-- commission lines, statements and disputes. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0016_payouts.sql (same tables, columns and index names). 0015 belongs
-- to another piece of work; the runner applies whatever is missing in version order.

-- Which outbox events a consumer has handled: the claim is this row's insert, so two
-- instances never both handle one event. The commission lines' own unique key is what
-- makes a replayed event harmless.
CREATE TABLE outbox_consumed (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_created_at TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
-- Where a consumer got to: it reads on from its latest event less a margin, so an event
-- committed late (its transaction began earlier) is still seen.
CREATE INDEX outbox_consumed_progress ON outbox_consumed (consumer, event_created_at);
-- The accrual reads the events of a few kinds in order.
CREATE INDEX outbox_events_kind ON outbox_events (kind, created_at, id);

-- One row per close won that the accrual handled (its id is the close event's), with
-- what the deal was paid under: the partner's tier and the policy version in force at
-- close. Renewals and expansions are paid under the same. A reopen reverses it.
CREATE TABLE payout_deals (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    tier TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    route TEXT NOT NULL,
    closed_on DATE NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    rate_to TEXT NOT NULL,
    rate_e8 BIGINT NOT NULL,
    -- The standing the accelerators read at close, so the what-if replays the same.
    certified_individuals BIGINT NOT NULL,
    jbp_milestone_minor BIGINT,
    jbp_won_before_minor BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    reversed_at TIMESTAMPTZ
);
CREATE INDEX payout_deals_opportunity ON payout_deals (opportunity_id, reversed_at);
CREATE INDEX payout_deals_partner ON payout_deals (partner_id, closed_on);
CREATE INDEX payout_deals_program ON payout_deals (program_id, closed_on);

-- Renewals, expansions and cancellations recorded on won deals.
CREATE TABLE revenue_events (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    -- The partner that brought the deal; none for a direct deal (recorded for measurement).
    partner_id TEXT REFERENCES partners (id),
    kind TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    arr_minor BIGINT,
    currency TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revenue_events_opportunity ON revenue_events (opportunity_id, occurred_on);
CREATE INDEX revenue_events_partner ON revenue_events (partner_id);
CREATE INDEX revenue_events_recorded_by ON revenue_events (recorded_by);

CREATE TABLE payout_statements (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    period TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    state TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    line_count BIGINT NOT NULL,
    reason TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    approved_by TEXT REFERENCES users (id),
    approved_at TIMESTAMPTZ,
    paid_at TIMESTAMPTZ,
    payment_reference TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One statement (issued or rolled over) per partner and period: a second run of the
-- period, on any instance, finds it there.
CREATE UNIQUE INDEX payout_statements_partner_period ON payout_statements (partner_id, period);
CREATE INDEX payout_statements_program ON payout_statements (program_id, period);
CREATE INDEX payout_statements_state ON payout_statements (state, period);
CREATE INDEX payout_statements_approved_by ON payout_statements (approved_by);

-- Lines are never updated except to be gathered into a statement. line_key makes each
-- accrual, clawback and reversal exactly once (see store::payout::accrue), and
-- negates_line_id lets a line be negated once.
CREATE TABLE commission_lines (
    id TEXT PRIMARY KEY,
    line_key TEXT NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    program_id TEXT NOT NULL REFERENCES programs (id),
    payout_deal_id TEXT REFERENCES payout_deals (id),
    opportunity_id TEXT REFERENCES opportunities (id),
    revenue_event_id TEXT REFERENCES revenue_events (id),
    event TEXT,
    event_on DATE NOT NULL,
    rule TEXT NOT NULL,
    policy_version BIGINT NOT NULL,
    base_minor BIGINT NOT NULL,
    rate_bp BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    statement_minor BIGINT NOT NULL,
    statement_currency TEXT NOT NULL,
    why TEXT NOT NULL,
    negates_line_id TEXT REFERENCES commission_lines (id),
    statement_id TEXT REFERENCES payout_statements (id),
    accrued_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX commission_lines_key ON commission_lines (line_key);
CREATE UNIQUE INDEX commission_lines_negates ON commission_lines (negates_line_id);
CREATE INDEX commission_lines_partner ON commission_lines (partner_id, statement_id, accrued_on);
CREATE INDEX commission_lines_program ON commission_lines (program_id, accrued_on);
CREATE INDEX commission_lines_payout_deal ON commission_lines (payout_deal_id);
CREATE INDEX commission_lines_opportunity ON commission_lines (opportunity_id);
CREATE INDEX commission_lines_revenue_event ON commission_lines (revenue_event_id);
CREATE INDEX commission_lines_statement ON commission_lines (statement_id, created_at);

CREATE TABLE line_disputes (
    id TEXT PRIMARY KEY,
    statement_id TEXT NOT NULL REFERENCES payout_statements (id),
    line_id TEXT NOT NULL REFERENCES commission_lines (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    comment TEXT NOT NULL,
    state TEXT NOT NULL,
    resolution TEXT,
    raised_by TEXT NOT NULL REFERENCES users (id),
    raised_at TIMESTAMPTZ NOT NULL,
    resolved_by TEXT REFERENCES users (id),
    resolved_at TIMESTAMPTZ
);
CREATE INDEX line_disputes_statement ON line_disputes (statement_id, state);
CREATE INDEX line_disputes_line ON line_disputes (line_id, state);
CREATE INDEX line_disputes_partner ON line_disputes (partner_id);
CREATE INDEX line_disputes_raised_by ON line_disputes (raised_by);
CREATE INDEX line_disputes_resolved_by ON line_disputes (resolved_by);
-- One open dispute per line.
CREATE UNIQUE INDEX line_disputes_one_open ON line_disputes (line_id) WHERE state = 'open';
