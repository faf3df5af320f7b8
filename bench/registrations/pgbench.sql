-- bench/registrations/pgbench.sql -- pgbench script of bench/registrations.sh (PostgreSQL).
-- A second raw figure beside registration_baseline: the same transaction (a new account and
-- a registration for it, INSERT ... ON CONFLICT on the partial unique index
-- registrations_one_holder) from pgbench with prepared statements.
--   pgbench -n -M prepared -c 8 -j 2 -T 20 -D tag=... -D partner=ptr_... -D program=prg_...
--           -D submitter=usr_... -f pgbench.sql DBNAME
\set r random(1, 1000000000000000)
BEGIN;
INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status, name_key, name_block, created_at, updated_at)
VALUES ('acc_' || md5(:client_id::text || '-' || :r::text), 'Pgbench ' || :r::text, 'pgb-' || :tag::text || '-' || :client_id::text || '-' || :r::text || '.example', 'US', NULL, NULL, 'prospect', 'pgbench ' || :r::text, 'pgbe', now(), now());
INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, est_arr_minor, currency, submitted_by, submitted_at, renewals, sla_due_at, policy_version, created_at, updated_at)
VALUES ('reg_' || md5('r' || :client_id::text || '-' || :r::text), :program::text, :partner::text, 'acc_' || md5(:client_id::text || '-' || :r::text), 'pending', 'Bench deal', 1500000, 'USD', :submitter::text, now(), 0, now() + interval '14 days', 1, now(), now())
ON CONFLICT (account_id) WHERE status IN ('pending', 'approved') DO NOTHING;
END;
