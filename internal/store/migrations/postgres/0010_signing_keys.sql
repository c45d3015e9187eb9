-- The operator's signing keys. Key 1 is the key of the signing key file; rotation adds keys.
-- A private key is kept sealed (AES-256-GCM) under a key derived from the signing key file, so
-- every replica started with that file can sign with the active key, and the database alone
-- (a backup, a leaked dump) signs nothing.
CREATE TABLE signing_keys (
    id           BIGINT PRIMARY KEY,          -- the key id tickets carry (kid)
    public_key   TEXT NOT NULL UNIQUE,      -- base64 Ed25519 public key
    sealed_key   TEXT NOT NULL,             -- base64 nonce || AES-GCM(seed)
    state        TEXT NOT NULL CHECK (state IN ('active', 'verifying', 'retired')),
    endorsed_by  BIGINT,                      -- the key active when this one was made
    endorsement  TEXT NOT NULL DEFAULT '',  -- base64 signature of endorsed_by over this key
    created_at   BIGINT NOT NULL,
    retired_at   BIGINT
);
-- One active key, whatever the concurrency of rotations across server processes.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (state) WHERE state = 'active';

-- The operator key each KMS host's current certificate is signed with, so that retiring a key
-- can tell which hosts have not renewed yet.
ALTER TABLE kms_hosts ADD COLUMN signing_key BIGINT NOT NULL DEFAULT 1;
ALTER TABLE kms_hosts ADD COLUMN certificate_expires_at BIGINT;
