-- A partner's first won deal (activation time, the onboarding signal), found by one index
-- seek per partner. PostgreSQL flavour; keep in step with migrations/sqlite/0035_first_won.sql.
-- Without it the activation report read every won registration of every partner of the
-- program from the table (2.8-3.5 s at 10,000 partners and 1,000,000 registrations). Partial:
-- only won registrations are in it, so registering a deal (the hot write) does not touch it.
CREATE INDEX registrations_partner_won ON registrations (partner_id, closed_at)
    WHERE status = 'won';
