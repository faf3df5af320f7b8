-- bench/payouts/prefill-sqlite.sql -- bulk pre-fill for bench/payouts.sh (SQLite).
--
-- Runs with the sqlite3 shell on a database that `partnerops demo --no-serve` created,
-- migrated and seeded (programs whose policy version 2 carries the demo's [incentives],
-- vendor staff, the rate table). Parameters (sqlite3 `.parameter set`):
--   :partners   partners in total afterwards (the demo's included), e.g. 10000
--   :accounts   accounts to add, e.g. 100000
--   :closes     closed-won partner opportunities to add, e.g. 1000000
-- Keep in step with prefill-postgres.sql: same ids, spread and values.
--
-- Rows are what the store writes for the same records (bench/README.md says what is left
-- out: stage history, audit rows, opportunity_partners, touchpoints, none of which the
-- accrual or the what-if reads):
-- * partners k = 0..: program by k % 20 (13 of 20 reseller, 4 referral, 3 technology),
--   tier by k % 10 (6 of 10 the entry tier, 3 the second, 1 the third), active;
-- * opportunities i = 0..: won, closed over the last 364 days in id order (the last one
--   yesterday), partner h(i) % partners; i % 4 = 3 partner-influenced, else
--   partner-sourced; route: i % 10 = 9 cloud marketplace, else resale (reseller program;
--   co-sell when influenced), referral (referral program) or co-sell (technology);
--   amount USD 5,000-204,000, 10% EUR, 5% GBP, 5% CHF, with the rate at close into USD;
-- * outbox_events: one `opportunity.closed_won` per opportunity, with the opportunity as
--   its payload (the fields the accrual reads: see `ClosedSnapshot` in
--   crates/store/src/payout/accrue.rs), already notified (the notify job passes over it).
--   They entered the outbox in the five minutes before the pre-fill, in id order: a backlog
--   the accrual has not read yet. (Not at their close: the accrual reads from the latest
--   event it handled, less 10 minutes, and the demo seed's accrual already handled events
--   of today, so events dated a year back would never be read.)
-- * pipeline_totals: rebuilt from the opportunities.
--
-- Indexes of the bulk-filled tables are dropped and recreated from their own definitions,
-- so they stay exactly the migration's.

PRAGMA foreign_keys = OFF;        -- every reference below is taken from existing rows
PRAGMA synchronous = OFF;         -- a bulk load into a file that is rebuilt if it breaks
PRAGMA journal_mode = WAL;
PRAGMA cache_size = -400000;      -- 400 MB
-- (PRAGMA temp_store = MEMORY is set by the caller before `.parameter set`.)

CREATE TEMP TABLE bench_params AS
SELECT max(:partners - (SELECT count(*) FROM partners), 0) AS pn,
       :accounts AS an,
       :closes AS n,
       CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) / 60000 * 60000 AS now_ms;

CREATE TEMP TABLE bench_programs AS
SELECT p.id AS id,
       CASE p.name WHEN 'Reseller Program' THEN 0 WHEN 'Referral Program' THEN 1 ELSE 2 END AS slot
FROM programs p
WHERE p.archived_at IS NULL AND p.name IN ('Reseller Program', 'Referral Program', 'Technology Alliance');

CREATE TEMP TABLE bench_tiers AS
SELECT bp.slot AS slot, t.rank AS rank, t.id AS id
FROM bench_programs bp JOIN tiers t ON t.program_id = bp.id AND t.archived_at IS NULL;

CREATE TEMP TABLE bench_staff AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id
FROM users
WHERE partner_id IS NULL AND role IN ('direct_sales', 'channel_manager') AND archived_at IS NULL;

-- The indexes to rebuild after the load, as their own CREATE statements.
.output bench_payouts_indexes.sql
SELECT sql || ';' FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('partners', 'accounts', 'opportunities', 'outbox_events');
.output stdout
.output bench_payouts_drop.sql
SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('partners', 'accounts', 'opportunities', 'outbox_events');
.output stdout
.read bench_payouts_drop.sql

BEGIN IMMEDIATE;

