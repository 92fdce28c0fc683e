-- Background work that one replica of the replication service does for all: the scheduled scan (it re-hashes every
-- copy) and the repair loop. A replica runs a pass only while it holds the pass's lease; a dead holder's lease runs
-- out and another replica takes it at its next tick. A scan asked for on demand (VerifyObjects) needs no lease.
CREATE TABLE object_store_leases (
  name       text PRIMARY KEY CHECK (name IN ('scan', 'repair')),
  holder     text NOT NULL,
  expires_at timestamptz NOT NULL
);
