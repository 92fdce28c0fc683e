-- Lab results from hospital LIS over HL7 v2 / MLLP (issue #32 §1). One row per accepted ORU^R01, unique by its key
-- (MSH-3, MSH-4, MSH-10), written in the same transaction as its results or its review entry, so a resend is
-- answered with the first outcome and nothing of a refused message is kept. Result text (names of tests, values)
-- may reveal an infection: read only through the record's privacy rules.
CREATE TABLE lis_messages (
  id                   uuid        PRIMARY KEY,
  sending_application  text        NOT NULL,
  sending_facility     text        NOT NULL,
  control_id           text        NOT NULL,
  -- 'stored': results in lab_results; 'review': the patient was not matched, held in lab_result_reviews.
  outcome              text        NOT NULL CHECK (outcome IN ('stored', 'review')),
  patient_id           uuid,
  charset              text        NOT NULL,
  received_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sending_application, sending_facility, control_id),
  CHECK ((outcome = 'stored') = (patient_id IS NOT NULL))
);

CREATE TABLE lab_results (
  id               uuid        PRIMARY KEY,
  message_id       uuid        NOT NULL REFERENCES lis_messages (id),
  patient_id       uuid        NOT NULL REFERENCES patient_records (patient_id),
  -- The pregnancy active when the result was stored, if any (the grading reads its results).
  pregnancy_id     uuid        REFERENCES pregnancies (id),
  set_id           integer     NOT NULL,
  code             text        NOT NULL,
  coding_system    text        NOT NULL DEFAULT '',
  name             text        NOT NULL DEFAULT '',
  order_code       text        NOT NULL DEFAULT '',
  value_type       text        NOT NULL,
  value            text        NOT NULL,
  numeric_value    numeric,
  units            text        NOT NULL DEFAULT '',
  reference_range  text        NOT NULL DEFAULT '',
  abnormal_flags   text[]      NOT NULL DEFAULT '{}',
  status           text        NOT NULL CHECK (status IN ('F', 'C')),
  observed_on      date        NOT NULL,
  -- What the grading reads: a lab code with its result, or a metric in the grading's unit.
  grading_lab      text,
  grading_result   text        CHECK (grading_result IN ('positive', 'negative', 'indeterminate')),
  grading_metric   text        CHECK (grading_metric IN ('haemoglobin', 'plateletCount', 'proteinuria')),
  grading_value    numeric,
  record_version   integer     NOT NULL,
  UNIQUE (message_id, set_id),
  CHECK ((grading_lab IS NULL) = (grading_result IS NULL)),
  CHECK ((grading_metric IS NULL) = (grading_value IS NULL))
);
CREATE INDEX lab_results_patient ON lab_results (patient_id, observed_on);
CREATE INDEX lab_results_pregnancy ON lab_results (pregnancy_id, observed_on) WHERE pregnancy_id IS NOT NULL;

-- Messages whose patient the MPI did not match (never guessed): the parsed message waits for a person to attach it
-- to a patient or to reject it. Its id is MSA-3 of the AA that answered it.
CREATE TABLE lab_result_reviews (
  id           uuid        PRIMARY KEY,
  message_id   uuid        NOT NULL UNIQUE REFERENCES lis_messages (id),
  -- The identifiers as sent (PID-3), the name (PID-5), and the parsed observations.
  identifiers  jsonb       NOT NULL,
  patient_name text        NOT NULL,
  message      jsonb       NOT NULL,
  status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'attached', 'rejected')),
  resolved_by  text,
  resolved_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lab_result_reviews_open ON lab_result_reviews (created_at) WHERE status = 'open';

-- A re-grading suggestion for her treating clinicians: the engine's new proposal after LIS results changed it. The
-- grade moves only when a clinician grades her (AssessRisk), which closes the open suggestion.
CREATE TABLE regrading_suggestions (
  id                 uuid        PRIMARY KEY,
  pregnancy_id       uuid        NOT NULL REFERENCES pregnancies (id),
  patient_id         uuid        NOT NULL,
  message_id         uuid        NOT NULL REFERENCES lis_messages (id),
  rule_set_id        text        NOT NULL,
  confirmed_colour   text        NOT NULL DEFAULT '',
  confirmed_beside   text[]      NOT NULL DEFAULT '{}',
  proposed_colour    text        NOT NULL,
  proposed_beside    text[]      NOT NULL DEFAULT '{}',
  new_rule_ids       text[]      NOT NULL DEFAULT '{}',
  status             text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'graded')),
  created_at         timestamptz NOT NULL DEFAULT now(),
  graded_at          timestamptz
);
CREATE INDEX regrading_suggestions_open ON regrading_suggestions (pregnancy_id) WHERE status = 'open';

-- The message log is kept as received: the service role inserts and reads it, never changes or deletes it.
INSERT INTO service_role_grants (table_name, privileges, why) VALUES
  ('lis_messages', 'SELECT, INSERT', 'the LIS message log answers resends with the first outcome: append-only');
