// The URIs the FHIR layer names things by: standard systems (LOINC, UCUM, CVX, HL7 terminology) and the project's
// own identifier systems and code systems where China or HL7 publish none. The project's URIs live under one base;
// its NamingSystem and CodeSystem resources are served at /fhir/R4/NamingSystem/{id} and /fhir/R4/CodeSystem/{id}.

/**
 * The base of the project's own canonical URIs. `.example` is a reserved domain (RFC 2606): the alliance has no
 * registered domain for its FHIR namespace yet, so these URIs say plainly that they are the project's own and are
 * to be replaced (in this one constant) when the alliance registers one. They are identifiers, not addresses.
 */
export const PROJECT_BASE = 'https://fhir.mch-alliance.example';

export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  observationInterpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  observationValue: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
} as const;

/**
 * Identifier systems. China publishes no FHIR NamingSystem (and no OID this project could confirm) for the resident
 * identity card number or the birth certificate number, so both are the project's own, each described by a
 * NamingSystem resource (naming-systems.ts) that says what the number is and which national standard defines it.
 */
export const IDENTIFIER_SYSTEMS = {
  /** 居民身份证号码 (GB 11643-1999, 18 characters with the ISO 7064 MOD 11-2 check character). */
  residentId: `${PROJECT_BASE}/sid/cn-resident-id`,
  /** 出生医学证明编号, issued after delivery. */
  birthCertificate: `${PROJECT_BASE}/sid/cn-birth-certificate`,
  /** The alliance master patient index's patient id (UUID): one per person across the 127 institutions. */
  mpiPatient: `${PROJECT_BASE}/sid/mpi-patient`,
  /** The alliance's institution id (UUID), for logical references to the institution that gave the care. */
  institution: `${PROJECT_BASE}/sid/institution`,
  /** The alliance's staff account id (UUID), for logical references to the clinician who recorded an entry. */
  staff: `${PROJECT_BASE}/sid/staff`,
  /** The id of an entry in the shared record (a visit, a grade, a dose), as the REST API names it. */
  recordEntry: `${PROJECT_BASE}/sid/record-entry`,
} as const;

/** The project's code systems (code-systems.ts defines each one's concepts). */
export const CODE_SYSTEMS = {
  riskColour: `${PROJECT_BASE}/CodeSystem/pregnancy-risk-colour`,
  riskRule: `${PROJECT_BASE}/CodeSystem/pregnancy-risk-rule`,
  riskAssessmentKind: `${PROJECT_BASE}/CodeSystem/pregnancy-risk-assessment-kind`,
  encounterType: `${PROJECT_BASE}/CodeSystem/encounter-type`,
  episodeType: `${PROJECT_BASE}/CodeSystem/episode-type`,
  observation: `${PROJECT_BASE}/CodeSystem/observation`,
  labResult: `${PROJECT_BASE}/CodeSystem/lab-result`,
  growthIndicator: `${PROJECT_BASE}/CodeSystem/who-growth-indicator`,
  vaccineProduct: `${PROJECT_BASE}/CodeSystem/vaccine-product`,
} as const;

/** Where the gateway serves FHIR R4. */
export const FHIR_PREFIX = '/fhir/R4';
export const FHIR_VERSION = '4.0.1';
export const FHIR_JSON = 'application/fhir+json';
