-- Machine inventory, the events outbox and webhooks.

-- One row per machine and product of a tenant, whatever activated it: the central service
-- (online, offline, proxy), a KMS host's report, or the machine's own agent report.
CREATE TABLE machines (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(id),
    machine_id    TEXT NOT NULL,
    product_id    INTEGER NOT NULL REFERENCES products(id),
    method        TEXT NOT NULL,              -- online | offline | proxy | kms | agent
    key_id        INTEGER REFERENCES product_keys(id),
    host_id       TEXT NOT NULL DEFAULT '',   -- the KMS host that reported it
    hostname      TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,              -- Licensed | InitialGrace | AdditionalGrace | Notification | Unlicensed
    state_until   INTEGER NOT NULL DEFAULT 0, -- when the state changes next (grace end, expiry); 0: never
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, machine_id, product_id)
);
CREATE INDEX machines_seen ON machines (tenant_id, last_seen_at);

-- Counts of machines by state per tenant and day, for the state-over-time chart.
CREATE TABLE machine_state_days (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    day       INTEGER NOT NULL, -- midnight UTC, milliseconds
    state     TEXT NOT NULL,
    machines  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, state)
);

-- The outbox: every event, written in the transaction of the change it reports. dedupe, when
-- set, makes a condition reported once (a key crossing 90 % for a given limit).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER REFERENCES tenants(id),
    type       TEXT NOT NULL,
    object     TEXT NOT NULL, -- JSON
    dedupe     TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_dedupe ON events (dedupe);
CREATE INDEX events_tenant ON events (tenant_id, id);

-- Webhooks: where events of a tenant (or of every tenant, tenant_id NULL, the operator's) go.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER REFERENCES tenants(id),
    url         TEXT NOT NULL,
    events      TEXT NOT NULL, -- comma-separated event types; '*' for all
    secret_enc  TEXT NOT NULL, -- the signing secret, AES-GCM sealed like product keys
    created_at  INTEGER NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id);

-- One row per event to deliver to a webhook, written with the event; delivered in id order.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES events(id),
    status          TEXT NOT NULL, -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, status, id);
