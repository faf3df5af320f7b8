-- bench/pipeline/prefill-postgres.sql -- bulk pre-fill for bench/pipeline.sh (PostgreSQL).
--
-- Runs with psql on a database that `partnerops demo --no-serve` created, migrated and
-- seeded:  psql -X -v ON_ERROR_STOP=1 -v partners=10000 -v accounts=200000
--          -v opportunities=1000000 -v touchpoints=5 -v plans=300 -f prefill-postgres.sql
-- Keep in step with prefill-sqlite.sql, which explains the data: same ids, spread and
-- values; here dates are DATE and times TIMESTAMPTZ. Foreign-key triggers are off for the
-- session (every reference is taken from existing rows) and the indexes of the filled
-- tables are dropped and recreated from their own definitions (pg_indexes).

SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET session_replication_role = replica;

CREATE TEMP TABLE bench_params AS
SELECT greatest(:partners - (SELECT count(*) FROM partners), 0)::bigint AS pn,
       (:accounts)::bigint AS an,
       (:opportunities)::bigint AS n,
       (:touchpoints)::bigint AS tn,
       (:plans)::bigint AS plans,
       ((extract(epoch FROM clock_timestamp()) * 1000)::bigint / 60000 * 60000) AS now_ms;

CREATE TEMP TABLE bench_programs AS
SELECT p.id AS id,
       CASE p.name WHEN 'Reseller Program' THEN 0 WHEN 'Referral Program' THEN 1 ELSE 2 END AS slot,
       (SELECT t.id FROM tiers t WHERE t.program_id = p.id ORDER BY t.rank LIMIT 1) AS tier_id
FROM programs p
WHERE p.archived_at IS NULL AND p.name IN ('Reseller Program', 'Referral Program', 'Technology Alliance');

CREATE TEMP TABLE bench_staff AS
SELECT (row_number() OVER (ORDER BY id) - 1)::bigint AS k, id
FROM users
WHERE partner_id IS NULL AND role IN ('direct_sales', 'channel_manager') AND archived_at IS NULL;

CREATE TEMP TABLE bench_indexes AS
SELECT i.indexname, i.indexdef
FROM pg_indexes i
WHERE i.schemaname = current_schema()
  AND i.tablename IN ('partners', 'accounts', 'opportunities', 'opportunity_partners', 'touchpoints')
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
       bp.id, bp.tier_id, 'active', 'US', '["north_america"]', '[]',
       pg_temp.day(p.now_ms - 94608000000),
       pg_temp.ts(p.now_ms - 94608000000),
       pg_temp.ts(p.now_ms - 94608000000),
       NULL, NULL, NULL, 0
FROM bench_params p
CROSS JOIN generate_series(0::bigint, p.pn - 1) AS k
JOIN bench_programs bp ON bp.slot = CASE WHEN k % 20 < 13 THEN 0 WHEN k % 20 < 17 THEN 1 ELSE 2 END;

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
           p.now_ms - 94608000000 + i * (94608000000 / p.n) AS created_ms,
           p.now_ms AS now_ms,
           p.pn AS pn,
           p.an AS an
    FROM bench_params p CROSS JOIN generate_series(0::bigint, p.n - 1) AS i
),
d AS (
    SELECT h.*,
           CASE WHEN i % 4 = 0 THEN NULL ELSE h % pn END AS pk,
           (h / 256) % 100 AS sd,
           500000 + ((h / 16) % 200) * 100000 AS amount,
           CASE (h / 4096) % 20 WHEN 0 THEN 'EUR' WHEN 1 THEN 'EUR' WHEN 2 THEN 'GBP' WHEN 3 THEN 'CHF' ELSE 'USD' END AS currency,
           least(created_ms + 86400000 * (30 + (h / 65536) % 121), now_ms - 86400000) AS closed_ms,
           now_ms + 86400000 * ((h / 65536) % 210 - 30) AS expect_ms
    FROM h
)
SELECT i, h, created_ms, now_ms, amount, currency,
       'opp_' || pg_temp.hex(created_ms, 12) || pg_temp.hex(i, 20) AS id,
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
       CASE WHEN sd < 35 THEN NULL ELSE greatest(closed_ms, created_ms + 3600000) END AS closed_ms,
       CASE WHEN sd < 35 THEN expect_ms ELSE greatest(closed_ms, created_ms + 3600000) END AS expect_ms,
       CASE WHEN sd < 35 THEN least(created_ms + 86400000 * (1 + (h / 1024) % 60), now_ms - 3600000)
            ELSE greatest(closed_ms, created_ms + 3600000) END AS updated_ms,
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
       'acc_' || pg_temp.hex(o.now_ms - 94608000000, 12) || pg_temp.hex((o.i * 7919) % o.an, 20),
       CASE WHEN o.pk IS NULL THEN NULL
            ELSE 'ptr_' || pg_temp.hex(o.now_ms - 94608000000, 12) || pg_temp.hex(o.pk, 20) END,
       NULL,
       CASE o.h % 5 WHEN 0 THEN 'Platform rollout' WHEN 1 THEN 'Analytics expansion'
            WHEN 2 THEN 'Security suite pilot' WHEN 3 THEN 'Data pipeline migration'
            ELSE 'Support plus upgrade' END,
       o.amount, o.currency,
       pg_temp.day(o.expect_ms),
       to_char(pg_temp.day(o.expect_ms), 'YYYYMM')::bigint,
       o.stage, o.bp, o.amount * o.bp / 10000,
       pg_temp.ts(o.updated_ms),
       CASE WHEN o.pk IS NULL THEN 'direct' WHEN o.i % 4 = 3 THEN 'partner_influenced' ELSE 'partner_sourced' END,
       CASE WHEN o.i % 10 = 9 THEN 'cloud_marketplace'
            WHEN o.pk IS NULL THEN NULL
            WHEN o.i % 4 = 3 THEN 'co_sell'
            WHEN o.slot = 0 THEN 'resale' WHEN o.slot = 1 THEN 'referral' ELSE 'co_sell' END,
       CASE WHEN o.i % 10 = 9 THEN CASE o.h % 3 WHEN 0 THEN 'aws' WHEN 1 THEN 'azure' ELSE 'google_cloud' END END,
       NULL,
       s.id,
       NULL,
       CASE WHEN o.closed_ms IS NULL THEN 'Send the commercial offer and pricing' END,
       pg_temp.day(o.closed_ms),
       pg_temp.ts(o.closed_ms),
       CASE WHEN o.stage = 'lost' THEN CASE o.h % 5 WHEN 0 THEN 'no budget' WHEN 1 THEN 'lost to competitor'
            WHEN 2 THEN 'no decision' WHEN 3 THEN 'timing' ELSE 'other' END END,
       CASE WHEN o.closed_ms IS NOT NULL THEN 'USD' END,
       CASE WHEN o.closed_ms IS NOT NULL THEN o.rate_e8 END,
       CASE WHEN o.closed_ms IS NOT NULL AND o.currency <> 'USD'
            THEN (SELECT max(r.effective_on) FROM fx_rates r WHERE r.from_currency = o.currency
                  AND r.to_currency = 'USD' AND r.effective_on <= pg_temp.day(o.closed_ms)) END,
       CASE WHEN o.closed_ms IS NOT NULL THEN o.amount * o.rate_e8 / 100000000 END,
       1,
       pg_temp.ts(o.created_ms),
       pg_temp.ts(o.updated_ms)
