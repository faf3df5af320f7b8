-- bench/pipeline/prefill-sqlite.sql -- bulk pre-fill for bench/pipeline.sh (SQLite).
--
-- Runs with the sqlite3 shell on a database that `partnerops demo --no-serve` created,
-- migrated and seeded (programs with the default pipeline policy, vendor staff, the rate
-- table). Parameters (sqlite3 `.parameter set`):
--   :partners       partners in total afterwards (the demo's included), e.g. 10000
--   :accounts       accounts to add, e.g. 200000
--   :opportunities  opportunities to add, e.g. 1000000
--   :touchpoints    touchpoints per opportunity, e.g. 5
--   :plans          bulk partners that get an agreed joint business plan, e.g. 300
-- Keep in step with prefill-postgres.sql: same ids, spread and values.
--
-- Rows are what the store writes for the same records (bench/README.md says what is left
-- out: stage history, audit and outbox rows, which the measured reads never touch):
-- * partners k = 0..: program by k % 20 (13 of 20 reseller, 4 referral, 3 technology, the
--   demo's 65/20/15), entry tier, active;
-- * opportunities i = 0..: created over the last three years in id order; i % 4 = 0 direct,
--   1-2 partner-sourced, 3 partner-influenced (partner: a hash of i); stage from a hash:
--   12% target account, 10% first conversation, 8% commercial offer, 5% handoff, 24% won,
--   41% lost; amount USD 5,000-204,000, 10% EUR, 5% GBP, 5% CHF; open deals expect to
--   close between a month ago and six months ahead, closed ones closed 30-150 days after
--   creation (not after yesterday) with the rate at close; probability and weighted amount
--   as the store computes them (the amounts make the rounding exact);
--   expected_close_month is the expected close's YYYYMM, as the store writes it;
-- * pipeline_totals: rebuilt from the opportunities (the board's kept sums);
-- * partner_plan_sums, partner_account_coverage: rebuilt from the rows (the plans' kept
--   sums), with the statements of migration 0015's backfill;
-- * opportunity_partners: 'sourced' for the partner that brought it, 'influencer' for the
--   second partner (same program) of every direct deal and of two in five partner deals;
-- * touchpoints: :touchpoints per opportunity, by its partner, the last one (or all, for a
--   direct deal) by the influencer when it has one, spread between creation and close;
-- * business_plans: one agreed plan (version 1, both sides' signatures dated, no signer
--   ids: bulk partners have no users) for each of :plans bulk partners that bring deals
--   (partners k = 1, 2, 3, 5, 6, 7, 9, ...: a partner k with k % 4 = 0 brings none, since a
--   deal's partner is a hash of i with the parity of i and i % 4 = 0 is direct), starting
--   the quarter before the current one, naming up to 20 accounts of the partner's own
--   deals, a USD 150,000 sourced-ARR milestone per quarter, activity commitments and both
--   reviews in its cadence; its first version in business_plan_versions.
--
-- Indexes of the bulk-filled tables are dropped and recreated from their own definitions
-- (sorted builds are much faster than 5M random inserts), so they stay exactly the
-- migration's.

PRAGMA foreign_keys = OFF;        -- every reference below is taken from existing rows
PRAGMA synchronous = OFF;         -- a bulk load into a file that is rebuilt if it breaks
PRAGMA journal_mode = WAL;
PRAGMA cache_size = -400000;      -- 400 MB
-- (PRAGMA temp_store = MEMORY is set by the caller before `.parameter set`.)

CREATE TEMP TABLE bench_params AS
SELECT max(:partners - (SELECT count(*) FROM partners), 0) AS pn,
       :accounts AS an,
       :opportunities AS n,
       :touchpoints AS tn,
       :plans AS plans,
       CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) / 60000 * 60000 AS now_ms;

CREATE TEMP TABLE bench_programs AS
SELECT p.id AS id,
       CASE p.name WHEN 'Reseller Program' THEN 0 WHEN 'Referral Program' THEN 1 ELSE 2 END AS slot,
       (SELECT t.id FROM tiers t WHERE t.program_id = p.id ORDER BY t.rank LIMIT 1) AS tier_id
FROM programs p
WHERE p.archived_at IS NULL AND p.name IN ('Reseller Program', 'Referral Program', 'Technology Alliance');

CREATE TEMP TABLE bench_staff AS
SELECT row_number() OVER (ORDER BY id) - 1 AS k, id
FROM users
WHERE partner_id IS NULL AND role IN ('direct_sales', 'channel_manager') AND archived_at IS NULL;

-- The indexes to rebuild after the load, as their own CREATE statements.
.output bench_pipeline_indexes.sql
SELECT sql || ';' FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('partners', 'accounts', 'opportunities', 'opportunity_partners', 'touchpoints');
.output stdout
.output bench_pipeline_drop.sql
SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL
  AND tbl_name IN ('partners', 'accounts', 'opportunities', 'opportunity_partners', 'touchpoints');
.output stdout
.read bench_pipeline_drop.sql

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
       bp.id, bp.tier_id, 'active', 'US', '["north_america"]', '[]',
       date(p.now_ms / 1000 - 94608000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', p.now_ms / 1000 - 94608000, 'unixepoch'),
       NULL, NULL, NULL, 0
FROM s
CROSS JOIN bench_params p
JOIN bench_programs bp ON bp.slot = CASE WHEN s.k % 20 < 13 THEN 0 WHEN s.k % 20 < 17 THEN 1 ELSE 2 END;

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

-- One row per opportunity with everything drawn, materialised so the touchpoints see the
-- same values.
CREATE TEMP TABLE bench_opp AS
WITH RECURSIVE s(i) AS (
    SELECT 0 WHERE (SELECT n FROM bench_params) > 0
    UNION ALL
    SELECT i + 1 FROM s WHERE i + 1 < (SELECT n FROM bench_params)
),
h AS (
    SELECT i,
           (i * 2654435761) % 4294967296 AS h,
           p.now_ms - 94608000000 + i * (94608000000 / p.n) AS created_ms,
           p.now_ms AS now_ms,
           p.pn AS pn,
           p.an AS an
    FROM s CROSS JOIN bench_params p
),
d AS (
    SELECT h.*,
           CASE WHEN i % 4 = 0 THEN NULL ELSE h % pn END AS pk,
           (h / 256) % 100 AS sd,
           500000 + ((h / 16) % 200) * 100000 AS amount,
           CASE (h / 4096) % 20 WHEN 0 THEN 'EUR' WHEN 1 THEN 'EUR' WHEN 2 THEN 'GBP' WHEN 3 THEN 'CHF' ELSE 'USD' END AS currency,
           min(created_ms + 86400000 * (30 + (h / 65536) % 121), now_ms - 86400000) AS closed_ms,
           now_ms + 86400000 * ((h / 65536) % 210 - 30) AS expect_ms
    FROM h
)
SELECT i, h, created_ms, now_ms, amount, currency,
       'opp_' || printf('%012x', created_ms) || printf('%020x', i) AS id,
       pk,
       CASE WHEN pk IS NULL THEN (i % 13) + 20 * (h % (pn / 20))
            WHEN i % 5 < 2 THEN (pk % 20) + 20 * ((pk / 20 + 1 + h % 37) % (pn / 20))
       END AS ik,
       CASE WHEN pk IS NULL THEN 0 WHEN pk % 20 < 13 THEN 0 WHEN pk % 20 < 17 THEN 1 ELSE 2 END AS slot,
       CASE WHEN sd < 12 THEN 'target_account' WHEN sd < 22 THEN 'first_conversation'
            WHEN sd < 30 THEN 'commercial_offer' WHEN sd < 35 THEN 'handoff'
            WHEN sd < 59 THEN 'won' ELSE 'lost' END AS stage,
       CASE WHEN sd < 12 THEN 500 WHEN sd < 22 THEN 1500 WHEN sd < 30 THEN 4000
            WHEN sd < 35 THEN 7000 WHEN sd < 59 THEN 10000 ELSE 0 END AS bp,
       CASE WHEN sd < 35 THEN NULL ELSE max(closed_ms, created_ms + 3600000) END AS closed_ms,
       CASE WHEN sd < 35 THEN expect_ms ELSE max(closed_ms, created_ms + 3600000) END AS expect_ms,
       CASE WHEN sd < 35 THEN min(created_ms + 86400000 * (1 + (h / 1024) % 60), now_ms - 3600000)
            ELSE max(closed_ms, created_ms + 3600000) END AS updated_ms,
       CASE currency WHEN 'EUR' THEN 110000000 WHEN 'GBP' THEN 130000000 WHEN 'CHF' THEN 118000000 ELSE 100000000 END AS rate_e8,
       an
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
       CASE WHEN o.pk IS NULL THEN NULL
            ELSE 'ptr_' || printf('%012x', o.now_ms - 94608000000) || printf('%020x', o.pk) END,
       NULL,
       CASE o.h % 5 WHEN 0 THEN 'Platform rollout' WHEN 1 THEN 'Analytics expansion'
            WHEN 2 THEN 'Security suite pilot' WHEN 3 THEN 'Data pipeline migration'
            ELSE 'Support plus upgrade' END,
       o.amount, o.currency,
       date(o.expect_ms / 1000, 'unixepoch'),
       CAST(strftime('%Y%m', o.expect_ms / 1000, 'unixepoch') AS INTEGER),
       o.stage, o.bp, o.amount * o.bp / 10000,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.updated_ms / 1000, 'unixepoch'),
       CASE WHEN o.pk IS NULL THEN 'direct' WHEN o.i % 4 = 3 THEN 'partner_influenced' ELSE 'partner_sourced' END,
       CASE WHEN o.i % 10 = 9 THEN 'cloud_marketplace'
            WHEN o.pk IS NULL THEN NULL
            WHEN o.i % 4 = 3 THEN 'co_sell'
            WHEN o.slot = 0 THEN 'resale' WHEN o.slot = 1 THEN 'referral' ELSE 'co_sell' END,
       CASE WHEN o.i % 10 = 9 THEN CASE o.h % 3 WHEN 0 THEN 'aws' WHEN 1 THEN 'azure' ELSE 'google_cloud' END END,
       NULL,
       (SELECT id FROM bench_staff WHERE k = o.i % (SELECT count(*) FROM bench_staff)),
       NULL,
       CASE WHEN o.closed_ms IS NULL THEN 'Send the commercial offer and pricing' END,
       date(o.closed_ms / 1000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.closed_ms / 1000, 'unixepoch'),
       CASE WHEN o.stage = 'lost' THEN CASE o.h % 5 WHEN 0 THEN 'no budget' WHEN 1 THEN 'lost to competitor'
            WHEN 2 THEN 'no decision' WHEN 3 THEN 'timing' ELSE 'other' END END,
       CASE WHEN o.closed_ms IS NOT NULL THEN 'USD' END,
       CASE WHEN o.closed_ms IS NOT NULL THEN o.rate_e8 END,
       CASE WHEN o.closed_ms IS NOT NULL AND o.currency != 'USD'
            THEN (SELECT max(r.effective_on) FROM fx_rates r WHERE r.from_currency = o.currency
                  AND r.to_currency = 'USD' AND r.effective_on <= date(o.closed_ms / 1000, 'unixepoch')) END,
       CASE WHEN o.closed_ms IS NOT NULL THEN o.amount * o.rate_e8 / 100000000 END,
       1,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.created_ms / 1000, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.updated_ms / 1000, 'unixepoch')
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
ORDER BY o.i;

-- The board's totals, as the store keeps them (the demo's deals included).
DELETE FROM pipeline_totals;
INSERT INTO pipeline_totals (program_id, stage, currency, n, amount_minor, weighted_minor)
SELECT program_id, stage, currency, count(*), sum(amount_minor), sum(weighted_minor)
FROM opportunities GROUP BY program_id, stage, currency;

INSERT INTO opportunity_partners (opportunity_id, partner_id, role, created_at)
SELECT o.id, 'ptr_' || printf('%012x', o.now_ms - 94608000000) || printf('%020x', o.pk), 'sourced',
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', o.created_ms / 1000, 'unixepoch')
FROM bench_opp o WHERE o.pk IS NOT NULL
UNION ALL
SELECT o.id, 'ptr_' || printf('%012x', o.now_ms - 94608000000) || printf('%020x', o.ik), 'influencer',
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', (o.created_ms + 3600000) / 1000, 'unixepoch')
FROM bench_opp o WHERE o.ik IS NOT NULL;

INSERT INTO touchpoints (id, opportunity_id, partner_id, kind, occurred_at, notes, logged_by,
                         logged_by_name, late, created_at)
WITH RECURSIVE j(j) AS (
    SELECT 0 WHERE (SELECT tn FROM bench_params) > 0
    UNION ALL
    SELECT j + 1 FROM j WHERE j + 1 < (SELECT tn FROM bench_params)
),
t AS (
    SELECT o.*, j.j AS j,
           o.created_ms + (coalesce(o.closed_ms, o.now_ms - 3600000) - o.created_ms) * (j.j + 1)
               / ((SELECT tn FROM bench_params) + 1) AS at_ms,
           CASE WHEN o.pk IS NULL OR (o.ik IS NOT NULL AND j.j = (SELECT tn FROM bench_params) - 1)
                THEN o.ik ELSE o.pk END AS tk
    FROM bench_opp o CROSS JOIN j
)
SELECT 'tch_' || printf('%012x', t.at_ms) || printf('%020x', t.i * 8 + t.j),
       t.id,
       'ptr_' || printf('%012x', t.now_ms - 94608000000) || printf('%020x', t.tk),
       CASE (t.h + t.j) % 7 WHEN 0 THEN 'introduction' WHEN 1 THEN 'demo' WHEN 2 THEN 'technical_validation'
            WHEN 3 THEN 'referral' WHEN 4 THEN 'marketplace_listing' WHEN 5 THEN 'event' ELSE 'campaign_lead' END,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', t.at_ms / 1000, 'unixepoch'),
       NULL, NULL, 'system (bench)', 0,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', t.at_ms / 1000, 'unixepoch')
FROM t
ORDER BY t.i, t.j;

COMMIT;

.read bench_pipeline_indexes.sql

-- The joint business plans' kept sums, as the store keeps them (the demo's rows included):
-- migration 0015's backfill, the same statements.
BEGIN IMMEDIATE;
DELETE FROM partner_plan_sums;
DELETE FROM partner_account_coverage;
INSERT INTO partner_plan_sums (partner_id, month, measure, currency, unit_minor, n, amount_minor)
SELECT partner_id, month, measure, currency, unit_minor, SUM(n), SUM(amount_minor)
FROM (
    SELECT partner_id, CAST(substr(closed_on, 1, 4) || substr(closed_on, 6, 2) AS INTEGER) AS month,
           'won' AS measure, close_rate_to AS currency, 0 AS unit_minor, 1 AS n,
           amount_at_close_minor AS amount_minor
    FROM opportunities
    WHERE source = 'partner_sourced' AND partner_id IS NOT NULL AND stage = 'won'
      AND closed_on IS NOT NULL AND close_rate_to IS NOT NULL AND amount_at_close_minor IS NOT NULL
    UNION ALL
    SELECT partner_id, CAST(substr(expected_close_on, 1, 4) || substr(expected_close_on, 6, 2) AS INTEGER),
           'open', currency, amount_minor, 1, amount_minor
    FROM opportunities
    WHERE source = 'partner_sourced' AND partner_id IS NOT NULL AND stage NOT IN ('won', 'lost')
    UNION ALL
    SELECT partner_id, CAST(substr(occurred_at, 1, 4) || substr(occurred_at, 6, 2) AS INTEGER),
           CASE kind WHEN 'introduction' THEN 'activity.discovery_call' ELSE 'activity.demo' END,
           '', 0, 1, 0
    FROM touchpoints
    WHERE late = 0 AND kind IN ('introduction', 'demo', 'technical_validation')
    UNION ALL
    SELECT r.partner_id, CAST(substr(a.occurred_at, 1, 4) || substr(a.occurred_at, 6, 2) AS INTEGER),
           CASE a.kind WHEN 'demo' THEN 'activity.demo' WHEN 'proposal' THEN 'activity.proposal'
                ELSE 'activity.discovery_call' END,
           '', 0, 1, 0
    FROM registration_activities a JOIN registrations r ON r.id = a.registration_id
    WHERE a.kind IN ('call', 'meeting', 'demo', 'proposal')
) x
GROUP BY partner_id, month, measure, currency, unit_minor
ORDER BY partner_id, month, measure, currency, unit_minor;

