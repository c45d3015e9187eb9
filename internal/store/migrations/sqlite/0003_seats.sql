-- Seat licensing: subscriptions to catalog SKUs, users, groups and license assignments.

-- A tenant's purchase of an SKU. status says what its units are: enabled (assignable), warning,
-- suspended or lockedout (as Graph's prepaidUnits count them).
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    sku        TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity >= 0),
    status     TEXT NOT NULL,           -- enabled | warning | suspended | lockedout
    term       TEXT NOT NULL,           -- annual | monthly
    channel    TEXT NOT NULL,           -- direct | partner | reseller:NAME
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id, sku);

-- One row per tenant and SKU: the units of its subscriptions by status, and the units consumed.
-- consumed changes only by conditional UPDATEs in the transaction of the assignment, with the
-- row locked (SELECT … FOR UPDATE on PostgreSQL; the single writer on SQLite).
CREATE TABLE seat_pools (
    tenant_id  INTEGER NOT NULL REFERENCES tenants(id),
    sku        TEXT NOT NULL,
    unlimited  INTEGER NOT NULL DEFAULT 0,
    enabled    INTEGER NOT NULL DEFAULT 0,
    warning    INTEGER NOT NULL DEFAULT 0,
    suspended  INTEGER NOT NULL DEFAULT 0,
    locked_out INTEGER NOT NULL DEFAULT 0,
    consumed   INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0),
    PRIMARY KEY (tenant_id, sku)
);

-- Users (people and rooms: a room is a user object too). upn is stored in lower case.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    upn            TEXT NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    usage_location TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL DEFAULT 'person',  -- person | room
    onprem_pstn    INTEGER NOT NULL DEFAULT 0,      -- hybrid user with on-premises PSTN connectivity
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, upn)
);

-- Groups of users; group-based licensing hangs its licenses on them.
CREATE TABLE user_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Licenses on users: an SKU with some of its plans disabled (comma-separated, sorted), assigned
-- directly (group_id NULL) or inherited from a group.
CREATE TABLE assignments (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      INTEGER NOT NULL REFERENCES tenants(id),
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sku            TEXT NOT NULL,
    disabled_plans TEXT NOT NULL DEFAULT '',
    group_id       INTEGER REFERENCES user_groups(id) ON DELETE CASCADE,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX assignments_source ON assignments (user_id, sku, COALESCE(group_id, 0));
