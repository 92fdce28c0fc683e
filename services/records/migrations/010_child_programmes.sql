-- Newborn screening entries (blood spot samples and recalls; hearing screens on the 1-3-6 path) and the
-- psychological and behavioural warning-sign checks, answered item by item. Follow-ups and 体弱儿 suggestions are
-- computed on read from these, the growth measurements and the child checks (nothing is enrolled by itself).
CREATE TABLE newborn_screenings (
  id                uuid        PRIMARY KEY,
  patient_id        uuid        NOT NULL REFERENCES children (patient_id),
  programme         text        NOT NULL CHECK (programme IN ('disease', 'hearing')),
  stage             text        NOT NULL CHECK (stage IN ('sample', 'recall', 'initial', 'rescreen', 'diagnosis', 'intervention')),
  performed_on      date        NOT NULL,
  results           jsonb       NOT NULL,
  notes             text        NOT NULL DEFAULT '',
  notes_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified',
  institution_id    uuid,
  author_id         text        NOT NULL,
  record_version    integer     NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((programme = 'disease') = (stage IN ('sample', 'recall')))
);
CREATE INDEX newborn_screenings_patient ON newborn_screenings (patient_id, performed_on);
CREATE INDEX newborn_screenings_institution ON newborn_screenings (institution_id, patient_id);

CREATE TABLE warning_sign_checks (
  id             uuid        PRIMARY KEY,
  patient_id     uuid        NOT NULL REFERENCES children (patient_id),
  checked_on     date        NOT NULL,
  band_months    integer     NOT NULL,
  answers        jsonb       NOT NULL,
  positive       text[]      NOT NULL,
  institution_id uuid,
  author_id      text        NOT NULL,
  record_version integer     NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warning_sign_checks_patient ON warning_sign_checks (patient_id, checked_on);
CREATE INDEX warning_sign_checks_institution ON warning_sign_checks (institution_id, patient_id);

-- The institution's worklist reads its latest measurements and checks.
CREATE INDEX IF NOT EXISTS growth_measurements_institution ON growth_measurements (institution_id, patient_id);
CREATE INDEX IF NOT EXISTS child_checks_institution ON child_checks (institution_id, patient_id);
