-- bench/payouts/prefill-postgres.sql -- bulk pre-fill for bench/payouts.sh (PostgreSQL).
--
-- Runs with psql on a database that `partnerops demo --no-serve` created, migrated and
-- seeded:  psql -X -v ON_ERROR_STOP=1 -v partners=10000 -v accounts=100000
--          -v closes=1000000 -f prefill-postgres.sql
-- Keep in step with prefill-sqlite.sql, which explains the data: same ids, spread and
-- values; here dates are DATE, times TIMESTAMPTZ and the payload JSON text. Foreign-key
-- triggers are off for the session (every reference is taken from existing rows) and the
-- indexes of the filled tables are dropped and recreated from their own definitions
-- (pg_indexes).

SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET session_replication_role = replica;

CREATE TEMP TABLE bench_params AS
SELECT greatest(:partners - (SELECT count(*) FROM partners), 0)::bigint AS pn,
       (:accounts)::bigint AS an,
       (:closes)::bigint AS n,
       ((extract(epoch FROM clock_timestamp()) * 1000)::bigint / 60000 * 60000) AS now_ms;

CREATE TEMP TABLE bench_programs AS
SELECT p.id AS id,
       CASE p.name WHEN 'Reseller Program' THEN 0 WHEN 'Referral Program' THEN 1 ELSE 2 END AS slot
FROM programs p
WHERE p.archived_at IS NULL AND p.name IN ('Reseller Program', 'Referral Program', 'Technology Alliance');

CREATE TEMP TABLE bench_tiers AS
SELECT bp.slot AS slot, t.rank AS rank, t.id AS id
FROM bench_programs bp JOIN tiers t ON t.program_id = bp.id AND t.archived_at IS NULL;

CREATE TEMP TABLE bench_staff AS
SELECT (row_number() OVER (ORDER BY id) - 1)::bigint AS k, id
FROM users
WHERE partner_id IS NULL AND role IN ('direct_sales', 'channel_manager') AND archived_at IS NULL;

CREATE TEMP TABLE bench_indexes AS
SELECT i.indexname, i.indexdef
FROM pg_indexes i
WHERE i.schemaname = current_schema()
  AND i.tablename IN ('partners', 'accounts', 'opportunities', 'outbox_events')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname);
SELECT format('DROP INDEX %I', indexname) FROM bench_indexes \gexec

BEGIN;

CREATE OR REPLACE FUNCTION pg_temp.hex(v bigint, width int) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT lpad(to_hex(v), width, '0') $$;
CREATE OR REPLACE FUNCTION pg_temp.ts(ms bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT to_timestamp(ms / 1000) $$;
CREATE OR REPLACE FUNCTION pg_temp.day(ms bigint) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$ SELECT (to_timestamp(ms / 1000) AT TIME ZONE 'UTC')::date $$;

INSERT INTO partners (id, name, web_domain, partner_type, program_id, tier_id, status, country,
                      regions, verticals, joined_on, created_at, updated_at, archived_at,
                      profile, tier_fingerprint, first_cohort)
SELECT 'ptr_' || pg_temp.hex(p.now_ms - 94608000000, 12) || pg_temp.hex(k, 20),
       'Bench Partner ' || lpad(k::text, 5, '0'),
       'bench-partner-' || lpad(k::text, 5, '0') || '.example',
       CASE bp.slot WHEN 0 THEN 'reseller' WHEN 1 THEN 'referral' ELSE 'technology' END,
       bp.id, t.id, 'active', 'US', '["north_america"]', '[]',
       pg_temp.day(p.now_ms - 94608000000),
       pg_temp.ts(p.now_ms - 94608000000),
       pg_temp.ts(p.now_ms - 94608000000),
       NULL, NULL, NULL, 0
FROM bench_params p
CROSS JOIN generate_series(0::bigint, p.pn - 1) AS k
JOIN bench_programs bp ON bp.slot = CASE WHEN k % 20 < 13 THEN 0 WHEN k % 20 < 17 THEN 1 ELSE 2 END
JOIN bench_tiers t ON t.slot = bp.slot AND t.rank = CASE WHEN k % 10 < 6 THEN 1 WHEN k % 10 < 9 THEN 2 ELSE 3 END;

INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status,
                      created_at, updated_at, archived_at, name_key, name_block, exact_name_key,
                      merged_into)
SELECT 'acc_' || pg_temp.hex(p.now_ms - 94608000000, 12) || pg_temp.hex(k, 20),
       'Bench Customer ' || lpad(k::text, 6, '0'),
       'bench-customer-' || lpad(k::text, 6, '0') || '.example',
       'US', 'Software', NULL, 'prospect',
       pg_temp.ts(p.now_ms - 94608000000),
       pg_temp.ts(p.now_ms - 94608000000),
       NULL,
       'bench customer ' || lpad(k::text, 6, '0'),
       'benc', NULL, NULL
FROM bench_params p CROSS JOIN generate_series(0::bigint, p.an - 1) AS k;

