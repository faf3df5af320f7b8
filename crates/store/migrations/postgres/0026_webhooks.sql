-- Webhooks: subscriptions (a target, the events it takes, its signing secrets), one
-- delivery per event and subscription (fanned out from the outbox, sent in order), and
-- every attempt with what was sent and what came back. postgres flavour; keep in step with
-- migrations/sqlite/0026_webhooks.sql.
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    -- A partner admin's subscription takes that partner's events only; NULL: the vendor's.
    partner_id TEXT REFERENCES partners (id),
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON array of filters: "*", "<capability>.*" or event kinds.
    event_kinds TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- After a rotation the previous secret signs too, until previous_secret_until.
    previous_secret TEXT,
    previous_secret_until TIMESTAMPTZ,
    status TEXT NOT NULL,
    disabled_reason TEXT,
    failing_since TIMESTAMPTZ,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_subscriptions_partner ON webhook_subscriptions (partner_id, created_at);
CREATE INDEX webhook_subscriptions_created_by ON webhook_subscriptions (created_by);
CREATE INDEX webhook_subscriptions_status ON webhook_subscriptions (status);

CREATE TABLE webhook_deliveries (
    -- Also the webhook-id header, the same on every attempt and replay.
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    event_id TEXT NOT NULL REFERENCES outbox_events (id),
    event_kind TEXT NOT NULL,
    event_at TIMESTAMPTZ NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    -- An instance sending it holds it until then, so two instances never send it at once.
    lease_until TIMESTAMPTZ,
    last_status BIGINT,
    delivered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (subscription_id, event_id);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (subscription_id, status, event_at, event_id);
CREATE INDEX webhook_deliveries_event_id ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    attempt BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    request_headers TEXT NOT NULL,
    status BIGINT,
    error TEXT,
    response_body TEXT,
    latency_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
CREATE INDEX webhook_attempts_subscription ON webhook_attempts (subscription_id, started_at);

-- Each outbox event is fanned out to the subscriptions once, by whichever instance claims
-- it; the events from before webhooks existed count as done.
ALTER TABLE outbox_events ADD COLUMN webhooked_at TIMESTAMPTZ;
UPDATE outbox_events SET webhooked_at = created_at;
CREATE INDEX outbox_events_unwebhooked ON outbox_events (webhooked_at, created_at);
