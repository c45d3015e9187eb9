-- Scale-out: rate limits shared by every server process.

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