INSERT INTO partner_account_coverage (partner_id, account_id, opportunity_links, touches)
SELECT partner_id, account_id, SUM(links), SUM(touches)
FROM (
    SELECT op.partner_id, o.account_id, 1 AS links, 0 AS touches
    FROM opportunity_partners op JOIN opportunities o ON o.id = op.opportunity_id
    UNION ALL
    SELECT t.partner_id, o.account_id, 0, 1
    FROM touchpoints t JOIN opportunities o ON o.id = t.opportunity_id
    UNION ALL
    SELECT r.partner_id, r.account_id, 0, 1
    FROM registration_activities a JOIN registrations r ON r.id = a.registration_id
) x
GROUP BY partner_id, account_id
ORDER BY partner_id, account_id;
COMMIT;

-- Joint business plans (after the indexes: the target accounts come from each partner's
-- deals through opportunities_partner).
BEGIN IMMEDIATE;
CREATE TEMP TABLE bench_plan AS
WITH RECURSIVE k(k) AS (
    SELECT 0 WHERE (SELECT min(plans, (pn - 1) * 3 / 4) FROM bench_params) > 0
    UNION ALL
    SELECT k + 1 FROM k WHERE k + 1 < (SELECT min(plans, (pn - 1) * 3 / 4) FROM bench_params)
)
SELECT k.k AS k,
       'jbp_' || printf('%012x', p.now_ms) || printf('%020x', k.k) AS id,
       'ptr_' || printf('%012x', p.now_ms - 94608000000) || printf('%020x', k.k + k.k / 3 + 1) AS partner_id,
       CASE WHEN (k.k + k.k / 3 + 1) % 20 < 13 THEN 0 WHEN (k.k + k.k / 3 + 1) % 20 < 17 THEN 1 ELSE 2 END AS slot,
       date(p.now_ms / 1000, 'unixepoch', 'start of month',
            '-' || ((CAST(strftime('%m', p.now_ms / 1000, 'unixepoch') AS INTEGER) - 1) % 3 + 3) || ' months') AS period_start,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', (p.now_ms - 86400000 * 120) / 1000, 'unixepoch') AS signed_at
