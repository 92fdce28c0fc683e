-- Death reports (issue #23 §1): maternal deaths (孕产妇死亡报告卡) and deaths of children under five (5岁以下儿童
-- 死亡报告卡), one per patient, written with a record version and the statistics facts in one transaction. The
-- columns the statistics and the access rule need are columns; the rest of the card is `details` (JSON). Read only
-- through GetDeathReport, whose rule is stricter than the record's (policy canReadDeathReport).
CREATE TABLE death_reports (
  id                       uuid        PRIMARY KEY,
  patient_id               uuid        NOT NULL UNIQUE REFERENCES patient_records (patient_id),
  kind                     text        NOT NULL CHECK (kind IN ('maternal', 'child')),
  -- Maternal: the pregnancy she died in or after.
  pregnancy_id             uuid        REFERENCES pregnancies (id),
  death_date               date        NOT NULL,
  -- Child: age at death in days; NULL for a maternal death.
  age_days                 integer     CHECK (age_days >= 0),
  -- County of residence, as the pregnancy or the child's record has it.
  county_code              text        NOT NULL,
  place_of_death           smallint    NOT NULL CHECK (place_of_death BETWEEN 1 AND 7),
  cause_group              text        NOT NULL,
  icd10                    text        NOT NULL DEFAULT '',
  diagnosis_basis          smallint    NOT NULL CHECK (diagnosis_basis BETWEEN 1 AND 4),
  details                  jsonb       NOT NULL DEFAULT '{}',
  reporting_institution_id uuid,
  reported_by              text        NOT NULL,
  record_version           integer     NOT NULL,
  reported_at              timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'maternal') = (pregnancy_id IS NOT NULL)),
  CHECK ((kind = 'child') = (age_days IS NOT NULL))
);
CREATE INDEX death_reports_month ON death_reports (death_date);

-- A death report is kept as reported: the service role inserts and reads it, never changes or deletes it.
INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('death_reports', 'SELECT, INSERT', 'a death report is kept as reported: append-only');
