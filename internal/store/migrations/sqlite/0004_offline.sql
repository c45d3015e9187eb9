-- Offline (phone) and proxy activation, promotional MAK requests.

-- The key's fingerprint (keys.Key.Fingerprint, 16 hex digits): an installation ID carries it, so
-- the service finds the key from the installation ID alone. Set at issuance; the key itself is
-- never stored in clear. Keys issued before this migration have none and cannot be activated
-- offline until reissued.
ALTER TABLE product_keys ADD COLUMN key_fp TEXT;
CREATE UNIQUE INDEX product_keys_fp ON product_keys (key_fp);

-- Confirmation serials: one per installation ID confirmed. A replayed installation ID gets its
-- serial again (and, on the same day, the same confirmation ID) without consuming an activation.
CREATE TABLE confirmations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    installation_id TEXT NOT NULL UNIQUE, -- canonical dashed form
    key_id          INTEGER NOT NULL REFERENCES product_keys(id),
    machine_id      TEXT NOT NULL,        -- the activations row it confirms
    method          TEXT NOT NULL,        -- offline | proxy
    created_at      INTEGER NOT NULL,
    last_issued_at  INTEGER NOT NULL,
    issued          INTEGER NOT NULL DEFAULT 1
);

-- Promotional MAK requests: a partner (OEM) asks for a MAK for a customer without a volume
-- agreement; the operator approves (creating the tenant if needed and issuing a MAK whose limit
-- is the number of systems) or rejects.
CREATE TABLE mak_requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    partner         TEXT NOT NULL,
    company         TEXT NOT NULL,
    contact_name    TEXT NOT NULL,
    contact_email   TEXT NOT NULL,
    contact_phone   TEXT NOT NULL,         -- normalised: + and digits
    systems         INTEGER NOT NULL,
    deployment_date TEXT NOT NULL,         -- YYYY-MM-DD
    tam_name        TEXT NOT NULL DEFAULT '',
    tam_email       TEXT NOT NULL DEFAULT '',
    group_id        INTEGER REFERENCES product_groups(id),
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | approved | rejected
    tenant_id       INTEGER REFERENCES tenants(id),
    key_id          INTEGER REFERENCES product_keys(id),
    reason          TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER,
    CHECK (systems > 0)
);
CREATE INDEX mak_requests_partner ON mak_requests (partner, id);