FROM k CROSS JOIN bench_params p;
CREATE TEMP TABLE bench_plan_content AS
SELECT b.id,
       json_object(
           'target_account_ids', (SELECT json_group_array(a.account_id) FROM (
               SELECT DISTINCT o.account_id FROM opportunities o
               WHERE o.partner_id = b.partner_id ORDER BY o.account_id LIMIT 20) a),
           'milestones', json_array(
               json_object('quarter', 1, 'sourced_arr_minor', 15000000),
               json_object('quarter', 2, 'sourced_arr_minor', 15000000),
               json_object('quarter', 3, 'sourced_arr_minor', 15000000),
               json_object('quarter', 4, 'sourced_arr_minor', 15000000)),
           'activities', json_array(
               json_object('quarter', 1, 'kind', 'discovery_call', 'count', 8),
               json_object('quarter', 1, 'kind', 'demo', 'count', 4),
               json_object('quarter', 2, 'kind', 'discovery_call', 'count', 8),
               json_object('quarter', 2, 'kind', 'demo', 'count', 4),
               json_object('quarter', 2, 'kind', 'proposal', 'count', 2)),
           'marketing', json_array(),
           'cadence', json_object('monthly_pipeline_review', json('true'),
                                  'quarterly_business_review', json('true'))) AS content
