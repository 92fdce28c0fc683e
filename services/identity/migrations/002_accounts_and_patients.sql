-- Accounts, tokens and the master patient index.
CREATE TABLE accounts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username       text NOT NULL,
  display_name   text NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('staff', 'resident')),
  password_hash  text NOT NULL,
  roles          text[] NOT NULL DEFAULT '{}',
  institution_id uuid REFERENCES institutions (id),
  analyst_scope  text,
  patient_id     uuid,
  active         boolean NOT NULL DEFAULT true,
  deactivated_at timestamptz,
  deactivation_reason text,
  created_by     text NOT NULL DEFAULT 'system',
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'staff' OR institution_id IS NOT NULL),
  CHECK (kind <> 'resident' OR patient_id IS NOT NULL)
);
CREATE UNIQUE INDEX accounts_username ON accounts (lower(username));
-- One resident account per patient.
CREATE UNIQUE INDEX accounts_resident_patient ON accounts (patient_id) WHERE kind = 'resident';
CREATE INDEX accounts_institution ON accounts (institution_id);

-- Ed25519 signing keys; the newest active one signs, every unexpired one verifies.
CREATE TABLE signing_keys (
  kid         text PRIMARY KEY,
  private_jwk jsonb NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  retire_at   timestamptz NOT NULL
);

-- Refresh tokens: only their SHA-256 is stored. A family is one login; reuse of a spent token outside the
-- retry grace revokes the whole family.
CREATE TABLE refresh_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts (id),
  family_id    uuid NOT NULL,
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  spent_at     timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE patients (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  national_id    text UNIQUE,
  name           text NOT NULL,
  sex            text NOT NULL CHECK (sex IN ('female', 'male', 'unspecified')),
  birth_date     date NOT NULL,
  phone          text NOT NULL DEFAULT '',
  county_code    text NOT NULL DEFAULT '',
  address        text NOT NULL DEFAULT '',
  -- Newborns without an ID: a key derived from mother's ID, birth date, order and certificate number.
  newborn_link   text UNIQUE,
  -- Mother + birth date + birth order: two children can never share it, whatever the certificate says.
  newborn_slot   text UNIQUE,
  newborn        jsonb,
  merged_into    uuid REFERENCES patients (id),
  registered_by  text NOT NULL,
  registered_at_institution uuid REFERENCES institutions (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patients_birth_date ON patients (birth_date);

-- Blocking keys of the fuzzy matcher: candidates are found by equal keys, never by scanning everyone.
CREATE TABLE patient_blocking_keys (
  patient_id uuid NOT NULL REFERENCES patients (id),
  key        text NOT NULL,
  PRIMARY KEY (key, patient_id)
);

CREATE TABLE patient_matches (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patient_id    uuid NOT NULL REFERENCES patients (id),
  candidate_id  uuid NOT NULL REFERENCES patients (id),
  score         double precision NOT NULL,
  reasons       text[] NOT NULL,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'rejected')),
  decided_by    text,
  decision_reason text,
  decided_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (patient_id <> candidate_id)
);
CREATE UNIQUE INDEX patient_matches_pair ON patient_matches (least(patient_id, candidate_id), greatest(patient_id, candidate_id));
CREATE INDEX patient_matches_status ON patient_matches (status, created_at);

CREATE TABLE guardians (
  child_id     uuid NOT NULL REFERENCES patients (id),
  guardian_id  uuid NOT NULL REFERENCES patients (id),
  relationship text NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian')),
  linked_by    text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (child_id, guardian_id),
  CHECK (child_id <> guardian_id)
);
CREATE INDEX guardians_guardian ON guardians (guardian_id);

-- One-time activation codes; only their SHA-256 is stored.
CREATE TABLE activation_codes (
  code_hash   bytea PRIMARY KEY,
  patient_id  uuid NOT NULL REFERENCES patients (id),
  issued_by   text NOT NULL,
  delivery    text NOT NULL CHECK (delivery IN ('handover', 'sms')),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activation_codes_patient ON activation_codes (patient_id);
