-- Events: webinars, workshops and conferences the vendor hosts for a program or a partner
-- hosts for its own people and customers (program_events), and the replies they take with
-- their check-ins (event_registrations). PostgreSQL flavour; keep in step with
-- migrations/sqlite/0024_events.sql.
CREATE TABLE program_events (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    host_partner_id TEXT REFERENCES partners (id),
    campaign_id TEXT REFERENCES campaigns (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    utc_offset_minutes BIGINT NOT NULL,
    location TEXT,
    join_url TEXT,
    capacity BIGINT,
    -- Replies holding a seat: raised only by a conditional update, so never past capacity.
    going_count BIGINT NOT NULL DEFAULT 0,
    audience TEXT NOT NULL,
    rsvp_deadline TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    -- The public page /events/{slug}: random, so pages cannot be enumerated.
    slug TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    CHECK (going_count >= 0),
    CHECK (capacity IS NULL OR going_count <= capacity)
);
CREATE INDEX program_events_program ON program_events (program_id, starts_at);
CREATE INDEX program_events_host ON program_events (host_partner_id, starts_at);
CREATE INDEX program_events_campaign ON program_events (campaign_id);
CREATE INDEX program_events_created_by ON program_events (created_by);

CREATE TABLE event_registrations (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES program_events (id),
    -- The partner the reply counts for (a partner user's own; a partner-hosted event's host
    -- for its customers); NULL for a customer of a vendor event.
    partner_id TEXT REFERENCES partners (id),
    user_id TEXT REFERENCES users (id),
    attendee_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    status TEXT NOT NULL,
    -- When the reply took its place: the waitlist's order.
    placed_at TIMESTAMPTZ NOT NULL,
    -- SHA-256 of the attendee's personal check-in code; the code itself is not kept.
    code_hash TEXT NOT NULL UNIQUE,
    -- SHA-256 of a public reply's visitor address, for the flood limit.
    client_key TEXT,
    checked_in_at TIMESTAMPTZ,
    checked_in_by TEXT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX event_registrations_one_per_email ON event_registrations (event_id, email);
CREATE INDEX event_registrations_queue ON event_registrations (event_id, status, placed_at);
CREATE INDEX event_registrations_partner ON event_registrations (partner_id, created_at);
CREATE INDEX event_registrations_user ON event_registrations (user_id);
CREATE INDEX event_registrations_client ON event_registrations (client_key, created_at);
CREATE INDEX event_registrations_checked_in_by ON event_registrations (checked_in_by);
