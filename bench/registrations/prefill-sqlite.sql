-- bench/registrations/prefill-sqlite.sql -- bulk pre-fill for bench/registrations.sh (SQLite).
--
-- Runs with the sqlite3 shell on a database that `partnerops demo --no-serve` created,
-- migrated and seeded. Parameters (sqlite3 `.parameter set`):
--   :accounts       accounts in total afterwards (the demo's included), e.g. 1000000
--   :registrations  approved registrations to add, one per account, e.g. 250000
-- Keep in step with prefill-postgres.sql: same names, domains, spread and timestamps.
--
-- Accounts: made-up company names "<Word1> <Word2> <Suffix>" of consonant-vowel syllables
-- (17 x 5 = 85 syllables); the name block is Word1's first two syllables, so there are
-- 85^2 = 7,225 blocks and about 36 accounts per (US, block) at 1M accounts (countries are
-- weighted like the demo seed: US 26 %, DE 10 %, GB 8 %, ...). Domains are unique:
-- "<word1word2>-<n>.example". name_key is the lowercase name (the generated names have no
-- accents, punctuation or legal form, so that is what the core's normalisation gives) and
-- name_block its first four letters.
--
-- Registrations: every (accounts/registrations)-th new account, round robin over the
-- active partners (each with its own program and its partner admin as submitter), status
-- 'approved', submitted 1-60 days ago, approved 1-23 hours after submission, expiring 90
-- days after approval, last activity 0-3 days ago and its SLA due 14 days after that (so
-- both expiry and SLA lie in the future).

PRAGMA foreign_keys = OFF;        -- every reference below is taken from existing rows
PRAGMA synchronous = OFF;         -- a bulk load into a file that is rebuilt if it breaks
PRAGMA cache_size = -400000;      -- 400 MB
-- (PRAGMA temp_store = MEMORY is set by the caller before `.parameter set`: changing it
-- here would drop the temp tables, the parameters included.)

BEGIN IMMEDIATE;

-- The demo's own accounts, if the build at hand does not fill the matching keys yet.
UPDATE accounts
SET name_key = lower(name),
    name_block = substr(replace(lower(name), ' ', ''), 1, 4)
WHERE name_key IS NULL;

CREATE TEMP TABLE bench_params AS
SELECT max(:accounts - (SELECT count(*) FROM accounts), 0) AS n,
       :registrations AS r,
       CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms;

CREATE TEMP TABLE bench_partners AS
SELECT row_number() OVER (ORDER BY p.id) - 1 AS k,
       p.id AS partner_id,
       p.program_id AS program_id,
       u.id AS user_id
FROM partners p
JOIN users u ON u.partner_id = p.id AND u.role = 'partner_admin' AND u.archived_at IS NULL
WHERE p.status = 'active' AND p.archived_at IS NULL;

-- One row per new account, materialised so each random value is drawn once.
CREATE TEMP TABLE gen AS
WITH RECURSIVE s(i) AS (
    SELECT 1 WHERE (SELECT n FROM bench_params) > 0
    UNION ALL
    SELECT i + 1 FROM s WHERE i < (SELECT n FROM bench_params)
)
SELECT i,
       -- created over the last two years, in id order (ids are time-ordered like UUIDv7)
       (SELECT now_ms FROM bench_params) - 63072000000
           + i * (63072000000 / ((SELECT n FROM bench_params) + 1)) AS ms,
       upper(substr('bcdfghjklmnprstvz', 1 + abs(random()) % 17, 1)) || substr('aeiou', 1 + abs(random()) % 5, 1)
         || substr('bcdfghjklmnprstvz', 1 + abs(random()) % 17, 1) || substr('aeiou', 1 + abs(random()) % 5, 1)
         || substr('bcdfghjklmnprstvz', 1 + abs(random()) % 17, 1) || substr('aeiou', 1 + abs(random()) % 5, 1) AS w1,
       upper(substr('bcdfghjklmnprstvz', 1 + abs(random()) % 17, 1)) || substr('aeiou', 1 + abs(random()) % 5, 1)
         || substr('bcdfghjklmnprstvz', 1 + abs(random()) % 17, 1) || substr('aeiou', 1 + abs(random()) % 5, 1) AS w2,
       rtrim(substr('Systems   Labs      Foods     Logistics Energy    Health    Media     Motors    Partners  Analytics Capital   Retail    Works     Studio    Networks  Pharma    Textiles  Robotics  Finance   Airlines  ',
                    1 + 10 * (abs(random()) % 20), 10)) AS sfx,
       substr('USUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSUSDEDEDEDEDEDEDEDEDEDEGBGBGBGBGBGBGBGBFRFRFRFRFRFRFRBRBRBRBRBRCACACACAJPJPJPJPININININAUAUAUITITITESESESMXMXMXKRKRNLNLSGSGCHCHATATSESEPLCOIECLAEARNZZA',
              1 + 2 * (abs(random()) % 100), 2) AS country,
       rtrim(substr('Software          Manufacturing     Retail            Healthcare        Financial servicesLogistics         Education         Energy            Media             Public sector     ',
                    1 + 18 * (abs(random()) % 10), 18)) AS industry,
       CASE WHEN abs(random()) % 100 < 30 THEN 'customer' ELSE 'prospect' END AS status,
       lower(hex(randomblob(10))) AS rnd
FROM s;

INSERT INTO accounts (id, name, web_domain, country, industry, direct_owner_id, status,
                      created_at, updated_at, archived_at, name_key, name_block)
SELECT 'acc_' || printf('%012x', ms) || '7' || substr(rnd, 1, 19),
       w1 || ' ' || w2 || ' ' || sfx,
       lower(w1 || w2) || '-' || i || '.example',
       country,
       industry,
       NULL,
       status,
       strftime('%Y-%m-%dT%H:%M:%S', ms / 1000, 'unixepoch') || printf('.%03d000Z', ms % 1000),
       strftime('%Y-%m-%dT%H:%M:%S', ms / 1000, 'unixepoch') || printf('.%03d000Z', ms % 1000),
       NULL,
       lower(w1 || ' ' || w2 || ' ' || sfx),
       lower(substr(w1, 1, 4))
FROM gen
ORDER BY i;

-- Timestamps of the registrations, spread deterministically from i.
CREATE TEMP TABLE reg AS
SELECT g.i AS i,
       'acc_' || printf('%012x', g.ms) || '7' || substr(g.rnd, 1, 19) AS account_id,
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
WHERE p.r > 0 AND (g.i * min(p.r, p.n)) / p.n != ((g.i - 1) * min(p.r, p.n)) / p.n;

INSERT INTO registrations (id, program_id, partner_id, account_id, status, title, product,
                           est_arr_minor, currency, expected_close_on, submitted_by,
                           submitted_at, approved_at, expires_at, renewals, last_activity_at,
                           sla_due_at, sla_missed_at, closed_at, possible_duplicate_of,
                           policy_version, created_at, updated_at)
SELECT 'reg_' || printf('%012x', submitted_ms) || '7' || substr(rnd, 2, 19),
       program_id, partner_id, account_id, 'approved', w1 || ' platform deal', NULL,
       100000 + (i * 2654435761) % 50000000, 'USD', NULL, user_id,
       strftime('%Y-%m-%dT%H:%M:%S', submitted_ms / 1000, 'unixepoch') || printf('.%03d000Z', submitted_ms % 1000),
       strftime('%Y-%m-%dT%H:%M:%S', (submitted_ms + 3600000 * (1 + i % 23)) / 1000, 'unixepoch')
           || printf('.%03d000Z', submitted_ms % 1000),
       strftime('%Y-%m-%dT%H:%M:%S', (submitted_ms + 3600000 * (1 + i % 23) + 90 * 86400000) / 1000, 'unixepoch')
           || printf('.%03d000Z', submitted_ms % 1000),
       0,
       strftime('%Y-%m-%dT%H:%M:%S', activity_ms / 1000, 'unixepoch') || printf('.%03d000Z', activity_ms % 1000),
       strftime('%Y-%m-%dT%H:%M:%S', (activity_ms + 14 * 86400000) / 1000, 'unixepoch') || printf('.%03d000Z', activity_ms % 1000),
       NULL, NULL, NULL,
       1,
       strftime('%Y-%m-%dT%H:%M:%S', submitted_ms / 1000, 'unixepoch') || printf('.%03d000Z', submitted_ms % 1000),
       strftime('%Y-%m-%dT%H:%M:%S', (submitted_ms + 3600000 * (1 + i % 23)) / 1000, 'unixepoch')
           || printf('.%03d000Z', submitted_ms % 1000)
FROM reg
ORDER BY submitted_ms;

COMMIT;

PRAGMA wal_checkpoint(TRUNCATE);

SELECT 'PREFILL accounts=' || (SELECT count(*) FROM accounts)
    || ' held=' || (SELECT count(*) FROM registrations WHERE status IN ('pending', 'approved'))
    || ' partners=' || (SELECT count(*) FROM bench_partners);
