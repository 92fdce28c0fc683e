-- FHIR Bulk Data $export jobs (issue 24 §2): records owns them because it owns the data they read. A job names
-- who asked (the client, for the concurrency limit and for the download check), what (system or one county's
-- Group, the types, _since), its cursor per type (the last patient written, so a restarted worker resumes there)
-- and when its files expire. The NDJSON files are kept here too, in both zones like every row, as parts of at
-- most a bounded size, so a download streams them part by part and a file never has to sit in memory whole.
CREATE TABLE fhir_export_jobs (
  id               uuid        PRIMARY KEY,
  client_id        text        NOT NULL,
  -- 'system' or 'group'; county_code is set for a group export.
  level            text        NOT NULL CHECK (level IN ('system', 'group')),
  county_code      text        NOT NULL DEFAULT '',
  resource_types   text[]      NOT NULL,
  since            timestamptz,
  request_url      text        NOT NULL,
  -- queued -> running -> completed | failed | cancelled (cancelled jobs keep no files).
  status           text        NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  -- {"<type>": {"afterPatient": "<uuid>" | null, "done": bool}}: where each type's pass stands.
  cursors          jsonb       NOT NULL DEFAULT '{}',
  patients_total   integer     NOT NULL DEFAULT 0,
  patients_done    integer     NOT NULL DEFAULT 0,
  error            text        NOT NULL DEFAULT '',
  transaction_time timestamptz NOT NULL,
  -- The primary's WAL position at kick-off: the worker reads the standby only once it has replayed this far, so
  -- nothing committed before transactionTime is missed by a lagging standby.
  start_lsn        pg_lsn      NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  expires_at       timestamptz NOT NULL,
  -- The worker holding the job, until when (a worker that died lets the lease run out and another resumes).
  lease_owner      text        NOT NULL DEFAULT '',
  lease_until      timestamptz,
  -- Who started it, for the audit events the worker writes for every patient it exports.
  actor            jsonb       NOT NULL,
  request_id       text        NOT NULL DEFAULT ''
);
CREATE INDEX fhir_export_jobs_open ON fhir_export_jobs (status, created_at) WHERE status IN ('queued', 'running');
CREATE INDEX fhir_export_jobs_client ON fhir_export_jobs (client_id, status);

CREATE TABLE fhir_export_files (
  job_id        uuid    NOT NULL REFERENCES fhir_export_jobs (id) ON DELETE CASCADE,
  resource_type text    NOT NULL,
  file_index    integer NOT NULL CHECK (file_index >= 0),
  part_index    integer NOT NULL CHECK (part_index >= 0),
  resources     integer NOT NULL CHECK (resources >= 0),
  ndjson        text    NOT NULL,
  PRIMARY KEY (job_id, resource_type, file_index, part_index)
);
