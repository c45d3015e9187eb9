-- KMS host activation: which hosts activated with which kms-host key.

-- A key's limit of distinct hosts is its activation_limit in product_keys (6 unless the
-- operator sets another), and the hosts it activated are counted in its used column.

-- One row per distinct host of a key; re-activating the same host updates its row.
CREATE TABLE kms_hosts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id            INTEGER NOT NULL REFERENCES product_keys(id),
    host_id           TEXT NOT NULL,
    host_key          TEXT NOT NULL,          -- base64 Ed25519 public key
    hostname          TEXT NOT NULL DEFAULT '',
    method            TEXT NOT NULL,          -- online | approval
    activations       INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL,
    last_activated_at INTEGER NOT NULL,
    UNIQUE (key_id, host_id)
);
