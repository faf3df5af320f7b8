-- Indexes the directory benchmark asked for (bench/directory.sh: 10,000 listings, 100,000
-- reviews; issue 14's search p99 <= 50 ms). SQLite flavour; keep in step with
-- migrations/postgres/0038_directory_search.sql (same index names).

-- The search's candidates: public listings in views order. Covering (the partner for the
-- archived check), so the cut to the 500 most viewed walks this index and stops, where it
-- sorted every public listing's row (the home page and a category: all of them).
CREATE INDEX directory_listings_public_rank ON directory_listings (status, hidden_at, views DESC, id, partner_id);

-- Facet counts (every search page's filters) in one pass in (facet, value) order without a
-- row read; the facet filters find their listings in it too. Replaces the (facet, value_key)
-- index.
DROP INDEX directory_listing_facets_value;
CREATE INDEX directory_listing_facets_by_value ON directory_listing_facets (facet, value_key, listing_id, label);

-- A listing's rating (sum and count of its visible reviews) from the index alone.
-- Replaces the (listing_id, state) index.
DROP INDEX directory_reviews_listing_state;
CREATE INDEX directory_reviews_listing_rating ON directory_reviews (listing_id, state, rating);

-- The words typo correction corrects against (public listings' titles and categories),
-- read from the index alone.
CREATE INDEX directory_listings_public_words ON directory_listings (status, hidden_at, partner_id, title, categories);

-- The few archived partners (whose listings the public does not see), without a scan.
CREATE INDEX partners_archived ON partners (archived_at) WHERE archived_at IS NOT NULL;
