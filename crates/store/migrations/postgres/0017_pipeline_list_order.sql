-- Indexes in the pipeline list's and the board's order. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0017_pipeline_list_order.sql (same index names).

-- The board's won and lost columns show a program's latest closed deals first
-- (updated_at DESC, id DESC). With only (program_id, stage, expected_close_on, id) the
-- store read every won or lost deal of the program (some 170,000 and 290,000 of a
-- 700,000-deal program at 1M deals), joined each to its account and partner, and sorted
-- them to keep eight. In this order a column is its index's first eight entries.
CREATE INDEX opportunities_program_stage_updated ON opportunities (program_id, stage, updated_at, id);

-- A partner's deals in one stage, in the list's default order (updated_at, id): a page and
-- the cursor's next page read their rows in order instead of sorting the partner's stage.
-- Same name and leading columns as before (it still serves partner_id and
-- (partner_id, stage) lookups and the foreign key).
DROP INDEX opportunities_partner;
CREATE INDEX opportunities_partner ON opportunities (partner_id, stage, updated_at, id);
