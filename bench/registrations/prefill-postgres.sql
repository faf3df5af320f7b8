-- bench/registrations/prefill-postgres.sql -- bulk pre-fill for bench/registrations.sh (PostgreSQL).
--
-- Runs with psql on a database that `partnerops demo --no-serve` created, migrated and
-- seeded:  psql -X -v ON_ERROR_STOP=1 -v accounts=1000000 -v registrations=250000 -f ...
--   accounts       accounts in total afterwards (the demo's included)
--   registrations  approved registrations to add, one per account
-- Keep in step with prefill-sqlite.sql, which explains the data: same names, domains,
-- spread and timestamps; here the timestamps are timestamptz.

SET synchronous_commit = off;   -- a bulk load into a database that is rebuilt if it breaks
SET maintenance_work_mem = '256MB';

BEGIN;

-- The demo's own accounts, if the build at hand does not fill the matching keys yet.
UPDATE accounts
SET name_key = lower(name),
    name_block = substr(replace(lower(name), ' ', ''), 1, 4)
WHERE name_key IS NULL;

CREATE TEMP TABLE bench_params AS
SELECT greatest(:accounts - (SELECT count(*) FROM accounts), 0)::bigint AS n,
       (:registrations)::bigint AS r,
       (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms;

CREATE TEMP TABLE bench_partners AS
SELECT (row_number() OVER (ORDER BY p.id) - 1)::bigint AS k,
       p.id AS partner_id,
       p.program_id AS program_id,
       u.id AS user_id
FROM partners p
JOIN users u ON u.partner_id = p.id AND u.role = 'partner_admin' AND u.archived_at IS NULL
WHERE p.status = 'active' AND p.archived_at IS NULL;

-- One row per new account, materialised so each random value is drawn once.
CREATE TEMP TABLE gen AS
SELECT i,
       p.now_ms - 63072000000 + i * (63072000000 / (p.n + 1)) AS ms,
       upper(substr('bcdfghjklmnprstvz', 1 + floor(random() * 17)::int, 1)) || substr('aeiou', 1 + floor(random() * 5)::int, 1)
         || substr('bcdfghjklmnprstvz', 1 + floor(random() * 17)::int, 1) || substr('aeiou', 1 + floor(random() * 5)::int, 1)
         || substr('bcdfghjklmnprstvz', 1 + floor(random() * 17)::int, 1) || substr('aeiou', 1 + floor(random() * 5)::int, 1) AS w1,
       upper(substr('bcdfghjklmnprstvz', 1 + floor(random() * 17)::int, 1)) || substr('aeiou', 1 + floor(random() * 5)::int, 1)
         || substr('bcdfghjklmnprstvz', 1 + floor(random() * 17)::int, 1) || substr('aeiou', 1 + floor(random() * 5)::int, 1) AS w2,
       rtrim(substr('Systems   Labs      Foods     Logistics Energy    Health    Media     Motors    Partners  Analytics Capital   Retail    Works     Studio    Networks  Pharma    Textiles  Robotics  Finance   Airlines  ',
                    1 + 10 * floor(random() * 20)::int, 10)) AS sfx,
       substr('USUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSDEDEDEDEDEDEDEDEDEDEGBGBGBGBGBGBGBGBFRFRFRFRFRFRFRBRBRBRBRBRCACACACAJPJPJPJPININININAUAUAUITITITESESESMXMXMXKRKRNLNLSGSGCHCHATATSESEPLCOIECLAEARNZZA',
              1 + 2 * floor(random() * 100)::int, 2) AS country,
       rtrim(substr('Software          Manufacturing     Retail            Healthcare        Financial servicesLogistics         Education         Energy            Media             Public sector     ',
                    1 + 18 * floor(random() * 10)::int, 18)) AS industry,
       CASE WHEN random() < 0.3 THEN 'customer' ELSE 'prospect' END AS status,
       md5(random()::text || i::text) AS rnd
FROM bench_params p, generate_series(1::bigint, p.n) AS i;

INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status,
                      created_at, updated_at, archived_at, name_key, name_block)
SELECT 'acc_' || lpad(to_hex(ms), 12, '0') || '7' || substr(rnd, 1, 19),
       w1 || ' ' || w2 || ' ' || sfx,
       lower(w1 || w2) || '-' || i || '.example',
       country,
       industry,
       NULL,
       status,
       to_timestamp(ms / 1000.0),
       to_timestamp(ms / 1000.0),
       NULL,
       lower(w1 || ' ' || w2 || ' ' || sfx),
       lower(substr(w1, 1, 4))
FROM gen
ORDER BY i;

-- Timestamps of the registrations, spread deterministically from i.
CREATE TEMP TABLE reg AS
SELECT g.i AS i,
       'acc_' || lpad(to_hex(g.ms), 12, '0') || '7' || substr(g.rnd, 1, 19) AS account_id,
       g.w1 AS w1,
       g.rnd AS rnd,
       bp.partner_id AS partner_id,
       bp.program_id AS program_id,
       bp.user_id AS user_id,
       p.now_ms - 86400000 * (1 + (g.i * 7919) % 60) - (g.i * 104729) % 86400000 AS submitted_ms,
       p.now_ms - 86400000 * (g.i % 3) - (g.i * 31337) % 86400000 AS activity_ms
FROM gen g
CROSS JOIN bench_params p
JOIN bench_partners bp ON bp.k = g.i % (SELECT count(*) FROM bench_partners)
WHERE p.r > 0 AND (g.i * least(p.r, p.n)) / p.n <> ((g.i - 1) * least(p.r, p.n)) / p.n;

INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, product,
                           est_arr_minor, currency, expected_close_on, submitted_by,
                           submitted_at, approved_at, expires_at, renewals, last_activity_at,
                           sla_due_at, sla_missed_at, closed_at, possible_duplicate_of,
                           policy_version, created_at, updated_at)
SELECT 'reg_' || lpad(to_hex(submitted_ms), 12, '0') || '7' || substr(rnd, 2, 19),
       program_id, partner_id, account_id, 'approved', w1 || ' platform deal', NULL,
       100000 + (i * 2654435761) % 50000000, 'USD', NULL, user_id,
       to_timestamp(submitted_ms / 1000.0),
       to_timestamp((submitted_ms + 3600000 * (1 + i % 23)) / 1000.0),
       to_timestamp((submitted_ms + 3600000 * (1 + i % 23) + 90 * 86400000::bigint) / 1000.0),
       0,
       to_timestamp(activity_ms / 1000.0),
       to_timestamp((activity_ms + 14 * 86400000::bigint) / 1000.0),
       NULL, NULL, NULL,
       1,
       to_timestamp(submitted_ms / 1000.0),
       to_timestamp((submitted_ms + 3600000 * (1 + i % 23)) / 1000.0)
FROM reg
ORDER BY submitted_ms;

COMMIT;

-- What a long-running database has: statistics and a visibility map.
VACUUM ANALYZE accounts;
VACUUM ANALYZE registrations;
CHECKPOINT;

SELECT 'PREFILL accounts=' || (SELECT count(*) FROM accounts)
    || ' held=' || (SELECT count(*) FROM registrations WHERE status IN ('pending', 'approved'))
    || ' partners=' || (SELECT count(*) FROM bench_partners) AS prefill;
