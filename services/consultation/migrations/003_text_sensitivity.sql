-- Free text classified at write time (issue 28), as records and referral do: beside a thread's subject and outcome
-- and each message's text and attachment names, whether it names a condition on the sensitive term list
-- (services/common/data/sensitive-terms.json), accompanies a sensitive fact (the thread was opened beside one),
-- was cleared by its author, or is plain. A reader who may not see her sensitive facts does not see sensitive text.
-- Rows written before this are 'unclassified', which reads as sensitive (messages are append-only, so their old
-- rows stay so; empty text is never withheld).
CREATE DOMAIN text_sensitivity AS text
  CHECK (VALUE IN ('plain', 'author-cleared', 'accompanies-sensitive', 'names-sensitive', 'unclassified'));

ALTER TABLE consultations
  ADD COLUMN subject_sensitivity   text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN outcome_sensitivity   text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN accompanies_sensitive boolean          NOT NULL DEFAULT false;
ALTER TABLE messages
  ADD COLUMN text_sensitivity        text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN attachments_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified';

UPDATE consultations SET subject_sensitivity = 'plain' WHERE subject = '';
UPDATE consultations SET outcome_sensitivity = 'plain' WHERE outcome = '';
