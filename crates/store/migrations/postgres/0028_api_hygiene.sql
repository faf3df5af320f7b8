-- API hygiene (issue 13): scoped tokens with an expiry, and the rate-limit counters.
-- PostgreSQL flavour; keep in step with migrations/sqlite/0028_api_hygiene.sql.
-- 0027 belongs to another piece of work; the runner applies whatever is missing in order.

-- scopes: a JSON array of scopes ("registration:read", "*", ...). Tokens made before
-- scopes existed get ["*"] and no expiry (expires_at NULL): they run integrations that
-- must keep working after an upgrade, exactly as before. Their owners see them listed
-- without an expiry and can replace them with scoped, expiring ones.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '["*"]';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;

-- One fixed-window counter per key ("token:<id>" or "addr:<hash of the client address>"),
-- shared by every instance: each API request bumps it with one upsert. window_start is
-- the window's first second since the epoch. A key has one row whatever its traffic.
CREATE TABLE api_rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
