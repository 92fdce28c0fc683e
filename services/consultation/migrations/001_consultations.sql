-- Consultation threads, their participants (with each one's read state) and their messages. A thread's row holds
-- its last sequence number: posting locks that row, so sequence numbers are assigned one at a time, in commit
-- order, without gaps (a rolled-back post gives its number back with the rollback).
CREATE TABLE consultations (
  id                       uuid        PRIMARY KEY,
  kind                     text        NOT NULL CHECK (kind IN ('resident-clinician', 'clinician-specialist')),
  status                   text        NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'in-progress', 'completed', 'cancelled')),
  patient_id               uuid        NOT NULL,
  subject                  text        NOT NULL DEFAULT '',
  referral_id              uuid,
  requester_account_id     text        NOT NULL,
  requester_institution_id uuid,
  addressed_institution_id uuid        NOT NULL,
  last_sequence            bigint      NOT NULL DEFAULT 0 CHECK (last_sequence >= 0),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  closed_at                timestamptz,
  closed_by                text,
  outcome                  text        NOT NULL DEFAULT '',
  CHECK ((status IN ('completed', 'cancelled')) = (closed_at IS NOT NULL)),
  CHECK (referral_id IS NULL OR kind = 'clinician-specialist')
);
CREATE INDEX consultations_patient ON consultations (patient_id);

CREATE TABLE participants (
  consultation_id    uuid        NOT NULL REFERENCES consultations (id),
  account_id         text        NOT NULL,
  account_kind       text        NOT NULL CHECK (account_kind IN ('staff', 'resident')),
  institution_id     uuid,
  state              text        NOT NULL CHECK (state IN ('invited', 'active', 'removed')),
  invited_by         text        NOT NULL DEFAULT '',
  joined_at          timestamptz,
  removed_at         timestamptz,
  last_read_sequence bigint      NOT NULL DEFAULT 0 CHECK (last_read_sequence >= 0),
  PRIMARY KEY (consultation_id, account_id),
  CHECK ((state = 'active') <= (joined_at IS NOT NULL))
);
CREATE INDEX participants_account ON participants (account_id, consultation_id) WHERE state = 'active';

CREATE TABLE messages (
  consultation_id       uuid        NOT NULL REFERENCES consultations (id),
  sequence              bigint      NOT NULL CHECK (sequence > 0),
  id                    uuid        NOT NULL UNIQUE,
  kind                  text        NOT NULL CHECK (kind IN ('post', 'event')),
  status                text        NOT NULL DEFAULT 'completed' CHECK (status IN ('completed')),
  sender_account_id     text        NOT NULL,
  sender_institution_id uuid,
  text                  text        NOT NULL DEFAULT '',
  -- [{objectId, fileName, contentType, sizeBytes}], as the client described them.
  attachments           jsonb       NOT NULL DEFAULT '[]',
  event                 text        NOT NULL DEFAULT '',
  event_account_id      text        NOT NULL DEFAULT '',
  sent_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consultation_id, sequence)
);

CREATE FUNCTION messages_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'messages are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER messages_no_update BEFORE UPDATE OR DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION messages_append_only();
