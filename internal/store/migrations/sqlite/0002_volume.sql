-- Volume activation: product groups, products, agreements, product keys and MAK activations.

-- Product groups are numbered: the number is encoded in every product key.
CREATE TABLE product_groups (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A KMS host key of group_id may activate products of covered_id ("a newer group covers older ones").
CREATE TABLE product_group_covers (
    group_id   INTEGER NOT NULL REFERENCES product_groups(id),
    covered_id INTEGER NOT NULL REFERENCES product_groups(id),
    PRIMARY KEY (group_id, covered_id)
);

CREATE TABLE products (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,            -- client | server | application
    group_id   INTEGER NOT NULL REFERENCES product_groups(id),
    pool       TEXT NOT NULL,            -- systems | servers | applications
    gvlk       TEXT NOT NULL DEFAULT '', -- the public kms-client key of the product
    created_at INTEGER NOT NULL
);

-- Agreements (licensing IDs) of a tenant.
CREATE TABLE agreements (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(id),
    licensing_id TEXT NOT NULL UNIQUE,
    program      TEXT NOT NULL,
    level        TEXT NOT NULL DEFAULT '',
    quantity     INTEGER NOT NULL DEFAULT 0,
    parent_id    INTEGER REFERENCES agreements(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX agreements_tenant ON agreements (tenant_id);

-- Product keys. The key itself is stored only encrypted (key_enc, for display to admins) and
-- hashed (key_hash, for lookups); key_tail is its last group, for masked listings.
CREATE TABLE product_keys (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER REFERENCES tenants(id),
    agreement_id     INTEGER REFERENCES agreements(id),
    group_id         INTEGER NOT NULL REFERENCES product_groups(id),
    type             TEXT NOT NULL,      -- retail | mak | kms-host | setup
    key_hash         TEXT NOT NULL UNIQUE,
    key_enc          TEXT NOT NULL,
    key_tail         TEXT NOT NULL,
    activation_limit INTEGER NOT NULL DEFAULT 0,
    used             INTEGER NOT NULL DEFAULT 0,
    blocked          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    CHECK (used >= 0 AND used <= activation_limit)
);
CREATE INDEX product_keys_tenant ON product_keys (tenant_id);

-- Machines activated by a key (MAK, retail, offline, proxy). One row per distinct machine.
CREATE TABLE activations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id       INTEGER NOT NULL REFERENCES product_keys(id),
    product_id   INTEGER NOT NULL REFERENCES products(id),
    machine_id   TEXT NOT NULL,
    hardware     TEXT NOT NULL DEFAULT '',
    virtual      INTEGER NOT NULL DEFAULT 0,
    hostname     TEXT NOT NULL DEFAULT '',
    method       TEXT NOT NULL,          -- online | proxy | offline
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    UNIQUE (key_id, machine_id)
);
