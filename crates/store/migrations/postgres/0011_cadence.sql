-- The 30-day cadence: private calendar feeds, and the indexes its lists read by due date.
-- PostgreSQL flavour; keep in step with migrations/sqlite/0011_cadence.sql (same tables,
-- columns and index names).

-- One live feed per user: the URL carries a random token, kept only as its SHA-256 hash.
-- A new feed revokes the previous one; a revoked feed answers 404.
CREATE TABLE calendar_feeds (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX calendar_feeds_hash ON calendar_feeds (token_hash);
CREATE UNIQUE INDEX calendar_feeds_live ON calendar_feeds (user_id) WHERE revoked_at IS NULL;
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id, created_at);

-- What falls due: approved registrations by follow-up SLA, pending engagement requests by age.
CREATE INDEX registrations_status_sla ON registrations (status, sla_due_at);
CREATE INDEX engagement_requests_pending ON engagement_requests (status, created_at);
CREATE INDEX business_plans_agreed ON business_plans (status, period_start);
