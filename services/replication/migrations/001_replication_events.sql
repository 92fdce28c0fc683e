-- What the replication observer saw happen: leader changes (failover or switchover), exposure windows,
-- switchover requests. Kept so that the status survives a restart of the service.
CREATE TABLE replication_events (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('failover', 'switchover', 'switchover-requested', 'exposed', 'in-sync')),
  from_zone   text NOT NULL DEFAULT '',
  to_zone     text NOT NULL DEFAULT '',
  timeline    integer NOT NULL DEFAULT 0,
  actor       text NOT NULL DEFAULT '',
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replication_events_kind ON replication_events (kind, occurred_at DESC);
