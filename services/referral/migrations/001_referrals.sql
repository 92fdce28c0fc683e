-- Referral's schema: referrals as FHIR Tasks with every transition, the booking outbox of acceptances,
-- pending suggestions raised by records' risk outbox and the cursor that reads it.
CREATE TABLE referrals (
  id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id            uuid        NOT NULL,
  pregnancy_id          uuid,
  patient_county_code   text        NOT NULL DEFAULT '',
  direction             text        NOT NULL CHECK (direction IN ('up', 'down')),
  status                text        NOT NULL CHECK (status IN ('requested', 'received', 'accepted', 'rejected', 'in-progress', 'on-hold', 'completed', 'failed', 'cancelled')),
  urgency               text        NOT NULL CHECK (urgency IN ('routine', 'urgent', 'emergency')),
  risk_colour           text        NOT NULL DEFAULT '',
  from_institution_id   uuid        NOT NULL,
  to_institution_id     uuid        NOT NULL,
  receiver_critical_care boolean    NOT NULL DEFAULT false,
  requester_id          text        NOT NULL,
  reason                text        NOT NULL,
  business_status       text        NOT NULL DEFAULT '',
  status_reason         text        NOT NULL DEFAULT '',
  follow_up_plan        text        NOT NULL DEFAULT '',
  feedback              text        NOT NULL DEFAULT '',
  acceptance_deadline   timestamptz NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  accepted_at           timestamptz,
  completed_at          timestamptz,
  redirected_to         uuid        REFERENCES referrals (id),
  redirected_from       uuid        REFERENCES referrals (id),
  parent_referral_id    uuid        REFERENCES referrals (id),
  down_referral_id      uuid        REFERENCES referrals (id),
  suggestion_id         uuid,
  snapshot              jsonb,
  consultation_id       text        NOT NULL DEFAULT '',
  CHECK (from_institution_id <> to_institution_id),
  CHECK (status <> 'accepted' OR accepted_at IS NOT NULL)
);
-- One open referral of a patient between the same two institutions: a double submission with another key is 409.
CREATE UNIQUE INDEX referrals_one_open_per_pair ON referrals (patient_id, from_institution_id, to_institution_id)
  WHERE status IN ('requested', 'received', 'accepted', 'in-progress', 'on-hold');
CREATE UNIQUE INDEX referrals_one_per_suggestion ON referrals (suggestion_id) WHERE suggestion_id IS NOT NULL;
CREATE INDEX referrals_incoming ON referrals (to_institution_id, created_at DESC);
CREATE INDEX referrals_outgoing ON referrals (from_institution_id, created_at DESC);
CREATE INDEX referrals_patient ON referrals (patient_id);
CREATE INDEX referrals_month ON referrals (created_at, patient_county_code);

-- Every transition and business-status change, append-only.
CREATE TABLE referral_transitions (
  id             bigserial   PRIMARY KEY,
  referral_id    uuid        NOT NULL REFERENCES referrals (id),
  action         text        NOT NULL,
  from_status    text        NOT NULL DEFAULT '',
  to_status      text        NOT NULL,
  actor_id       text        NOT NULL,
  institution_id text        NOT NULL DEFAULT '',
  reason         text        NOT NULL DEFAULT '',
  at             timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX referral_transitions_referral ON referral_transitions (referral_id, id);

-- The booking asked for on acceptance: written with the acceptance; a worker retries a pending one until
-- scheduling answers, always with the same idempotency key (derived from the referral id), and cancels the
-- appointment of a referral cancelled after booking ('cancelling' until scheduling has done it).
CREATE TABLE referral_bookings (
  referral_id          uuid        PRIMARY KEY REFERENCES referrals (id),
  status               text        NOT NULL CHECK (status IN ('pending', 'booked', 'failed', 'cancelling', 'cancelled')),
  patient_id           uuid        NOT NULL,
  institution_id       uuid        NOT NULL,
  service_type         text        NOT NULL,
  requested_start      timestamptz NOT NULL,
  earliest_at_or_after boolean     NOT NULL,
  idempotency_key      text        NOT NULL UNIQUE,
  appointment_id       text        NOT NULL DEFAULT '',
  slot_start           timestamptz,
  attempts             integer     NOT NULL DEFAULT 0,
  last_error           text        NOT NULL DEFAULT '',
  next_attempt_at      timestamptz NOT NULL DEFAULT now(),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'booked' OR appointment_id <> '')
);
CREATE INDEX referral_bookings_due ON referral_bookings (next_attempt_at) WHERE status IN ('pending', 'cancelling');

-- Pending referral suggestions raised by confirmed orange/red grades. One pending suggestion per pregnancy and
-- institution: a later grade change updates it. `last_event` makes re-reading an event harmless.
CREATE TABLE referral_suggestions (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id      uuid        NOT NULL,
  pregnancy_id    uuid        NOT NULL,
  institution_id  uuid        NOT NULL,
  colour          text        NOT NULL,
  previous_colour text        NOT NULL DEFAULT '',
  county_code     text        NOT NULL DEFAULT '',
  last_event      text        NOT NULL,
  graded_at       timestamptz NOT NULL,
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'referred', 'dismissed')),
  referral_id     uuid        REFERENCES referrals (id),
  dismiss_reason  text        NOT NULL DEFAULT '',
  closed_by       text        NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX referral_suggestions_one_pending ON referral_suggestions (pregnancy_id, institution_id) WHERE status = 'pending';
CREATE INDEX referral_suggestions_worklist ON referral_suggestions (institution_id, created_at DESC) WHERE status = 'pending';

-- Where the risk outbox reader stands in records' ListRiskEvents.
CREATE TABLE outbox_cursors (
  source     text        PRIMARY KEY,
  cursor     text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
