-- The public directory: partners' listings (services, and integrations of technology
-- partners), their facets for filtering, and each program's directory mode (open or
-- curated, from its answer to the decision tree). PostgreSQL flavour; keep in step
-- with migrations/sqlite/0030_directory.sql.
CREATE TABLE directory_settings (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    mode TEXT NOT NULL,
    -- The tree outcome that set the mode.
    decided_by TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE directory_listings (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The public address /directory/listings/{slug}.
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON arrays of labels, as the partner wrote them.
    categories TEXT NOT NULL,
    regions TEXT NOT NULL,
    industries TEXT NOT NULL,
    languages TEXT NOT NULL,
    website TEXT,
    -- Normalised words of the title, summary, facets and description: what the full-text
    -- index reads, spelled the same for both backends' tokenisers.
    search_text TEXT NOT NULL,
    verified_at TIMESTAMPTZ,
    verified_by TEXT REFERENCES users (id),
    views BIGINT NOT NULL DEFAULT 0,
    status_reason TEXT,
    -- Set when the vendor unpublishes; cleared by an approving review. While set, the
    -- listing goes through review whatever the program's mode.
    unpublished_at TIMESTAMPTZ,
    -- Moderation after publication (hidden listings are never public).
    hidden_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX directory_listings_partner ON directory_listings (partner_id);
CREATE INDEX directory_listings_status ON directory_listings (status, hidden_at);
CREATE INDEX directory_listings_verified_by ON directory_listings (verified_by);

-- One row per facet value of a listing, keyed as `core::directory::facet_key` spells it.
CREATE TABLE directory_listing_facets (
    listing_id TEXT NOT NULL REFERENCES directory_listings (id),
    facet TEXT NOT NULL,
    value_key TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (listing_id, facet, value_key)
);
CREATE INDEX directory_listing_facets_value ON directory_listing_facets (facet, value_key);

-- The full-text index (the search dialect's own: schema comparisons leave it out): GIN over
-- the 'simple' configuration (no stemming, so both backends match the same words).
CREATE INDEX directory_listings_search ON directory_listings USING GIN (to_tsvector('simple', search_text));
