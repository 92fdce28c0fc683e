-- Statistics facts and monthly rollups (issue #23 §3). A fact is one indicator's contribution of one subject (a
-- pregnancy, a child) or one scheduled item of it: written in the transaction of every record change that alters
-- it, so the statistics never evaluate schedules per request. The rollups sum the facts per indicator, month,
-- county of residence and institution; a leased background pass folds changed months in, and the statistics
-- route reads only the rollups (from the standby).
CREATE TABLE statistics_facts (
  patient_id     uuid    NOT NULL,
  indicator      text    NOT NULL,
  -- The pregnancy or child the fact is about, and the scheduled item ('' for a fact about the subject itself).
  subject_id     uuid    NOT NULL,
  item           text    NOT NULL DEFAULT '',
  county_code    text    NOT NULL DEFAULT '',
  institution_id uuid,
  -- The first day of the month the fact is filed under.
  month          date    NOT NULL CHECK (extract(day FROM month) = 1),
  -- The day it enters the denominator (an item falling overdue); NULL: at once. A numerator counts at once.
  counted_from   date,
  numerator      integer NOT NULL CHECK (numerator >= 0),
  denominator    integer NOT NULL CHECK (denominator >= 0),
  PRIMARY KEY (patient_id, indicator, subject_id, item)
);
CREATE INDEX statistics_facts_month ON statistics_facts (month);
CREATE INDEX statistics_facts_counted_from ON statistics_facts (counted_from) WHERE counted_from IS NOT NULL;

CREATE TABLE statistics_rollups (
  month          date   NOT NULL,
  indicator      text   NOT NULL,
  county_code    text   NOT NULL,
  -- '' when the facts name no institution.
  institution_id text   NOT NULL,
  numerator      bigint NOT NULL,
  denominator    bigint NOT NULL,
  PRIMARY KEY (month, indicator, county_code, institution_id)
);

-- Months whose facts changed since their rollup was made. A write inserts with ON CONFLICT DO NOTHING, which
-- takes no lock on an existing row, so concurrent writes of one month never queue on it.
CREATE TABLE statistics_dirty_months (
  month date PRIMARY KEY
);

-- The rollup pass's own state: the day its rollups count overdue items up to, and the last rebuild's progress.
CREATE TABLE statistics_state (
  id                 boolean     PRIMARY KEY DEFAULT true CHECK (id),
  rolled_up_as_of    date,
  rebuild_started_at timestamptz,
  rebuild_done       integer     NOT NULL DEFAULT 0,
  rebuild_total      integer     NOT NULL DEFAULT 0,
  rebuild_finished_at timestamptz
);
INSERT INTO statistics_state (id) VALUES (true);
