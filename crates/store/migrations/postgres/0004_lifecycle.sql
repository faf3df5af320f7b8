-- Program policy documents, the partner lifecycle (applications, fit score, onboarding,
-- invitations), automated tiering and governance (tier changes, annual reviews, first
-- cohort, advisory council, policy drafts shared for comment).

-- A published policy version keeps its whole TOML document, who published it and why.
-- `registration` stays: the registration rules read it directly.
ALTER TABLE program_policies ADD COLUMN document TEXT;
ALTER TABLE program_policies ADD COLUMN author_name TEXT;
ALTER TABLE program_policies ADD COLUMN change_note TEXT;

-- Drafts of the next version, shared with the advisory council before they are published.
CREATE TABLE policy_drafts (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    base_version BIGINT NOT NULL,
    document TEXT NOT NULL,
    note TEXT NOT NULL,
    status TEXT NOT NULL,
    author_name TEXT NOT NULL,
    published_version BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX policy_drafts_program ON policy_drafts (program_id, status);

CREATE TABLE policy_draft_comments (
    id TEXT PRIMARY KEY,
    draft_id TEXT NOT NULL REFERENCES policy_drafts (id),
    partner_id TEXT REFERENCES partners (id),
    author_id TEXT REFERENCES users (id),
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX policy_draft_comments_draft ON policy_draft_comments (draft_id, created_at);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    company TEXT NOT NULL,
    web_domain TEXT NOT NULL,
    country TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    profile TEXT NOT NULL,
    status TEXT NOT NULL,
    fit TEXT NOT NULL,
    partner_id TEXT REFERENCES partners (id),
    decision_note TEXT,
    submitted_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ
);
CREATE INDEX applications_queue ON applications (program_id, status, submitted_at);
-- One open application per company domain and program.
CREATE UNIQUE INDEX applications_open_domain ON applications (program_id, web_domain)
    WHERE status = 'submitted';

-- A partner's attributes when it joined (the fit model learns from them), and the
-- fingerprint of its last tier evaluation (a new decision is stored when it changes).
ALTER TABLE partners ADD COLUMN profile TEXT;
ALTER TABLE partners ADD COLUMN tier_fingerprint TEXT;
-- Members of the program's first cohort.
ALTER TABLE partners ADD COLUMN first_cohort BIGINT NOT NULL DEFAULT 0;
ALTER TABLE programs ADD COLUMN launched_on DATE;

CREATE TABLE onboarding_ticks (
    partner_id TEXT NOT NULL REFERENCES partners (id),
    item_key TEXT NOT NULL,
    done_at TIMESTAMPTZ NOT NULL,
    done_by TEXT NOT NULL,
    PRIMARY KEY (partner_id, item_key)
);

-- Every tier move, for the partner's history and the fit model's labels.
CREATE TABLE tier_changes (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    at TIMESTAMPTZ NOT NULL,
    from_rank BIGINT NOT NULL,
    to_rank BIGINT NOT NULL,
    rule TEXT NOT NULL,
    policy_version BIGINT NOT NULL
);
CREATE INDEX tier_changes_partner ON tier_changes (partner_id, at);

-- Annual reviews that ran, so each runs once even when the review day was missed.
CREATE TABLE annual_reviews (
    program_id TEXT NOT NULL REFERENCES programs (id),
    review_on DATE NOT NULL,
    ran_at TIMESTAMPTZ NOT NULL,
    downgraded BIGINT NOT NULL,
    PRIMARY KEY (program_id, review_on)
);

CREATE TABLE council_members (
    program_id TEXT NOT NULL REFERENCES programs (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    since TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (program_id, partner_id)
);

CREATE TABLE council_meetings (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    held_on DATE NOT NULL,
    notes TEXT NOT NULL,
    author_name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX council_meetings_program ON council_meetings (program_id, held_on);

-- One-time links for invited users to set their password; only the hash is kept.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
