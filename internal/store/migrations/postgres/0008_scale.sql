-- Scale-out: rate limits shared by every server process, and a key's activations listed without
-- reading all of them.

-- Token buckets of the activation rate limits (per source address, per product key), shared by
-- every replica: a take is one INSERT … ON CONFLICT DO UPDATE, ordered by the row lock. rate is
-- tokens per second, burst the bucket's size, at the time of the last take (ms). A row whose
-- bucket has refilled is deleted (a missing bucket is a full one).
CREATE TABLE rate_buckets (
    name    TEXT PRIMARY KEY,
    rate    DOUBLE PRECISION NOT NULL CHECK (rate > 0),
    burst   DOUBLE PRECISION NOT NULL,
    tokens  DOUBLE PRECISION NOT NULL,
    at      BIGINT NOT NULL,
    allowed BIGINT NOT NULL DEFAULT 1
);


-- A key's activations newest first (its page and `licet key activations`) read by this index
-- from the newest end, whatever the key's history; activation itself only appends to it.
CREATE INDEX activations_key_created ON activations (key_id, created_at, id);
