-- Through-partner campaigns: templates vendor marketing publishes, campaigns partners launch
-- from them (each with its own copy of the content, so a new template version changes no
-- launched campaign), and the leads their public landing pages take. SQLite flavour; keep in
-- step with migrations/postgres/0022_campaigns.sql.
CREATE TABLE campaign_templates (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    email_subject TEXT NOT NULL,
    email_body TEXT NOT NULL,
    landing_title TEXT NOT NULL,
    landing_body TEXT NOT NULL,
    default_offer TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX campaign_templates_program ON campaign_templates (program_id, status);
CREATE INDEX campaign_templates_created_by ON campaign_templates (created_by);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL REFERENCES campaign_templates (id),
    template_version BIGINT NOT NULL,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    -- The public address /c/{slug}: random, so pages cannot be enumerated.
    slug TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    email_subject TEXT NOT NULL,
    email_body TEXT NOT NULL,
    landing_title TEXT NOT NULL,
    landing_body TEXT NOT NULL,
    offer TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    views BIGINT NOT NULL DEFAULT 0,
    launched_by TEXT REFERENCES users (id),
    launched_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX campaigns_template ON campaigns (template_id);
CREATE INDEX campaigns_partner ON campaigns (partner_id, launched_at);
CREATE INDEX campaigns_launched_by ON campaigns (launched_by);

CREATE TABLE campaign_leads (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    partner_id TEXT NOT NULL REFERENCES partners (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    country TEXT NOT NULL,
    message TEXT,
    -- SHA-256 of the visitor's address, for the flood limit; the address itself is not kept.
    client_key TEXT NOT NULL,
    registration_id TEXT REFERENCES registrations (id),
    created_at TEXT NOT NULL
);
CREATE INDEX campaign_leads_campaign ON campaign_leads (campaign_id, created_at);
CREATE INDEX campaign_leads_partner ON campaign_leads (partner_id, created_at);
CREATE INDEX campaign_leads_client ON campaign_leads (client_key, created_at);
CREATE UNIQUE INDEX campaign_leads_registration ON campaign_leads (registration_id);
