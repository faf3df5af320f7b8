-- Notifications: in-app notifications, each user's e-mail choices per kind, and the e-mails
-- to send. SQLite flavour; keep in step with migrations/postgres/0008_notification.sql (same
-- tables, columns and index names).

-- When an outbox event was turned into notifications. The notify job claims an event with
-- a conditional update (`… WHERE notified_at IS NULL`), so each is handled once, however
-- many instances run the job.
ALTER TABLE outbox_events ADD COLUMN notified_at TEXT;
-- Events written before notifications existed are history, not news.
UPDATE outbox_events SET notified_at = created_at;
CREATE INDEX outbox_events_unnotified ON outbox_events (notified_at, created_at);

-- The follow-up due time a registration's SLA warning was given for: one warning per SLA
-- period (a logged activity moves the due time, and the new period gets its own).
ALTER TABLE registrations ADD COLUMN sla_warned_for TEXT;

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    event_id TEXT NOT NULL REFERENCES outbox_events (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- A path inside the app, on the recipient's side (console or portal).
    link TEXT NOT NULL,
    -- How its e-mail goes, as the recipient chose when it was created.
    delivery TEXT NOT NULL,
    -- The daily digest it belongs to (delivery = 'daily_digest' only).
    digest_day TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT,
    CHECK (delivery IN ('immediately', 'daily_digest', 'off')),
    CHECK ((delivery = 'daily_digest') = (digest_day IS NOT NULL))
);
-- One notification per event and user, whichever instance writes it.
CREATE UNIQUE INDEX notifications_once ON notifications (user_id, event_id);
CREATE INDEX notifications_event ON notifications (event_id);
-- The recipient's list, newest first.
CREATE INDEX notifications_inbox ON notifications (user_id, created_at);
CREATE INDEX notifications_digest ON notifications (digest_day, user_id);

-- A user's choice per kind; kinds without a row use their default.
CREATE TABLE notification_preferences (
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    delivery TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, kind),
    CHECK (delivery IN ('immediately', 'daily_digest', 'off'))
);

-- E-mails to send: one per notification sent immediately, or one per user and digest day
-- (the unique indexes make each exist once). The send job claims a due row with a
-- conditional update that moves it to 'sending' until `claimed_until`, so one instance
-- sends it.
CREATE TABLE email_deliveries (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    notification_id TEXT REFERENCES notifications (id),
    digest_day TEXT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The notification kind, or 'daily_digest'.
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_until TEXT,
    -- Why the last attempt failed (the server's answer, or why there was none), or why the
    -- e-mail was skipped.
    last_error TEXT,
    -- The server's answer to the last attempt that reached it.
    server_reply TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    CHECK ((notification_id IS NULL) <> (digest_day IS NULL))
);
CREATE UNIQUE INDEX email_deliveries_notification ON email_deliveries (notification_id);
CREATE UNIQUE INDEX email_deliveries_digest ON email_deliveries (user_id, digest_day);
CREATE INDEX email_deliveries_due ON email_deliveries (status, next_attempt_at);
