-- The shared record: one row per patient holding its current version, an append-only log of every version, and
-- the entries (pregnancies, visits, grades, deliveries, child data) each stamped with the version that added it.
CREATE TABLE patient_records (
  patient_id uuid        PRIMARY KEY,
  version    integer     NOT NULL CHECK (version >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE record_versions (
  patient_id     uuid        NOT NULL REFERENCES patient_records (patient_id),
  version        integer     NOT NULL CHECK (version > 0),
  change         text        NOT NULL,
  entity_id      uuid,
  author_id      text        NOT NULL,
  institution_id text        NOT NULL DEFAULT '',
  reason         text        NOT NULL DEFAULT '',
  request_id     text        NOT NULL DEFAULT '',
  -- The entry as written (without sensitive content), so the history says what changed.
  entry          jsonb       NOT NULL DEFAULT '{}',
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (patient_id, version)
);

CREATE FUNCTION record_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'record_versions is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER record_versions_no_update BEFORE UPDATE OR DELETE ON record_versions
  FOR EACH ROW EXECUTE FUNCTION record_versions_append_only();

-- The treating team of a patient: every institution that recorded her care (sensitive records are theirs).
CREATE TABLE care_institutions (
  patient_id     uuid        NOT NULL,
  institution_id uuid        NOT NULL,
  first_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_id, institution_id)
);

CREATE TABLE pregnancies (
  id                     uuid        PRIMARY KEY,
  patient_id             uuid        NOT NULL REFERENCES patient_records (patient_id),
  county_code            text        NOT NULL DEFAULT '',
  maternal_birth_date    date,
  lmp                    date        NOT NULL,
  edd                    date        NOT NULL,
  dating_method          text        NOT NULL CHECK (dating_method IN ('lmp', 'ultrasound')),
  registered_on          date        NOT NULL,
  registered_ga_days     integer     NOT NULL,
  registered_at          uuid,
  registered_by          text        NOT NULL,
  pre_pregnancy_bmi      numeric(4, 1),
  findings               text[]      NOT NULL DEFAULT '{}',
  status                 text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
  risk_colour            text        NOT NULL DEFAULT '',
  risk_beside            text[]      NOT NULL DEFAULT '{}',
  risk_graded_at         timestamptz,
  screen_positive        boolean     NOT NULL DEFAULT false,
  screen_reasons         text[]      NOT NULL DEFAULT '{}',
  in_case_management     boolean     NOT NULL DEFAULT false,
  record_version         integer     NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT now()
);
-- One active pregnancy per woman.
CREATE UNIQUE INDEX pregnancies_one_active ON pregnancies (patient_id) WHERE status = 'active';
CREATE INDEX pregnancies_patient ON pregnancies (patient_id, registered_on);
CREATE INDEX pregnancies_county_month ON pregnancies (county_code, registered_on);

CREATE TABLE antenatal_visits (
  id               uuid        PRIMARY KEY,
  pregnancy_id     uuid        NOT NULL REFERENCES pregnancies (id),
  patient_id       uuid        NOT NULL,
  visit_date       date        NOT NULL,
  ga_days          integer     NOT NULL,
  institution_id   uuid,
  author_id        text        NOT NULL,
  systolic_bp      integer,
  diastolic_bp     integer,
  weight_kg        numeric(5, 1),
  fundal_height_cm numeric(4, 1),
  fetal_heart_rate integer,
  proteinuria      integer     NOT NULL DEFAULT 0,
  haemoglobin      numeric(5, 1),
  platelet_count   numeric(6, 1),
  findings         text[]      NOT NULL DEFAULT '{}',
  labs             jsonb       NOT NULL DEFAULT '[]',
  notes            text        NOT NULL DEFAULT '',
  screen_positive  boolean     NOT NULL DEFAULT false,
  screen_reasons   text[]      NOT NULL DEFAULT '{}',
  record_version   integer     NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX antenatal_visits_pregnancy ON antenatal_visits (pregnancy_id, visit_date);

CREATE TABLE risk_assessments (
  id                      uuid        PRIMARY KEY,
  pregnancy_id            uuid        NOT NULL REFERENCES pregnancies (id),
  patient_id              uuid        NOT NULL,
  kind                    text        NOT NULL CHECK (kind IN ('grade', 'screen')),
  assessed_on             date        NOT NULL,
  rule_set_id             text        NOT NULL,
  proposed_colour         text        NOT NULL,
  proposed_beside         text[]      NOT NULL DEFAULT '{}',
  fired_rules             jsonb       NOT NULL DEFAULT '[]',
  unassessed_metrics      text[]      NOT NULL DEFAULT '{}',
  colour                  text        NOT NULL DEFAULT '',
  beside_colours          text[]      NOT NULL DEFAULT '{}',
  overrides_proposal      boolean     NOT NULL DEFAULT false,
  reason                  text        NOT NULL DEFAULT '',
  screen_positive         boolean     NOT NULL DEFAULT false,
  in_case_management      boolean     NOT NULL DEFAULT false,
  assessor_id             text        NOT NULL,
  institution_id          uuid,
  record_version          integer     NOT NULL,
  recorded_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'grade' OR colour <> '')
);
CREATE INDEX risk_assessments_pregnancy ON risk_assessments (pregnancy_id, recorded_at);

CREATE TABLE deliveries (
  pregnancy_id   uuid        PRIMARY KEY REFERENCES pregnancies (id),
  patient_id     uuid        NOT NULL,
  delivery_date  date        NOT NULL,
  discharge_date date,
  mode           integer     NOT NULL,
  outcome        integer     NOT NULL,
  ga_days        integer     NOT NULL,
  institution_id uuid,
  newborns       jsonb       NOT NULL DEFAULT '[]',
  record_version integer     NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE children (
  patient_id         uuid        PRIMARY KEY REFERENCES patient_records (patient_id),
  mother_patient_id  uuid,
  pregnancy_id       uuid,
  birth_date         date        NOT NULL,
  sex                text        NOT NULL CHECK (sex IN ('female', 'male')),
  discharge_date     date,
  birth_order        integer,
  birth_weight_grams integer,
  birth_length_cm    numeric(4, 1),
  county_code        text        NOT NULL DEFAULT '',
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX children_county_birth ON children (county_code, birth_date);

CREATE TABLE growth_measurements (
  id                    uuid        PRIMARY KEY,
  patient_id            uuid        NOT NULL REFERENCES children (patient_id),
  measured_on           date        NOT NULL,
  age_days              integer     NOT NULL,
  weight_kg             numeric(6, 3),
  length_height_cm      numeric(5, 1),
  position              text        NOT NULL DEFAULT '',
  head_circumference_cm numeric(4, 1),
  z_scores              jsonb       NOT NULL DEFAULT '[]',
  institution_id        uuid,
  author_id             text        NOT NULL,
  record_version        integer     NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX growth_measurements_patient ON growth_measurements (patient_id, measured_on);

CREATE TABLE immunizations (
  id             uuid        PRIMARY KEY,
  patient_id     uuid        NOT NULL REFERENCES children (patient_id),
  vaccine        text        NOT NULL,
  programme_vaccine text     NOT NULL,
  dose           integer     NOT NULL CHECK (dose > 0),
  given_on       date        NOT NULL,
  lot_number     text        NOT NULL DEFAULT '',
  institution_id uuid,
  author_id      text        NOT NULL,
  record_version integer     NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- A dose of a programme vaccine is given once.
  UNIQUE (patient_id, programme_vaccine, dose)
);

CREATE TABLE screenings (
  id             uuid        PRIMARY KEY,
  patient_id     uuid        NOT NULL REFERENCES children (patient_id),
  kind           integer     NOT NULL,
  instrument     text        NOT NULL,
  screened_on    date        NOT NULL,
  score          numeric,
  result         integer     NOT NULL,
  notes          text        NOT NULL DEFAULT '',
  institution_id uuid,
  author_id      text        NOT NULL,
  record_version integer     NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX screenings_patient ON screenings (patient_id, screened_on);

-- The risk outbox: one row per confirmed grade change, written in the grade's transaction. Readers page by
-- (txid, id) and only see transactions older than every transaction still in flight, so a row that commits
-- late can never appear behind a cursor a reader already passed.
CREATE TABLE risk_events (
  id                 bigserial   PRIMARY KEY,
  txid               xid8        NOT NULL DEFAULT pg_current_xact_id(),
  patient_id         uuid        NOT NULL,
  pregnancy_id       uuid        NOT NULL REFERENCES pregnancies (id),
  assessment_id      uuid        NOT NULL REFERENCES risk_assessments (id),
  previous_colour    text        NOT NULL DEFAULT '',
  previous_beside    text[]      NOT NULL DEFAULT '{}',
  colour             text        NOT NULL,
  beside_colours     text[]      NOT NULL DEFAULT '{}',
  in_case_management boolean     NOT NULL,
  county_code        text        NOT NULL DEFAULT '',
  institution_id     uuid,
  occurred_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX risk_events_cursor ON risk_events (txid, id);

-- The high-risk case register (专案管理): orange, red and purple pregnancies; closed when the grade drops.
CREATE TABLE high_risk_cases (
  pregnancy_id   uuid        PRIMARY KEY REFERENCES pregnancies (id),
  patient_id     uuid        NOT NULL,
  county_code    text        NOT NULL DEFAULT '',
  colour         text        NOT NULL,
  beside_colours text[]      NOT NULL DEFAULT '{}',
  opened_at      timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  closed_at      timestamptz
);
CREATE INDEX high_risk_cases_open ON high_risk_cases (county_code, updated_at DESC) WHERE closed_at IS NULL;
