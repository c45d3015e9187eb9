-- Scale-out: rate limits shared by every server process, and a key's activations listed without
-- reading all of them.

-- Token buckets of the activation rate limits, shared by the replicas on PostgreSQL; a SQLite
-- service is one process and keeps its buckets in memory, so this table stays empty here. It
-- exists so that both schemas stay the same.
CREATE TABLE rate_buckets (
    name    TEXT PRIMARY KEY,
    rate    REAL NOT NULL CHECK (rate > 0),
    burst   REAL NOT NULL,
    tokens  REAL NOT NULL,
    at      INTEGER NOT NULL,
    allowed INTEGER NOT NULL DEFAULT 1
);


-- A key's activations newest first (its page and `licet key activations`) read by this index
-- from the newest end, whatever the key's history; activation itself only appends to it.
CREATE INDEX activations_key_created ON activations (key_id, created_at, id);
