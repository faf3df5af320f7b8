-- Indexes the earlier migrations left out. PostgreSQL flavour; keep in step with
-- migrations/sqlite/0005_indexes.sql (the same statements, the same index names).
--
-- Every foreign key gets an index led by its columns (the schema test
-- every_foreign_key_has_an_index checks it): checking a reference when its parent row
-- changes, and listing a parent's children, then read an index instead of the whole table.
-- A partial index does not count, since it leaves rows out.

-- The what-if, tiering and the fit model read a program's registrations by submission time.
-- It also serves the foreign key to programs.
CREATE INDEX registrations_program_submitted ON registrations (program_id, submitted_at);
CREATE INDEX registrations_submitter ON registrations (submitted_by);
CREATE INDEX registrations_duplicate_of ON registrations (possible_duplicate_of);
CREATE INDEX registration_activities_user ON registration_activities (user_id);

-- tiers_rank_live and tiers_name_live lead with program_id but skip archived tiers.
CREATE INDEX tiers_program ON tiers (program_id);

CREATE INDEX direct_activities_user ON direct_activities (user_id);
CREATE INDEX engagement_requests_requester ON engagement_requests (requested_by);
CREATE INDEX engagement_requests_decider ON engagement_requests (decided_by);
CREATE INDEX conflict_cases_program ON conflict_cases (program_id);
CREATE INDEX conflict_cases_opener ON conflict_cases (opened_by);
CREATE INDEX conflict_cases_resolver ON conflict_cases (resolved_by);
CREATE INDEX conflict_comments_author ON conflict_comments (author_id);
CREATE INDEX outbox_events_partner ON outbox_events (partner_id);

CREATE INDEX charter_versions_vendor_signer ON charter_versions (vendor_signed_by);
CREATE INDEX charter_versions_partner_signer ON charter_versions (partner_signed_by);

CREATE INDEX policy_draft_comments_partner ON policy_draft_comments (partner_id);
CREATE INDEX policy_draft_comments_author ON policy_draft_comments (author_id);
CREATE INDEX applications_partner ON applications (partner_id);
CREATE INDEX council_members_partner ON council_members (partner_id);
CREATE INDEX invitations_user ON invitations (user_id);
