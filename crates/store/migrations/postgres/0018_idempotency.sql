-- Idempotency keys of API requests that create: the first answer is kept so a retried
-- request with the same key gets it again and creates nothing twice, also on another
-- instance. PostgreSQL flavour; keep in step with migrations/sqlite/0018_idempotency.sql.
-- 0017 belongs to another piece of work; the runner applies whatever is missing in order.

-- owner_hash: SHA-256 of the request's Authorization header, so keys are per credential.
-- request_hash: SHA-256 of method, path and body; the same key with another request is
-- refused. status is NULL while the first request is still running.
CREATE TABLE idempotency_keys (
    owner_hash TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner_hash, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
