-- Indexes the scale benchmark asked for (bench/scale.sh: 10,000 partners, 1,000,000
-- registrations). PostgreSQL flavour; keep in step with migrations/sqlite/0034_scale_indexes.sql
-- (same index names).

-- The registrations list pages by (submitted_at, id), newest first: without an index in
-- that order every page sorted all registrations (vendor list and its last page, 1M rows);
-- filtered by status, the same order within one status.
CREATE INDEX registrations_list ON registrations (submitted_at, id);
CREATE INDEX registrations_status_list ON registrations (status, submitted_at, id);

-- A partner's registrations (the partner's own list, a status filter on it, its counts by
-- status): the old (partner_id, status) index extended by the list's order, so a partner's
-- page filtered by status is read in order instead of picked out of every partner's rows of
-- that status.
DROP INDEX registrations_partner;
CREATE INDEX registrations_partner_list ON registrations (partner_id, status, submitted_at, id);

-- A partner's standing in its program (tier standing, onboarding, activation) sums its own
-- registrations of the program over a period: without it SQLite walked the program's
-- registrations of the period (a third of all) to find one partner's hundred.
CREATE INDEX registrations_partner_program ON registrations (partner_id, program_id, submitted_at);

-- Open follow-up SLAs (the due list, the hourly sweep): only registrations whose SLA was not
-- missed yet, in due order. The whole-table (status, sla_due_at) index made the due list walk
-- every approved registration whose SLA had already been marked missed.
DROP INDEX registrations_status_sla;
CREATE INDEX registrations_sla_open ON registrations (status, sla_due_at, id)
    WHERE sla_missed_at IS NULL;

-- A partner's due list (the portal's home and its due page): its approved registrations by
-- follow-up due time and by expiry. Without them the partner's few were picked out of every
-- partner's open registrations in due order (1.1-1.7 s at a million registrations).
CREATE INDEX registrations_partner_due ON registrations (partner_id, status, sla_due_at, id);
CREATE INDEX registrations_partner_expiry ON registrations (partner_id, status, expires_at, id);
