-- Co-marketing launch checklists: templates of a program (their tasks as JSON, each change a
-- new version), launches of a partnership charter or a campaign (exactly one), and each
-- launch's own copy of its tasks with a concrete due day, owner and status. SQLite flavour;
-- keep in step with migrations/postgres/0023_launch.sql.
CREATE TABLE launch_templates (
    id TEXT PRIMARY KEY,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    description TEXT,
    version BIGINT NOT NULL,
    -- [{phase, title, detail, offset_days, owner_side}, ...], ordered.
    tasks TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    archived_at TEXT
);
CREATE INDEX launch_templates_program ON launch_templates (program_id, archived_at);
CREATE INDEX launch_templates_created_by ON launch_templates (created_by);

CREATE TABLE launches (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners (id),
    charter_id TEXT REFERENCES charters (id),
    campaign_id TEXT REFERENCES campaigns (id),
    name TEXT NOT NULL,
    launch_on TEXT NOT NULL,
    template_id TEXT REFERENCES launch_templates (id),
    template_version BIGINT,
    template_name TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((charter_id IS NULL) <> (campaign_id IS NULL))
);
CREATE INDEX launches_partner ON launches (partner_id, launch_on);
CREATE INDEX launches_charter ON launches (charter_id);
CREATE INDEX launches_campaign ON launches (campaign_id);
CREATE INDEX launches_template ON launches (template_id);
CREATE INDEX launches_created_by ON launches (created_by);

CREATE TABLE launch_tasks (
    id TEXT PRIMARY KEY,
    launch_id TEXT NOT NULL REFERENCES launches (id),
    -- The launch's partner, so the tenant scope reads a task without a join.
    partner_id TEXT NOT NULL REFERENCES partners (id),
    position BIGINT NOT NULL,
    phase TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT,
    offset_days BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    owner_side TEXT NOT NULL,
    owner_id TEXT REFERENCES users (id),
    status TEXT NOT NULL,
    skip_reason TEXT,
    done_by TEXT REFERENCES users (id),
    done_at TEXT,
    updated_at TEXT NOT NULL,
    CHECK (status <> 'skipped' OR skip_reason IS NOT NULL)
);
CREATE UNIQUE INDEX launch_tasks_launch ON launch_tasks (launch_id, position);
CREATE INDEX launch_tasks_partner ON launch_tasks (partner_id, status, due_on);
CREATE INDEX launch_tasks_due ON launch_tasks (status, due_on);
CREATE INDEX launch_tasks_owner ON launch_tasks (owner_id);
CREATE INDEX launch_tasks_done_by ON launch_tasks (done_by);