FROM bench_opp o
JOIN bench_programs bp ON bp.slot = o.slot
JOIN bench_staff s ON s.k = o.i % (SELECT count(*) FROM bench_staff)
ORDER BY o.i;

-- The board's totals, as the store keeps them (the demo's deals included).
DELETE FROM pipeline_totals;
INSERT INTO pipeline_totals (program_id, stage, currency, n, amount_minor, weighted_minor)
SELECT program_id, stage, currency, count(*), sum(amount_minor), sum(weighted_minor)
FROM opportunities GROUP BY program_id, stage, currency;

INSERT INTO opportunity_partners (opportunity_id, partner_id, role, created_at)
SELECT o.id, 'ptr_' || pg_temp.hex(o.now_ms - 94608000000, 12) || pg_temp.hex(o.pk, 20), 'sourced',
       pg_temp.ts(o.created_ms)
FROM bench_opp o WHERE o.pk IS NOT NULL
UNION ALL
SELECT o.id, 'ptr_' || pg_temp.hex(o.now_ms - 94608000000, 12) || pg_temp.hex(o.ik, 20), 'influencer',
       pg_temp.ts(o.created_ms + 3600000)
FROM bench_opp o WHERE o.ik IS NOT NULL;

INSERT INTO touchpoints (id, opportunity_id, partner_id, kind, occurred_at, notes, logged_by,
                         logged_by_name, late, created_at)
SELECT 'tch_' || pg_temp.hex(t.at_ms, 12) || pg_temp.hex(t.i * 8 + t.j, 20),
       t.id,
       'ptr_' || pg_temp.hex(t.now_ms - 94608000000, 12) || pg_temp.hex(t.tk, 20),
       CASE (t.h + t.j) % 7 WHEN 0 THEN 'introduction' WHEN 1 THEN 'demo' WHEN 2 THEN 'technical_validation'
            WHEN 3 THEN 'referral' WHEN 4 THEN 'marketplace_listing' WHEN 5 THEN 'event' ELSE 'campaign_lead' END,
       pg_temp.ts(t.at_ms),
       NULL, NULL, 'system (bench)', 0,
       pg_temp.ts(t.at_ms)
FROM (
    SELECT o.*, j,
           o.created_ms + (coalesce(o.closed_ms, o.now_ms - 3600000) - o.created_ms) * (j + 1)
               / (p.tn + 1) AS at_ms,
           CASE WHEN o.pk IS NULL OR (o.ik IS NOT NULL AND j = p.tn - 1) THEN o.ik ELSE o.pk END AS tk
    FROM bench_opp o CROSS JOIN bench_params p CROSS JOIN generate_series(0::bigint, p.tn - 1) AS j
) t
ORDER BY t.i, t.j;

