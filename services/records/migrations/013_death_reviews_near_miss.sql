-- Death reviews (评审, issue #23 §1): a county panel's, then the prefecture's, review of a reported death, with the
-- conclusion on avoidability and the contributing factors as cells of the 十二格表 grid (codes of
-- services/records/data/death-review.json). One review per level; kept as concluded. Not a record version: the
-- reviewers are not her treating team and must not join it.
CREATE TABLE death_reviews (
  id                       uuid        PRIMARY KEY,
  death_report_id          uuid        NOT NULL REFERENCES death_reports (id),
  level                    text        NOT NULL CHECK (level IN ('county', 'prefecture')),
  conclusion               text        NOT NULL,
  -- [{"link": ..., "aspect": ...}], in the grid's order.
  factors                  jsonb       NOT NULL DEFAULT '[]',
  panel_date               date        NOT NULL,
  reviewing_institution_id uuid,
  reviewed_by              text        NOT NULL,
  reviewed_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (death_report_id, level)
);

INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('death_reviews', 'SELECT, INSERT', 'a death review is kept as concluded: append-only');

-- Maternal near miss (WHO 2011): one per pregnancy, written with a record version and the statistics facts in one
-- transaction; the criteria are codes of services/records/data/near-miss-criteria.json.
CREATE TABLE maternal_near_misses (
  id                       uuid        PRIMARY KEY,
  patient_id               uuid        NOT NULL REFERENCES patient_records (patient_id),
  pregnancy_id             uuid        NOT NULL UNIQUE REFERENCES pregnancies (id),
  event_date               date        NOT NULL,
  criteria                 text[]      NOT NULL CHECK (cardinality(criteria) > 0),
  county_code              text        NOT NULL,
  reporting_institution_id uuid,
  reported_by              text        NOT NULL,
  record_version           integer     NOT NULL,
  reported_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maternal_near_misses_patient ON maternal_near_misses (patient_id);

INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('maternal_near_misses', 'SELECT, INSERT', 'a near miss is kept as recorded: append-only');
