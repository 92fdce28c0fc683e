-- A programme dose deferred for a contraindication, with its reason: the schedule engine shows the dose as deferred
-- until `deferred_until` (open-ended when null), after which it falls due again as a catch-up dose. The latest
-- deferral of a dose counts; each is kept.
CREATE TABLE immunization_deferrals (
  id                uuid        PRIMARY KEY,
  patient_id        uuid        NOT NULL REFERENCES children (patient_id),
  programme_vaccine text        NOT NULL,
  dose              integer     NOT NULL CHECK (dose > 0),
  contraindication  text        NOT NULL,
  deferred_on       date        NOT NULL,
  deferred_until    date,
  notes             text        NOT NULL DEFAULT '',
  notes_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified',
  institution_id    uuid,
  author_id         text        NOT NULL,
  record_version    integer     NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (deferred_until IS NULL OR deferred_until > deferred_on)
);
CREATE INDEX immunization_deferrals_patient ON immunization_deferrals (patient_id, deferred_on);
