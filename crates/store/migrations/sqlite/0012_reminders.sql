-- Reminders sent once, and the tasks a business plan review hands out. SQLite flavour; keep
-- in step with migrations/postgres/0012_reminders.sql (same tables, columns and index
-- names). 0011 belongs to another piece of work; the runner applies whatever is missing in
-- version order, so the gap is harmless.

-- One row per reminder that went out: the reminder job inserts the key and emits the
-- event in one transaction only when the insert inserted, so two runs (or two instances)
-- send each reminder once. kind is the event kind (jbp.drift, jbp.review_due,
-- room.task_due, jbp.task_due); reminder_key says which reminder of the record it was
-- (core::notification::reminder).
CREATE TABLE reminders_sent (
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    reminder_key TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE UNIQUE INDEX reminders_sent_key ON reminders_sent (kind, entity_id, reminder_key);

-- The next steps of a review, one task each, owned by one user of either side.
CREATE TABLE business_plan_tasks (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL REFERENCES business_plans (id),
    review_id TEXT NOT NULL REFERENCES business_plan_reviews (id),
    title TEXT NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX business_plan_tasks_plan ON business_plan_tasks (plan_id, status);
CREATE INDEX business_plan_tasks_review ON business_plan_tasks (review_id);
-- What is due for a person, and what the reminder job reads: open tasks by due date.
CREATE INDEX business_plan_tasks_owner ON business_plan_tasks (owner_id, status, due_on);
CREATE INDEX business_plan_tasks_due ON business_plan_tasks (status, due_on);

-- The reminder job reads open deal-room tasks by due date.
CREATE INDEX room_tasks_due ON room_tasks (status, due_on);
