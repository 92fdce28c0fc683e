-- The idempotency store of every service (DESIGN.md "Durability rules"): one row per caller, method and
-- client key, written in the same transaction as the effect it guards, kept at least 24 hours.
CREATE TABLE idempotency_keys (
  caller       text        NOT NULL,
  method       text        NOT NULL,
  key          text        NOT NULL,
  request_hash bytea       NOT NULL,
  response     bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (caller, method, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
