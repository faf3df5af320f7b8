-- Account identity by name, and the duplicate review. SQLite flavour; keep
-- in step with migrations/postgres/0006_account_merge.sql (same tables, columns and index names).

-- An account without a web domain is identified by its normalised name in its country:
-- exact_name_key claims that name, and a partial unique index makes one claim per live
-- name and country the database's rule, so concurrent name-only registrations of one
-- company (from any number of instances) create it once. Registration claims the name of
-- the accounts it creates; accounts with a domain (the domain identifies them) and those
-- vendor staff create by hand leave it NULL.
ALTER TABLE accounts ADD COLUMN exact_name_key TEXT;
-- A merged account is archived and points at the account that absorbed it.
ALTER TABLE accounts ADD COLUMN merged_into TEXT REFERENCES accounts (id);

-- Accounts created before this rule may already repeat a name: the oldest of each group
-- takes the key, the others keep NULL and wait for a reviewer to merge them.
UPDATE accounts SET exact_name_key = name_key
WHERE archived_at IS NULL AND web_domain IS NULL AND name_key IS NOT NULL
  AND id = (
    SELECT min(b.id) FROM accounts b
    WHERE b.country = accounts.country AND b.name_key = accounts.name_key
      AND b.archived_at IS NULL AND b.web_domain IS NULL
  );

CREATE UNIQUE INDEX accounts_name_live ON accounts (country, exact_name_key)
    WHERE archived_at IS NULL AND exact_name_key IS NOT NULL;
-- Exact name lookups for name-only registrations (any account, with a domain or not).
CREATE INDEX accounts_name_key ON accounts (country, name_key);
CREATE INDEX accounts_merged_into ON accounts (merged_into);

-- Pairs of accounts a reviewer declared different companies: matching never flags the
-- pair as a possible duplicate again. Stored once per pair, the smaller id first.
CREATE TABLE account_distinct_pairs (
    account_a TEXT NOT NULL REFERENCES accounts (id),
    account_b TEXT NOT NULL REFERENCES accounts (id),
    reason TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_a, account_b),
    CHECK (account_a < account_b)
);
CREATE INDEX account_distinct_pairs_b ON account_distinct_pairs (account_b);
CREATE INDEX account_distinct_pairs_decided_by ON account_distinct_pairs (decided_by);
