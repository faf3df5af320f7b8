-- The directory's trust layer (issue 14): reviews and their invitations, the moderation
-- queue (reports, spam signals, appeals) with every decision kept for the listing's
-- owner, and the enquiries of the partner locator's lead form.
-- PostgreSQL flavour; keep in step with migrations/sqlite/0031_directory_trust.sql.

-- A listing a moderator removed (final; `hidden_at` is also set, so it is never public).
ALTER TABLE directory_listings ADD COLUMN removed_at TIMESTAMPTZ;

-- Invitation links to review a listing, sent to a customer's e-mail. Only the token's
-- SHA-256 is kept; the link carries the token.
CREATE TABLE directory_review_invites (
    id TEXT PRIMARY KEY,
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    client_key TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    send_error TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX directory_review_invites_listing ON directory_review_invites (listing_id);
CREATE INDEX directory_review_invites_email ON directory_review_invites (email, created_at);
CREATE INDEX directory_review_invites_client ON directory_review_invites (client_key, created_at);

-- Reviews: one per author and listing (`author_key` is `email:<address>` for a customer,
-- `user:<id>` for vendor staff). `partner_id` is the listing's, so a partner's scope
-- applies in SQL.
CREATE TABLE directory_reviews (
    id TEXT PRIMARY KEY,
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    author_kind TEXT NOT NULL,
    author_key TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_user_id TEXT REFERENCES users (id),
    rating BIGINT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'visible',
    state_reason TEXT,
    answer TEXT,
    answered_at TIMESTAMPTZ,
    answered_by TEXT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CHECK (rating BETWEEN 1 AND 5),
    CHECK (state IN ('visible', 'hidden', 'removed')),
    UNIQUE (listing_id, author_key)
);
CREATE INDEX directory_reviews_partner ON directory_reviews (partner_id);
CREATE INDEX directory_reviews_author_user ON directory_reviews (author_user_id);
CREATE INDEX directory_reviews_answered_by ON directory_reviews (answered_by);
CREATE INDEX directory_reviews_listing_state ON directory_reviews (listing_id, state);

-- The moderation queue: reports by anyone, reports raised by spam signals, and owners'
-- appeals. An item is about a listing or one of its reviews.
CREATE TABLE directory_reports (
    id TEXT PRIMARY KEY,
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    review_id TEXT REFERENCES directory_reviews (id),
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT,
    client_key TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    -- The decision that closed it.
    decision_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    CHECK (target IN ('listing', 'review')),
    CHECK (status IN ('open', 'closed'))
);
CREATE INDEX directory_reports_listing ON directory_reports (listing_id);
CREATE INDEX directory_reports_partner ON directory_reports (partner_id);
CREATE INDEX directory_reports_review ON directory_reports (review_id);
CREATE INDEX directory_reports_status ON directory_reports (status, created_at);
CREATE INDEX directory_reports_client ON directory_reports (client_key, created_at);

-- Moderators' decisions, shown to the listing's owner, each appealable once.
CREATE TABLE directory_decisions (
    id TEXT PRIMARY KEY,
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    review_id TEXT REFERENCES directory_reviews (id),
    target TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    rule TEXT NOT NULL,
    reason TEXT NOT NULL,
    moderator_id TEXT REFERENCES users (id),
    appeal TEXT,
    appealed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX directory_decisions_listing ON directory_decisions (listing_id);
CREATE INDEX directory_decisions_partner ON directory_decisions (partner_id);
CREATE INDEX directory_decisions_review ON directory_decisions (review_id);
CREATE INDEX directory_decisions_moderator ON directory_decisions (moderator_id);

-- Enquiries from the lead form of a public listing.
CREATE TABLE directory_leads (
    id TEXT PRIMARY KEY,
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    message TEXT NOT NULL,
    client_key TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX directory_leads_listing ON directory_leads (listing_id, created_at);
CREATE INDEX directory_leads_partner ON directory_leads (partner_id, created_at);
CREATE INDEX directory_leads_client ON directory_leads (client_key, created_at);
CREATE INDEX directory_leads_registration ON directory_leads (registration_id);
