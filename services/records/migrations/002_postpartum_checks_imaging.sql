-- Postpartum visits, child health checks and imaging study references: entries of the record, each stamped with
-- the version that added it, like the others.
CREATE TABLE postpartum_visits (
  id                 uuid        PRIMARY KEY,
  pregnancy_id       uuid        NOT NULL REFERENCES deliveries (pregnancy_id),
  patient_id         uuid        NOT NULL,
  -- The postpartum schedule item (home-visit, check-42-day) and the service it counts as.
  kind               text        NOT NULL,
  service            text        NOT NULL,
  visit_date         date        NOT NULL,
  days_after_delivery integer    NOT NULL CHECK (days_after_delivery >= 0),
  systolic_bp        integer     CHECK (systolic_bp > 0),
  diastolic_bp       integer     CHECK (diastolic_bp > 0),
  temperature_c      numeric(3, 1) CHECK (temperature_c > 0),
  breastfeeding      integer     NOT NULL DEFAULT 0,
  uterine_involution integer     NOT NULL DEFAULT 0,
  lochia             integer     NOT NULL DEFAULT 0,
  wound              integer     NOT NULL DEFAULT 0,
  findings           text[]      NOT NULL DEFAULT '{}',
  notes              text        NOT NULL DEFAULT '',
  institution_id     uuid,
  author_id          text        NOT NULL,
  record_version     integer     NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX postpartum_visits_pregnancy ON postpartum_visits (pregnancy_id, visit_date);

CREATE TABLE child_checks (
  id                    uuid        PRIMARY KEY,
  patient_id            uuid        NOT NULL REFERENCES children (patient_id),
  service               text        NOT NULL,
  checked_on            date        NOT NULL,
  age_days              integer     NOT NULL CHECK (age_days >= 0),
  development           integer     NOT NULL DEFAULT 0,
  feeding               integer     NOT NULL DEFAULT 0,
  haemoglobin           numeric(5, 1) CHECK (haemoglobin > 0),
  notes                 text        NOT NULL DEFAULT '',
  growth_measurement_id uuid        REFERENCES growth_measurements (id),
  institution_id        uuid,
  author_id             text        NOT NULL,
  record_version        integer     NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX child_checks_patient ON child_checks (patient_id, checked_on);

CREATE TABLE imaging_studies (
  id                 uuid        PRIMARY KEY,
  pregnancy_id       uuid        NOT NULL REFERENCES pregnancies (id),
  patient_id         uuid        NOT NULL,
  study_instance_uid text        NOT NULL CHECK (length(study_instance_uid) <= 64 AND study_instance_uid ~ '^[0-2](\.(0|[1-9][0-9]*))+$'),
  modality           text        NOT NULL,
  study_date         date        NOT NULL,
  -- The copy in the replicated object store: its sha256.
  object_id          text        CHECK (object_id ~ '^[0-9a-f]{64}$'),
  findings           text        NOT NULL DEFAULT '',
  institution_id     uuid,
  author_id          text        NOT NULL,
  record_version     integer     NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- A study is referenced once per pregnancy.
  UNIQUE (pregnancy_id, study_instance_uid)
);
