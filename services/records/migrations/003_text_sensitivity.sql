-- Free text classified at write time (issue 28): beside every free-text field, whether it names a condition on the
-- sensitive term list (services/common/data/sensitive-terms.json), accompanies a sensitive fact of its entry, was
-- cleared by its author, or is plain. A reader who may not see her sensitive facts does not see sensitive text.
-- Rows written before this are 'unclassified', which reads as sensitive; empty text is plain.
CREATE DOMAIN text_sensitivity AS text
  CHECK (VALUE IN ('plain', 'author-cleared', 'accompanies-sensitive', 'names-sensitive', 'unclassified'));

ALTER TABLE antenatal_visits  ADD COLUMN notes_sensitivity    text_sensitivity NOT NULL DEFAULT 'unclassified';
ALTER TABLE risk_assessments  ADD COLUMN reason_sensitivity   text_sensitivity NOT NULL DEFAULT 'unclassified';
ALTER TABLE postpartum_visits ADD COLUMN notes_sensitivity    text_sensitivity NOT NULL DEFAULT 'unclassified';
ALTER TABLE child_checks      ADD COLUMN notes_sensitivity    text_sensitivity NOT NULL DEFAULT 'unclassified';
ALTER TABLE imaging_studies   ADD COLUMN findings_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified';
-- The version log is append-only (its trigger refuses UPDATE), so its old rows stay 'unclassified'.
ALTER TABLE record_versions   ADD COLUMN reason_sensitivity   text_sensitivity NOT NULL DEFAULT 'unclassified';

UPDATE antenatal_visits  SET notes_sensitivity = 'plain'    WHERE notes = '';
UPDATE risk_assessments  SET reason_sensitivity = 'plain'   WHERE reason = '';
UPDATE postpartum_visits SET notes_sensitivity = 'plain'    WHERE notes = '';
UPDATE child_checks      SET notes_sensitivity = 'plain'    WHERE notes = '';
UPDATE imaging_studies   SET findings_sensitivity = 'plain' WHERE findings = '';
