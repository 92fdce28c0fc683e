-- The replicated object store's metadata: each object (content-addressed by SHA-256), what references it (the
-- right to read follows these), which zones hold a verified copy, and the verify-and-repair scans.
CREATE TABLE objects (
  id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
  size         bigint NOT NULL CHECK (size >= 0),
  content_type text NOT NULL,
  uploaded_by  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE object_references (
  object_id text NOT NULL REFERENCES objects (id),
  kind      text NOT NULL CHECK (kind IN ('patient', 'consultation')),
  target_id text NOT NULL,
  added_by  text NOT NULL,
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object_id, kind, target_id)
);
CREATE INDEX object_references_target ON object_references (kind, target_id);

-- One row per object and zone: 'verified' when the zone's agent holds bytes that hash to the id.
CREATE TABLE object_copies (
  object_id  text NOT NULL REFERENCES objects (id),
  zone       text NOT NULL,
  state      text NOT NULL CHECK (state IN ('verified', 'missing', 'corrupt')),
  checked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object_id, zone)
);
-- The repair loop's work list and the exposure count stay cheap however many objects are verified.
CREATE INDEX object_copies_unverified ON object_copies (zone, object_id) WHERE state <> 'verified';

CREATE TABLE object_scans (
  id          bigserial PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  checked     bigint NOT NULL,
  missing     bigint NOT NULL,
  corrupt     bigint NOT NULL,
  repaired    bigint NOT NULL
);
