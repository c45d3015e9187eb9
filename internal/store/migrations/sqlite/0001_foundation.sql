-- Settings of the installation: the signing key's public half, the schema's creator.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    org_type       TEXT NOT NULL,
    cloud          TEXT NOT NULL,
    usage_location TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
);

-- API tokens: only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    tenant_id  INTEGER REFERENCES tenants(id),
    partner    TEXT NOT NULL DEFAULT '',
    label      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    tenant_id INTEGER,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    before    TEXT NOT NULL DEFAULT '',
    after     TEXT NOT NULL DEFAULT '',
    details   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_tenant ON audit (tenant_id, id);
