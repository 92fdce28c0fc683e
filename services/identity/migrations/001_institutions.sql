-- Member institutions of the alliance: level, place and what they can do.
CREATE TABLE institutions (
  id           uuid PRIMARY KEY,
  code         text NOT NULL UNIQUE,
  name         text NOT NULL,
  name_en      text NOT NULL,
  level        text NOT NULL CHECK (level IN ('PREFECTURE', 'COUNTY', 'TOWNSHIP')),
  kind         text NOT NULL,
  county_code  text NOT NULL,
  county_name  text NOT NULL,
  township     text NOT NULL DEFAULT '',
  latitude     double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude    double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  capabilities text[] NOT NULL DEFAULT '{}',
  active       boolean NOT NULL DEFAULT true,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX institutions_county ON institutions (county_code);
CREATE INDEX institutions_capabilities ON institutions USING gin (capabilities);
