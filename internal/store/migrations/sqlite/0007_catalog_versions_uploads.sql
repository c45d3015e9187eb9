-- Shared state that used to live in one server process: the SKU catalog's versions and the web
-- console's uploaded bulk-assignment lists.

-- Every catalog ever applied. The newest version is the catalog in force; every replica serves
-- it and polls for a newer one. content is the YAML as applied; hash its SHA-256 (hex).
CREATE TABLE catalog_versions (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    content    TEXT NOT NULL,
    file_name  TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A list of users uploaded in the console for bulk assignment, kept between the dry run and the
-- apply (possibly on another replica) until expires_at. content is the uploaded file (bounded by
-- the console); change_json the licenses to add and remove; dry_json the dry run's per-user
-- results; applied_json the apply's results so far (NULL until the apply starts) and next_entry
-- how many users it has handled; busy_until is the lease of the replica applying a chunk.
CREATE TABLE console_uploads (
    id           TEXT PRIMARY KEY,
    session      TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content      TEXT NOT NULL,
    change_json  TEXT NOT NULL,
    dry_json     TEXT NOT NULL,
    applied_json TEXT,
    next_entry   INTEGER NOT NULL DEFAULT 0,
    stopped      TEXT NOT NULL DEFAULT '',
    busy_until   INTEGER NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX console_uploads_session ON console_uploads (session, created_at);
CREATE INDEX console_uploads_expires ON console_uploads (expires_at);
