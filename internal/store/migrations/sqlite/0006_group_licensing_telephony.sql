-- Group-based licensing, phone numbers, audio conferencing providers and Communications Credits.

-- Each license on a user has a state: Active, or Error when a group's licenses could not be
-- applied to this member (then every license of that group is in Error for the member, and none
-- of them counts or enables a plan). error_code is Graph's code (CountViolation, …).
ALTER TABLE assignments ADD COLUMN state TEXT NOT NULL DEFAULT 'Active';
ALTER TABLE assignments ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
ALTER TABLE assignments ADD COLUMN error_message TEXT NOT NULL DEFAULT '';
CREATE INDEX assignments_group ON assignments (group_id, user_id);
CREATE INDEX assignments_tenant_sku ON assignments (tenant_id, sku, state);

-- The SKUs assigned to a group; they flow to its members as rows of assignments with group_id.
CREATE TABLE group_licenses (
    group_id       INTEGER NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    sku            TEXT NOT NULL,
    disabled_plans TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (group_id, sku)
);

-- The user's audio conferencing provider: '' (none), 'operator' (the operator's bridge, set when
-- the user gets Audio Conferencing) or the name of a third-party provider.
ALTER TABLE users ADD COLUMN conferencing_provider TEXT NOT NULL DEFAULT '';

-- A tenant's phone number inventory. number is E.164 (+ and digits); a number is in one
-- inventory at most and on one user at most; a user has one number at most.
CREATE TABLE phone_numbers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(id),
    number      TEXT NOT NULL UNIQUE,
    country     TEXT NOT NULL,
    user_id     INTEGER UNIQUE REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    assigned_at INTEGER
);
CREATE INDEX phone_numbers_tenant ON phone_numbers (tenant_id, country, number);

-- A tenant's Communications Credits: a balance in minor units of currency, never negative,
-- auto-recharge (top up by recharge_amount when a charge takes the balance under threshold),
-- and out_of_funds, set when a charge was refused and cleared when funds are added.
CREATE TABLE credit_accounts (
    tenant_id       INTEGER PRIMARY KEY REFERENCES tenants(id),
    currency        TEXT NOT NULL,
    balance         INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    auto_recharge   INTEGER NOT NULL DEFAULT 0,
    threshold       INTEGER NOT NULL DEFAULT 0 CHECK (threshold >= 0),
    recharge_amount INTEGER NOT NULL DEFAULT 0 CHECK (recharge_amount >= 0),
    out_of_funds    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Every change of a balance: amount is the signed change, balance the balance after it, so the
-- amounts of a tenant sum to its balance. A refused charge is recorded with amount 0 and the
-- amount asked in requested.
CREATE TABLE credit_ledger (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES credit_accounts(tenant_id),
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,           -- signup | add | charge | recharge | refused
    amount    INTEGER NOT NULL,
    balance   INTEGER NOT NULL CHECK (balance >= 0),
    requested INTEGER NOT NULL DEFAULT 0,
    reason    TEXT NOT NULL DEFAULT '',
    actor     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credit_ledger_tenant ON credit_ledger (tenant_id, id);