COMMIT;

SELECT indexdef FROM bench_indexes \gexec

-- The joint business plans' kept sums, as the store keeps them (the demo's rows included):
-- migration 0015's backfill, the same statements.
BEGIN;
DELETE FROM partner_plan_sums;
DELETE FROM partner_account_coverage;
INSERT INTO partner_plan_sums (partner_id, month, measure, currency, unit_minor, n, amount_minor)
SELECT partner_id, month, measure, currency, unit_minor, SUM(n), SUM(amount_minor)
FROM (
    SELECT partner_id, CAST(to_char(closed_on, 'YYYYMM') AS BIGINT) AS month,
           'won' AS measure, close_rate_to AS currency, 0 AS unit_minor, 1 AS n,
           amount_at_close_minor AS amount_minor
    FROM opportunities
    WHERE source = 'partner_sourced' AND partner_id IS NOT NULL AND stage = 'won'
      AND closed_on IS NOT NULL AND close_rate_to IS NOT NULL AND amount_at_close_minor IS NOT NULL
    UNION ALL
    SELECT partner_id, CAST(to_char(expected_close_on, 'YYYYMM') AS BIGINT),
           'open', currency, amount_minor, 1, amount_minor
    FROM opportunities
    WHERE source = 'partner_sourced' AND partner_id IS NOT NULL AND stage NOT IN ('won', 'lost')
    UNION ALL
    SELECT partner_id, CAST(to_char(occurred_at AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT),
           CASE kind WHEN 'introduction' THEN 'activity.discovery_call' ELSE 'activity.demo' END,
           '', 0, 1, 0
    FROM touchpoints
    WHERE late = 0 AND kind IN ('introduction', 'demo', 'technical_validation')
    UNION ALL
    SELECT r.partner_id, CAST(to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT),
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
BEGIN;
CREATE TEMP TABLE bench_plan AS
SELECT k,
       'jbp_' || pg_temp.hex(p.now_ms, 12) || pg_temp.hex(k, 20) AS id,
       'ptr_' || pg_temp.hex(p.now_ms - 94608000000, 12) || pg_temp.hex(k + k / 3 + 1, 20) AS partner_id,
       CASE WHEN (k + k / 3 + 1) % 20 < 13 THEN 0 WHEN (k + k / 3 + 1) % 20 < 17 THEN 1 ELSE 2 END AS slot,
       (date_trunc('quarter', pg_temp.day(p.now_ms)) - interval '3 months')::date AS period_start,
       pg_temp.ts(p.now_ms - 86400000::bigint * 120) AS signed_at
FROM bench_params p CROSS JOIN generate_series(0::bigint, least(p.plans, (p.pn - 1) * 3 / 4) - 1) AS k;
CREATE TEMP TABLE bench_plan_content AS
SELECT b.id,
       jsonb_build_object(
           'target_account_ids', (SELECT coalesce(jsonb_agg(a.account_id ORDER BY a.account_id), '[]'::jsonb) FROM (
               SELECT DISTINCT o.account_id FROM opportunities o
               WHERE o.partner_id = b.partner_id ORDER BY o.account_id LIMIT 20) a),
           'milestones', jsonb_build_array(
               jsonb_build_object('quarter', 1, 'sourced_arr_minor', 15000000),
               jsonb_build_object('quarter', 2, 'sourced_arr_minor', 15000000),
               jsonb_build_object('quarter', 3, 'sourced_arr_minor', 15000000),
               jsonb_build_object('quarter', 4, 'sourced_arr_minor', 15000000)),
           'activities', jsonb_build_array(
               jsonb_build_object('quarter', 1, 'kind', 'discovery_call', 'count', 8),
               jsonb_build_object('quarter', 1, 'kind', 'demo', 'count', 4),
               jsonb_build_object('quarter', 2, 'kind', 'discovery_call', 'count', 8),
               jsonb_build_object('quarter', 2, 'kind', 'demo', 'count', 4),
               jsonb_build_object('quarter', 2, 'kind', 'proposal', 'count', 2)),
           'marketing', '[]'::jsonb,
           'cadence', jsonb_build_object('monthly_pipeline_review', true,
                                         'quarterly_business_review', true))::text AS content
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

SET session_replication_role = origin;
ANALYZE partners;
ANALYZE accounts;
ANALYZE opportunities;
ANALYZE opportunity_partners;
ANALYZE touchpoints;
ANALYZE pipeline_totals;
ANALYZE business_plans;
ANALYZE partner_plan_sums;
ANALYZE partner_account_coverage;

SELECT 'PREFILL partners=' || (SELECT count(*) FROM partners)
    || ' accounts=' || (SELECT count(*) FROM accounts)
    || ' opportunities=' || (SELECT count(*) FROM opportunities)
    || ' touchpoints=' || (SELECT count(*) FROM touchpoints)
    || ' opportunity_partners=' || (SELECT count(*) FROM opportunity_partners)
    || ' totals=' || (SELECT sum(n) FROM pipeline_totals)
    || ' plans=' || (SELECT count(*) FROM business_plans WHERE title = 'Joint business plan (bench)');
