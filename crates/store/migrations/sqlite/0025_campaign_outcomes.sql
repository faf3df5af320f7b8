-- A campaign may be funded by an MDF request: the deals its leads open then count in that
-- activity's ROI. SQLite flavour; keep in step with migrations/postgres/0025_campaign_outcomes.sql.
ALTER TABLE campaigns ADD COLUMN mdf_request_id TEXT REFERENCES mdf_requests (id);
CREATE INDEX campaigns_mdf_request ON campaigns (mdf_request_id);