-- Partners.
INSERT INTO partners (id, name, web_domain, partner_type, program_id, tier_id, status, country,
                      regions, verticals, joined_on, created_at, updated_at, archived_at,
                      profile, tier_fingerprint, first_cohort)
WITH RECURSIVE s(k) AS (
    SELECT 0 WHERE (SELECT pn FROM bench_params) > 0
    UNION ALL
    SELECT k + 1 FROM s WHERE k + 1 < (SELECT pn FROM bench_params)
)
SELECT 'ptr_' || printf('%012x', p.now_ms - 94608000000) || printf('%020x', s.k),
       'Bench Partner ' || printf('%05d', s.k),
       'bench-partner-' || printf('%05d', s.k) || '.example',
       CASE bp.slot WHEN 0 THEN 'reseller' WHEN 1 THEN 'referral' ELSE 'technology' END,
       bp.id, t.id, 'active', 'US', '["north_america"]', '[]',
       date(p.now_ms / 1000 - 94608000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       NULL, NULL, NULL, 0
FROM s
CROSS JOIN bench_params p
JOIN bench_programs bp ON bp.slot = CASE WHEN s.k % 20 < 13 THEN 0 WHEN s.k % 20 < 17 THEN 1 ELSE 2 END
JOIN bench_tiers t ON t.slot = bp.slot AND t.rank = CASE WHEN s.k % 10 < 6 THEN 1 WHEN s.k % 10 < 9 THEN 2 ELSE 3 END;

-- Accounts.
INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status,
                      created_at, updated_at, archived_at, name_key, name_block, exact_name_key,
                      merged_into)
WITH RECURSIVE s(k) AS (
    SELECT 0 WHERE (SELECT an FROM bench_params) > 0
    UNION ALL
    SELECT k + 1 FROM s WHERE k + 1 < (SELECT an FROM bench_params)
)
SELECT 'acc_' || printf('%012x', p.now_ms - 94608000000) || printf('%020x', s.k),
       'Bench Customer ' || printf('%06d', s.k),
       'bench-customer-' || printf('%06d', s.k) || '.example',
       'US', 'Software', NULL, 'prospect',
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       NULL,
       'bench customer ' || printf('%06d', s.k),
       'benc', NULL, NULL
FROM s CROSS JOIN bench_params p;

