-- The directory's community curation and usage (issue 14): collections the vendor curates
-- ("Best for healthcare"), usage figures partners report per month (installs, customers),
-- and the index behind "customers who use this also use". PostgreSQL flavour; keep in step
-- with migrations/sqlite/0036_directory_curation.sql.

CREATE TABLE directory_collections (
    id TEXT PRIMARY KEY,
    -- The public address /directory/collections/{slug}.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    -- Markdown, rendered sanitised.
    description TEXT NOT NULL,
    -- Where it stands on the directory's home (lower first).
    position BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    archived_at TIMESTAMPTZ
);

-- A collection's listings in the curator's order. Only public listings are shown publicly;
-- the others stay in the collection for when they return.
CREATE TABLE directory_collection_listings (
    collection_id TEXT NOT NULL REFERENCES directory_collections (id),
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (collection_id, listing_id)
);
CREATE INDEX directory_collection_listings_listing ON directory_collection_listings (listing_id);

-- Usage a partner reports for its listing, one row per calendar month (`YYYY-MM`); a second
-- report of a month replaces the first.
CREATE TABLE directory_usage (
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    period TEXT NOT NULL,
    installs BIGINT,
    customers BIGINT,
    reported_by TEXT REFERENCES users (id),
    reported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (listing_id, period),
    CHECK (installs IS NULL OR installs >= 0),
    CHECK (customers IS NULL OR customers >= 0)
);
CREATE INDEX directory_usage_reported_by ON directory_usage (reported_by);

-- Recommendations join a listing's reviewers to their other reviews.
CREATE INDEX directory_reviews_author ON directory_reviews (author_key, state);

-- Review invitations the SMTP server did not take are retried on the notification
-- mailer's schedule (`core::notification::timing`), each retry with a new link.
ALTER TABLE directory_review_invites ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE directory_review_invites ADD COLUMN next_attempt_at TIMESTAMPTZ;
CREATE INDEX directory_review_invites_retry ON directory_review_invites (next_attempt_at);

-- A listing's screenshots: a JSON array of ids of the partner's files of purpose
-- `screenshot`, in the order shown.
ALTER TABLE directory_listings ADD COLUMN screenshots TEXT NOT NULL DEFAULT '[]';
