-- Indexes the benchmarks asked for. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0013_bench_indexes.sql (same index names).

-- A JBP's attainment asks, for each target account's deals, whether the plan's partner
-- logged a touchpoint on it: with both columns the answer is one index probe per deal,
-- instead of a walk over the partner's touchpoints (touchpoints_partner) or the deal's
-- (touchpoints_opportunity) in the table (bench/README.md, JBP attainment).
CREATE INDEX touchpoints_opportunity_partner ON touchpoints (opportunity_id, partner_id);