FROM bench_plan b;
INSERT INTO business_plans (id, program_id, partner_id, title, period_start, currency, status,
                            version, content, partner_signed_by, partner_signed_at,
                            vendor_signed_by, vendor_signed_at, created_at, updated_at)
SELECT b.id, bp.id, b.partner_id, 'Joint business plan (bench)', b.period_start, 'USD', 'agreed',
       1, c.content, NULL, b.signed_at, NULL, b.signed_at, b.signed_at, b.signed_at
FROM bench_plan b
JOIN bench_plan_content c ON c.id = b.id
JOIN bench_programs bp ON bp.slot = b.slot
ORDER BY b.k;
INSERT INTO business_plan_versions (plan_id, version, content, change_note, author_name, created_at)
SELECT b.id, 1, c.content, 'first draft', 'system (bench)', b.signed_at
FROM bench_plan b JOIN bench_plan_content c ON c.id = b.id
ORDER BY b.k;
COMMIT;

PRAGMA wal_checkpoint(TRUNCATE);

SELECT 'PREFILL partners=' || (SELECT count(*) FROM partners)
    || ' accounts=' || (SELECT count(*) FROM accounts)
    || ' opportunities=' || (SELECT count(*) FROM opportunities)
    || ' touchpoints=' || (SELECT count(*) FROM touchpoints)
    || ' opportunity_partners=' || (SELECT count(*) FROM opportunity_partners)
    || ' totals=' || (SELECT sum(n) FROM pipeline_totals)
    || ' plans=' || (SELECT count(*) FROM business_plans WHERE title = 'Joint business plan (bench)');