-- One row per opportunity with everything drawn.
CREATE TEMP TABLE bench_opp AS
WITH RECURSIVE s(i) AS (
    SELECT 0 WHERE (SELECT n FROM bench_params) > 0
    UNION ALL
    SELECT i + 1 FROM s WHERE i + 1 < (SELECT n FROM bench_params)
),
h AS (
    SELECT i,
           (i * 2654435761) % 4294967296 AS h,
           -- Closed over the last 364 days, the last one yesterday, at whole seconds.
           (p.now_ms - 86400000 - (p.n - 1 - i) * (31449600000 / p.n)) / 1000 * 1000 AS closed_ms,
           p.now_ms AS now_ms,
           p.pn AS pn,
           p.an AS an
    FROM s CROSS JOIN bench_params p
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
       'opp_' || printf('%012x', closed_ms) || printf('%020x', i) AS id,
       'evt_' || printf('%012x', closed_ms) || printf('%020x', i) AS event_id,
       'ptr_' || printf('%012x', now_ms - 94608000000) || printf('%020x', pk) AS partner_id,
       CASE WHEN pk % 20 < 13 THEN 0 WHEN pk % 20 < 17 THEN 1 ELSE 2 END AS slot,
       CASE WHEN i % 4 = 3 THEN 'partner_influenced' ELSE 'partner_sourced' END AS source,
       CASE WHEN i % 10 = 9 THEN 'cloud_marketplace'
            WHEN pk % 20 < 13 THEN CASE WHEN i % 4 = 3 THEN 'co_sell' ELSE 'resale' END
            WHEN pk % 20 < 17 THEN 'referral'
            ELSE 'co_sell' END AS route,
       CASE currency WHEN 'EUR' THEN 110000000 WHEN 'GBP' THEN 130000000 WHEN 'CHF' THEN 118000000 ELSE 100000000 END AS rate_e8,
       date(closed_ms / 1000, 'unixepoch') AS closed_on,
       strftime('%Y-%m-%dT%H:%M:%SZ', closed_ms / 1000, 'unixepoch') AS closed_at_json,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', closed_ms / 1000, 'unixepoch') AS closed_at
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
       'acc_' || printf('%012x', o.now_ms - 94608000000) || printf('%020x', (o.i * 7919) % o.an),
       o.partner_id,
       NULL,
       CASE o.h % 5 WHEN 0 THEN 'Platform rollout' WHEN 1 THEN 'Analytics expansion'
            WHEN 2 THEN 'Security suite pilot' WHEN 3 THEN 'Data pipeline migration'
            ELSE 'Support plus upgrade' END,
       o.amount, o.currency,
       o.closed_on,
       CAST(strftime('%Y%m', o.closed_ms / 1000, 'unixepoch') AS INTEGER),
       'won', 10000, o.amount,
       o.closed_at,
       o.source, o.route,
       CASE WHEN o.route = 'cloud_marketplace' THEN CASE o.h % 3 WHEN 0 THEN 'aws' WHEN 1 THEN 'azure' ELSE 'google_cloud' END END,
       NULL,
       (SELECT id FROM bench_staff WHERE k = o.i % (SELECT count(*) FROM bench_staff)),
       NULL, NULL,
       o.closed_on, o.closed_at, NULL,
       'USD', o.rate_e8,
       CASE WHEN o.currency != 'USD'
            THEN (SELECT max(r.effective_on) FROM fx_rates r WHERE r.from_currency = o.currency
                  AND r.to_currency = 'USD' AND r.effective_on <= o.closed_on) END,
       o.amount * o.rate_e8 / 100000000,
       2,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.created_ms / 1000, 'unixepoch'),
       o.closed_at
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
ORDER BY o.i;

-- The close events, as `opportunity.closed_won` carries them.
INSERT INTO outbox_events (id, kind, entity_id, partner_id, payload, created_at, delivered_at, notified_at)
SELECT o.event_id, 'opportunity.closed_won', o.id, o.partner_id,
       json_object(
           'id', o.id,
           'program_id', bp.id,
           'partner_id', o.partner_id,
           'source', o.source,
           'route', o.route,
           'amount', json_object('amount_minor', o.amount, 'currency', o.currency),
           'stage', 'won',
           'closed_on', o.closed_on,
           'closed_at', o.closed_at_json,
           'rate_at_close', json_object('from', o.currency, 'to', 'USD', 'close_on', o.closed_on,
                                        'rate_e8', o.rate_e8, 'effective_on', NULL),
           'amount_at_close', json_object('amount_minor', o.amount * o.rate_e8 / 100000000, 'currency', 'USD'),
           'policy_version', 2),
       strftime('%Y-%m-%dT%H:%M:%f', o.queued_ms / 1000.0, 'unixepoch') || '000Z', NULL,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.now_ms / 1000, 'unixepoch')
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
ORDER BY o.i;

-- The board's totals, as the store keeps them (the demo's deals included).
DELETE FROM pipeline_totals;
INSERT INTO pipeline_totals (program_id, stage, currency, n, amount_minor, weighted_minor)
SELECT program_id, stage, currency, count(*), sum(amount_minor), sum(weighted_minor)
FROM opportunities GROUP BY program_id, stage, currency;

COMMIT;

.read bench_payouts_indexes.sql

PRAGMA wal_checkpoint(TRUNCATE);

SELECT 'PREFILL partners=' || (SELECT count(*) FROM partners)
    || ' accounts=' || (SELECT count(*) FROM accounts)
    || ' closes=' || (SELECT count(*) FROM outbox_events WHERE kind = 'opportunity.closed_won')
    || ' bench_closes=' || (SELECT count(*) FROM outbox_events WHERE kind = 'opportunity.closed_won' AND id LIKE 'evt\_%' ESCAPE '\' AND entity_id IN (SELECT id FROM bench_opp));
