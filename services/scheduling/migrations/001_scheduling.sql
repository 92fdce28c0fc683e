-- Scheduling: published schedules (weekly sessions and dated exceptions), slot occupancy, appointments, the
-- reminder outbox and the follow-up list. The database itself refuses a slot booked beyond its capacity and a
-- patient holding two overlapping appointments, whatever the concurrency.

-- btree_gist lets one exclusion constraint combine equality on patient_id with overlap of time ranges. It is a
-- trusted extension (PostgreSQL 13+): the database owner may create it. In public, so any schema can use it.
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;

CREATE TABLE schedules (
  institution_id uuid        PRIMARY KEY,
  version        integer     NOT NULL CHECK (version > 0),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  updated_by     text        NOT NULL
);

CREATE TABLE weekly_sessions (
  institution_id uuid     NOT NULL REFERENCES schedules (institution_id) ON DELETE CASCADE,
  service        text     NOT NULL CHECK (service IN ('antenatal-check', 'ultrasound', 'child-health-check', 'vaccination', 'consultation', 'delivery-assessment')),
  -- ISO weekday, 1 Monday ... 7 Sunday; times are local (Asia/Shanghai).
  weekday        smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_minute   smallint NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
  end_minute     smallint NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
  slot_minutes   smallint NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
  capacity       smallint NOT NULL CHECK (capacity BETWEEN 1 AND 500),
  PRIMARY KEY (institution_id, service, weekday, start_minute),
  CHECK (end_minute > start_minute)
);

CREATE TABLE schedule_exceptions (
  institution_id uuid     NOT NULL REFERENCES schedules (institution_id) ON DELETE CASCADE,
  position       smallint NOT NULL,
  on_date        date     NOT NULL,
  -- NULL: every service (a closed day).
  service        text     CHECK (service IN ('antenatal-check', 'ultrasound', 'child-health-check', 'vaccination', 'consultation', 'delivery-assessment')),
  closed         boolean  NOT NULL,
  start_minute   smallint,
  end_minute     smallint,
  slot_minutes   smallint,
  capacity       smallint,
  reason         text     NOT NULL DEFAULT '',
  PRIMARY KEY (institution_id, position),
  CHECK (closed OR (service IS NOT NULL AND start_minute IS NOT NULL AND end_minute > start_minute AND slot_minutes BETWEEN 5 AND 240 AND capacity BETWEEN 1 AND 500))
);

-- One row per slot that has ever been booked: `booked` counts its active appointments (kept by the trigger below)
-- and may never exceed `capacity`. Concurrent bookings of one slot queue on this row's lock; the CHECK refuses the
-- one too many.
CREATE TABLE slot_occupancy (
  institution_id uuid        NOT NULL,
  service        text        NOT NULL,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL,
  capacity       integer     NOT NULL CHECK (capacity >= 0),
  booked         integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (institution_id, service, starts_at),
  CONSTRAINT slot_occupancy_within_capacity CHECK (booked >= 0 AND booked <= capacity)
);

CREATE TABLE appointments (
  id                  uuid        PRIMARY KEY,
  patient_id          uuid        NOT NULL,
  institution_id      uuid        NOT NULL,
  service             text        NOT NULL,
  starts_at           timestamptz NOT NULL,
  ends_at             timestamptz NOT NULL,
  status              text        NOT NULL CHECK (status IN ('proposed', 'pending', 'booked', 'arrived', 'checked-in', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'waitlist')),
  referral_id         text        NOT NULL DEFAULT '',
  booked_by           text        NOT NULL,
  -- The patient's county of residence (identity), for the county follow-up list.
  county_code         text        NOT NULL DEFAULT '',
  cancellation_reason text        NOT NULL DEFAULT '',
  reschedule_count    integer     NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at),
  -- One patient never holds two overlapping appointments that are still on.
  CONSTRAINT appointments_patient_no_overlap EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('pending', 'booked', 'arrived', 'checked-in'))
);
CREATE INDEX appointments_patient_start ON appointments (patient_id, starts_at);
CREATE INDEX appointments_institution_start ON appointments (institution_id, starts_at);
CREATE INDEX appointments_referral ON appointments (referral_id) WHERE referral_id <> '';

-- Keeps slot_occupancy.booked equal to the number of active appointments in each slot. The occupancy row must
-- exist (the booking creates it with the slot's capacity); a missing one is a bug, refused loudly.
CREATE FUNCTION appointments_occupy() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_active boolean := TG_OP = 'UPDATE' AND OLD.status IN ('pending', 'booked', 'arrived', 'checked-in');
  is_active  boolean := NEW.status IN ('pending', 'booked', 'arrived', 'checked-in');
  same_slot  boolean := TG_OP = 'UPDATE' AND OLD.institution_id = NEW.institution_id AND OLD.service = NEW.service AND OLD.starts_at = NEW.starts_at;
BEGIN
  IF was_active AND is_active AND same_slot THEN
    RETURN NEW;
  END IF;
  IF was_active THEN
    UPDATE slot_occupancy SET booked = booked - 1
     WHERE institution_id = OLD.institution_id AND service = OLD.service AND starts_at = OLD.starts_at;
  END IF;
  IF is_active THEN
    UPDATE slot_occupancy SET booked = booked + 1
     WHERE institution_id = NEW.institution_id AND service = NEW.service AND starts_at = NEW.starts_at;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no slot_occupancy row for % % %', NEW.institution_id, NEW.service, NEW.starts_at;
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER appointments_occupy AFTER INSERT OR UPDATE OF status, institution_id, service, starts_at ON appointments
  FOR EACH ROW EXECUTE FUNCTION appointments_occupy();

-- The reminder outbox: written in the transaction that makes the reason for it, drained by the worker.
CREATE TABLE reminders (
  id             bigserial   PRIMARY KEY,
  -- What it is about, unique: `appointment:<id>` or `due:<patient>:<item>:<due date>`.
  dedupe_key     text        NOT NULL UNIQUE,
  kind           text        NOT NULL CHECK (kind IN ('appointment', 'due-check')),
  patient_id     uuid        NOT NULL,
  appointment_id uuid,
  message        text        NOT NULL,
  send_after     timestamptz NOT NULL,
  sent_at        timestamptz,
  cancelled_at   timestamptz,
  attempts       integer     NOT NULL DEFAULT 0,
  last_error     text        NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reminders_pending ON reminders (send_after) WHERE sent_at IS NULL AND cancelled_at IS NULL;

-- Women and children to reach: an overdue check with nothing booked, or a missed appointment not booked again.
CREATE TABLE follow_ups (
  patient_id     uuid        NOT NULL,
  -- `item:<schedule item>` or `noshow:<appointment id>`.
  reason_key     text        NOT NULL,
  kind           text        NOT NULL CHECK (kind IN ('overdue', 'lost-to-follow-up')),
  item_id        text        NOT NULL DEFAULT '',
  label_zh       text        NOT NULL DEFAULT '',
  label_en       text        NOT NULL DEFAULT '',
  service        text        NOT NULL DEFAULT '',
  overdue_on     date,
  appointment_id uuid,
  institution_id uuid,
  county_code    text        NOT NULL DEFAULT '',
  since          timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  PRIMARY KEY (patient_id, reason_key)
);
CREATE INDEX follow_ups_open_institution ON follow_ups (institution_id, since) WHERE resolved_at IS NULL;
CREATE INDEX follow_ups_open_county ON follow_ups (county_code, since) WHERE resolved_at IS NULL;

-- When each periodic sweep last ran (any replica): the replica whose UPDATE claims the row runs it.
CREATE TABLE sweeps (
  name        text        PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);
