-- Nothing on SQLite: its rate-limit counts live in the process (see store::rate_limit).
-- The PostgreSQL migration of the same number makes the shared counters unlogged.
SELECT 1;
