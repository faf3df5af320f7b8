-- Co-sell deal rooms: members, notes, tasks and shared fields of an opportunity. SQLite
-- flavour; keep in step with migrations/postgres/0009_deal_rooms.sql (same tables, columns
-- and index names).

-- A partner user sees a room only as a member; vendor staff see every room.
CREATE TABLE room_members (
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    added_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (opportunity_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

CREATE TABLE room_notes (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    author_id TEXT REFERENCES users (id),
    author_name TEXT NOT NULL,
    -- NULL when vendor staff wrote it: with visibility our_side, only that side reads it.
    author_partner_id TEXT REFERENCES partners (id),
    visibility TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX room_notes_opportunity ON room_notes (opportunity_id, created_at);
CREATE INDEX room_notes_author ON room_notes (author_id);
CREATE INDEX room_notes_author_partner ON room_notes (author_partner_id);

CREATE TABLE room_tasks (
    id TEXT PRIMARY KEY,
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    title TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    due_on TEXT,
    status TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX room_tasks_opportunity ON room_tasks (opportunity_id, status);
-- What is due for a person: the 30-day cadence reads open tasks by owner and due date.
CREATE INDEX room_tasks_owner ON room_tasks (owner_id, status, due_on);

CREATE TABLE room_fields (
    opportunity_id TEXT NOT NULL REFERENCES opportunities (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (opportunity_id, key)
);
