-- Per-partner sums that a joint business plan's attainment reads instead of the partner's
-- deals, touchpoints and registration activities (bench/README.md, JBP attainment), kept
-- in the transaction of every write that changes them (store::business_plan::facts).
-- PostgreSQL flavour; keep in step with migrations/sqlite/0015_plan_sums.sql (same tables,
-- columns, index names and backfill).
--
-- partner_plan_sums, per partner, month (YYYYMM) and measure:
--   won                partner-sourced deals won, by close month and the currency of their
--                      rate at close (close_rate_to): n, amount_minor (at close); unit 0;
--   open               partner-sourced open deals, by expected-close month, currency and
--                      amount (unit_minor): attainment converts each deal at today's rate
--                      and rounds each, so equal amounts are counted, never summed first;
--   activity.<kind>    touchpoints not late and registration activities, by month (UTC) and
--                      the commitment they count towards (core::business_plan::attainment::
--                      commitment_of_touchpoint / commitment_of_activity): n; currency ''.
-- partner_account_coverage, per partner and account: its links to the account's deals
-- (opportunity_partners) and its touches (its touchpoints on those deals, the activities of
-- its registrations on the account); a target account is touched / has an opportunity
-- when they are above 0.

CREATE TABLE partner_plan_sums (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    month BIGINT NOT NULL,
    measure TEXT NOT NULL,
    currency TEXT NOT NULL,
    unit_minor BIGINT NOT NULL,
    n BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (partner_id, month, measure, currency, unit_minor)
);

CREATE TABLE partner_account_coverage (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    opportunity_links BIGINT NOT NULL,
    touches BIGINT NOT NULL,
    PRIMARY KEY (partner_id, account_id)
);
CREATE INDEX partner_account_coverage_account ON partner_account_coverage (account_id);

-- Backfill from the rows (Store::check_plan_sums runs this part again and compares).
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