CREATE TEMP TABLE bench_opp AS
WITH h AS (
    SELECT i,
           (i * 2654435761) % 4294967296 AS h,
           (p.now_ms - 86400000 - (p.n - 1 - i) * (31449600000 / p.n)) / 1000 * 1000 AS closed_ms,
           p.now_ms AS now_ms,
           p.pn AS pn,
           p.an AS an
    FROM bench_params p CROSS JOIN generate_series(0::bigint, p.n - 1) AS i
),
d AS (
    SELECT h.*,
           h % pn AS pk,
           500000 + ((h / 16) % 200) * 100000 AS amount,
           CASE (h / 4096) % 20 WHEN 0 THEN 'EUR' WHEN 1 THEN 'EUR' WHEN 2 THEN 'GBP' WHEN 3 THEN 'CHF' ELSE 'USD' END AS currency
    FROM h
)
SELECT i, h, closed_ms, closed_ms - 86400000 * (30 + (h / 65536) % 121) AS created_ms, now_ms,
       now_ms - 300000 + i * 300000 / (SELECT n FROM bench_params) AS queued_ms,
       amount, currency, an,
       'opp_' || pg_temp.hex(closed_ms, 12) || pg_temp.hex(i, 20) AS id,
       'evt_' || pg_temp.hex(closed_ms, 12) || pg_temp.hex(i, 20) AS event_id,
       'ptr_' || pg_temp.hex(now_ms - 94608000000, 12) || pg_temp.hex(pk, 20) AS partner_id,
       CASE WHEN pk % 20 < 13 THEN 0 WHEN pk % 20 < 17 THEN 1 ELSE 2 END AS slot,
       CASE WHEN i % 4 = 3 THEN 'partner_influenced' ELSE 'partner_sourced' END AS source,
       CASE WHEN i % 10 = 9 THEN 'cloud_marketplace'
            WHEN pk % 20 < 13 THEN CASE WHEN i % 4 = 3 THEN 'co_sell' ELSE 'resale' END
            WHEN pk % 20 < 17 THEN 'referral'
            ELSE 'co_sell' END AS route,
       CASE currency WHEN 'EUR' THEN 110000000 WHEN 'GBP' THEN 130000000 WHEN 'CHF' THEN 118000000 ELSE 100000000 END AS rate_e8,
       pg_temp.day(closed_ms) AS closed_on,
       to_char(pg_temp.ts(closed_ms) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS closed_at_json,
       pg_temp.ts(closed_ms) AS closed_at
FROM d;

INSERT INTO opportunities (id, program_id, account_id, partner_id, registration_id, title,
                           amount_minor, currency, expected_close_on, expected_close_month, stage, probability_bp,
                           weighted_minor, stage_entered_at, source, route, marketplace,
                           marketplace_name, vendor_owner_id, partner_owner_id, next_step,
                           closed_on, closed_at, lost_reason, close_rate_to, close_rate_e8,
                           close_rate_effective_on, amount_at_close_minor, policy_version,
                           created_at, updated_at)
SELECT o.id,
       bp.id,
       'acc_' || pg_temp.hex(o.now_ms - 94608000000, 12) || pg_temp.hex((o.i * 7919) % o.an, 20),
       o.partner_id,
       NULL,
       CASE o.h % 5 WHEN 0 THEN 'Platform rollout' WHEN 1 THEN 'Analytics expansion'
            WHEN 2 THEN 'Security suite pilot' WHEN 3 THEN 'Data pipeline migration'
            ELSE 'Support plus upgrade' END,
       o.amount, o.currency,
       o.closed_on,
       to_char(o.closed_on, 'YYYYMM')::bigint,
       'won', 10000, o.amount,
       o.closed_at,
       o.source, o.route,
       CASE WHEN o.route = 'cloud_marketplace' THEN CASE o.h % 3 WHEN 0 THEN 'aws' WHEN 1 THEN 'azure' ELSE 'google_cloud' END END,
       NULL,
       s.id,
       NULL, NULL,
       o.closed_on, o.closed_at, NULL,
       'USD', o.rate_e8,
       CASE WHEN o.currency <> 'USD'
            THEN (SELECT max(r.effective_on) FROM fx_rates r WHERE r.from_currency = o.currency
                  AND r.to_currency = 'USD' AND r.effective_on <= o.closed_on) END,
       o.amount * o.rate_e8 / 100000000,
       2,
       pg_temp.ts(o.created_ms),
       o.closed_at
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
JOIN bench_staff s ON s.k = o.i % (SELECT count(*) FROM bench_staff)
ORDER BY o.i;

INSERT INTO outbox_events (id, kind, entity_id, partner_id, payload, created_at, delivered_at, notified_at)
SELECT o.event_id, 'opportunity.closed_won', o.id, o.partner_id,
       json_build_object(
           'id', o.id,
           'program_id', bp.id,
           'partner_id', o.partner_id,
           'source', o.source,
           'route', o.route,
           'amount', json_build_object('amount_minor', o.amount, 'currency', o.currency),
           'stage', 'won',
           'closed_on', o.closed_on,
           'closed_at', o.closed_at_json,
           'rate_at_close', json_build_object('from', o.currency, 'to', 'USD', 'close_on', o.closed_on,
                                              'rate_e8', o.rate_e8, 'effective_on', NULL),
           'amount_at_close', json_build_object('amount_minor', o.amount * o.rate_e8 / 100000000, 'currency', 'USD'),
           'policy_version', 2)::text,
       to_timestamp(o.queued_ms / 1000.0), NULL,
       pg_temp.ts(o.now_ms)
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
ORDER BY o.i;

DELETE FROM pipeline_totals;
INSERT INTO pipeline_totals (program_id, stage, currency, n, amount_minor, weighted_minor)
SELECT program_id, stage, currency, count(*), sum(amount_minor), sum(weighted_minor)
FROM opportunities GROUP BY program_id, stage, currency;

COMMIT;

SELECT indexdef FROM bench_indexes \gexec

ANALYZE;

SELECT 'PREFILL partners=' || (SELECT count(*) FROM partners)
    || ' accounts=' || (SELECT count(*) FROM accounts)
    || ' closes=' || (SELECT count(*) FROM outbox_events WHERE kind = 'opportunity.closed_won')
    || ' bench_closes=' || (SELECT count(*) FROM outbox_events e JOIN bench_opp o ON o.event_id = e.id);
