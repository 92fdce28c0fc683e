-- Free text classified at write time (issue 28), as records does (records' migration 003): beside every free-text
-- field of a referral and of each transition, whether it names a condition on the sensitive term list
-- (services/common/data/sensitive-terms.json), accompanies a sensitive fact, was cleared by its author, or is plain.
-- A reader who may not see her sensitive facts does not see sensitive text. Rows written before this are
-- 'unclassified', which reads as sensitive; empty text is plain.
CREATE DOMAIN text_sensitivity AS text
  CHECK (VALUE IN ('plain', 'author-cleared', 'accompanies-sensitive', 'names-sensitive', 'unclassified'));

ALTER TABLE referrals
  ADD COLUMN reason_sensitivity          text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN follow_up_plan_sensitivity  text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN feedback_sensitivity        text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN status_reason_sensitivity   text_sensitivity NOT NULL DEFAULT 'unclassified',
  ADD COLUMN business_status_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified',
  -- The referral was written beside a sensitive fact of her record as its author saw it (a colour beside her grade,
  -- a screening reason or finding naming a listed condition): its later free text accompanies that fact too.
  ADD COLUMN accompanies_sensitive       boolean          NOT NULL DEFAULT true;
ALTER TABLE referral_transitions ADD COLUMN reason_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified';
ALTER TABLE referral_suggestions ADD COLUMN dismiss_reason_sensitivity text_sensitivity NOT NULL DEFAULT 'unclassified';

UPDATE referrals SET reason_sensitivity = 'plain' WHERE reason = '';
UPDATE referrals SET follow_up_plan_sensitivity = 'plain' WHERE follow_up_plan = '';
UPDATE referrals SET feedback_sensitivity = 'plain' WHERE feedback = '';
UPDATE referrals SET status_reason_sensitivity = 'plain' WHERE status_reason = '';
UPDATE referrals SET business_status_sensitivity = 'plain' WHERE business_status = '';
UPDATE referral_transitions SET reason_sensitivity = 'plain' WHERE reason = '';
UPDATE referral_suggestions SET dismiss_reason_sensitivity = 'plain' WHERE dismiss_reason = '';
