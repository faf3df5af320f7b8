-- The channel manager who looks after a partner: their 30-day list is that partner's.
-- PostgreSQL flavour; keep in step with migrations/sqlite/0014_partner_managers.sql (same
-- tables, columns and index names).

CREATE TABLE partner_managers (
    partner_id TEXT PRIMARY KEY REFERENCES partners (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    assigned_by_name TEXT NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX partner_managers_user ON partner_managers (user_id, partner_id);
