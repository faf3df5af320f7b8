-- Stored files: the row says what a file is and whose; the bytes are in the object store
-- (a local folder or an S3-compatible bucket) under object_key, which is built from the
-- id alone, never from a name someone typed. SQLite flavour; keep in step with
-- migrations/postgres/0020_files.sql. 0019 belongs to another piece of work.
CREATE TABLE stored_files (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    -- The partner a proof, logo or screenshot belongs to; NULL for the vendor's course media.
    partner_id TEXT REFERENCES partners (id),
    object_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX stored_files_partner ON stored_files (partner_id, created_at);
CREATE INDEX stored_files_uploaded_by ON stored_files (uploaded_by);
