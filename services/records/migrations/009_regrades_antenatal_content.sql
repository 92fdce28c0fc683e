-- Issue #25 §2–§3. Re-grade proposals: when the current risk rules would grade a confirmed pregnancy differently from
-- what the rules proposed when it was confirmed, the new proposal goes to the treating clinician; the confirmed colour
-- and its reasons stay as they were until a clinician grades again. One proposal per (pregnancy, rule-set digest,
-- basis assessment), so running the sweep again proposes nothing twice.
CREATE TABLE risk_regrade_proposals (
  id                   uuid        PRIMARY KEY,
  pregnancy_id         uuid        NOT NULL REFERENCES pregnancies (id),
  patient_id           uuid        NOT NULL,
  -- The rule set and a digest of its file: a later edit of the same rule set is another sweep.
  rule_set_id          text        NOT NULL,
  rule_set_digest      text        NOT NULL,
  -- The grade assessment the confirmed colour came from.
  basis_assessment_id  uuid        NOT NULL REFERENCES risk_assessments (id),
  confirmed_colour     text        NOT NULL,
  confirmed_beside     text[]      NOT NULL DEFAULT '{}',
  proposed_colour      text        NOT NULL,
  proposed_beside      text[]      NOT NULL DEFAULT '{}',
  fired_rules          jsonb       NOT NULL DEFAULT '[]',
  record_version       integer     NOT NULL,
  proposed_at          timestamptz NOT NULL DEFAULT now(),
  -- Set when a clinician grades her again (whatever colour they confirm).
  resolved_by          uuid        REFERENCES risk_assessments (id),
  resolved_at          timestamptz,
  UNIQUE (pregnancy_id, rule_set_digest, basis_assessment_id)
);
CREATE INDEX risk_regrade_proposals_open ON risk_regrade_proposals (pregnancy_id) WHERE resolved_at IS NULL;

-- The open proposal on the pregnancy itself, so every read of her risk status carries it (NULL: none).
ALTER TABLE pregnancies ADD COLUMN regrade_proposal jsonb;

-- Content items of the antenatal schedule done at a visit (e.g. "ogtt-75g", "nt-scan"), by the schedule's item ids.
ALTER TABLE antenatal_visits ADD COLUMN content_done text[] NOT NULL DEFAULT '{}';
