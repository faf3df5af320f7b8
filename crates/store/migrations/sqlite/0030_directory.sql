-- The public directory: partners' listings (services, and integrations of technology
-- partners), their facets for filtering, and each program's directory mode (open or
-- curated, from its answer to the decision tree). SQLite flavour; keep in step with
-- migrations/postgres/0030_directory.sql.
CREATE TABLE directory_settings (
    program_id TEXT PRIMARY KEY REFERENCES programs (id),
    mode TEXT NOT NULL,
    -- The tree outcome that set the mode.
    decided_by TEXT,
    updated_at TEXT NOT NULL
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
    verified_at TEXT,
    verified_by TEXT REFERENCES users (id),
    views BIGINT NOT NULL DEFAULT 0,
    status_reason TEXT,
    -- Set when the vendor unpublishes; cleared by an approving review. While set, the
    -- listing goes through review whatever the program's mode.
    unpublished_at TEXT,
    -- Moderation after publication (hidden listings are never public).
    hidden_at TEXT,
    published_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
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

-- The full-text index (the search dialect's own: schema comparisons leave it out). It
-- keeps its own copy of the text keyed by listing id, kept current by triggers, so no
-- writer can forget it.
CREATE VIRTUAL TABLE directory_listings_fts USING fts5 (
    listing_id UNINDEXED,
    search_text,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER directory_listings_fts_insert AFTER INSERT ON directory_listings BEGIN
    INSERT INTO directory_listings_fts (listing_id, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER directory_listings_fts_update AFTER UPDATE OF search_text ON directory_listings BEGIN
    DELETE FROM directory_listings_fts WHERE listing_id = old.id;
    INSERT INTO directory_listings_fts (listing_id, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER directory_listings_fts_delete AFTER DELETE ON directory_listings BEGIN
    DELETE FROM directory_listings_fts WHERE listing_id = old.id;
END;
