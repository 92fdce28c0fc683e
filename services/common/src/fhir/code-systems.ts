// The project's own CodeSystem and NamingSystem resources, for what neither HL7 nor China publishes with a URI: the
// five risk colours of the 2017 national rules, the kinds of assessment, encounter and episode, the project's
// observation, lab result, growth indicator and vaccine product codes, and the identifier systems.
import type { CodeSystem, CodeSystemConcept, NamingSystem } from '@medplum/fhirtypes';
import { CODE_SYSTEMS, IDENTIFIER_SYSTEMS } from './canonical';
import { GROWTH_INDICATORS, LABS, MEASURES, VACCINES } from './terminology';

const PUBLISHER = 'MCH Alliance (Chuxiong prefecture maternal and child health alliance)';
const DATE = '2026-12-08';

/**
 * The colours of 国卫办妇幼发〔2017〕35号《孕产妇妊娠风险评估与管理工作规范》 (the records service's rule set
 * cn-2017-five-colour holds the same codes; a unit test keeps the two equal). Purple stands beside another colour.
 */
export const RISK_COLOURS: ReadonlyArray<{
  readonly code: string;
  readonly display: string;
  readonly definition: string;
}> = [
  {
    code: 'green',
    display: '绿色（低风险） green (low risk)',
    definition: 'Pregnant woman in good health with no complications (五色管理 绿色).',
  },
  {
    code: 'yellow',
    display: '黄色（一般风险） yellow (general risk)',
    definition:
      "General risk: a condition of the assessment form's yellow section; care and delivery at county (二级) level or above.",
  },
  {
    code: 'orange',
    display: '橙色（较高风险） orange (higher risk)',
    definition:
      "Higher risk: a condition of the form's orange section; county-level or higher critical-care centre, high-risk case management.",
  },
  {
    code: 'red',
    display: '红色（高风险） red (high risk)',
    definition:
      "High risk: continuing the pregnancy may endanger her life (form's red section); prompt assessment at a 三级 institution.",
  },
  {
    code: 'purple',
    display: '紫色（传染性疾病） purple (infectious disease)',
    definition:
      'Infectious disease (hepatitis B, syphilis, HIV, tuberculosis, ...); stands beside any other colour; sensitive.',
  },
];

type ConceptList = ReadonlyArray<{ code: string; display: string; definition?: string }>;

function codeSystem(
  id: keyof typeof CODE_SYSTEMS,
  title: string,
  description: string,
  concepts: ConceptList,
  content: CodeSystem['content'] = 'complete',
): CodeSystem {
  const concept: CodeSystemConcept[] = concepts.map((entry) => ({
    code: entry.code,
    display: entry.display,
    ...(entry.definition ? { definition: entry.definition } : {}),
  }));
  const url = CODE_SYSTEMS[id];
  return {
    resourceType: 'CodeSystem',
    id: url.slice(url.lastIndexOf('/') + 1),
    url,
    version: '1',
    name: title.replace(/[^A-Za-z0-9]/g, ''),
    title,
    status: 'active',
    experimental: false,
    date: DATE,
    publisher: PUBLISHER,
    description,
    caseSensitive: true,
    content,
    ...(content === 'complete' ? { count: concept.length } : {}),
    ...(content === 'not-present' ? {} : { concept }),
  };
}

export const PROJECT_CODE_SYSTEMS: readonly CodeSystem[] = [
  codeSystem(
    'riskColour',
    'Pregnancy risk colour',
    'The five colours of pregnancy risk management (五色管理) of the national rules of 2017 (国卫办妇幼发〔2017〕35号). No HL7 or Chinese FHIR code system holds them.',
    RISK_COLOURS,
  ),
  codeSystem(
    'riskAssessmentKind',
    'Pregnancy risk assessment kind',
    "A clinician's grade at county level and above, or the township screen that flags a woman for grading.",
    [
      { code: 'grade', display: 'Pregnancy risk grade (妊娠风险评估)' },
      { code: 'screen', display: 'Pregnancy risk screen (妊娠风险筛查)' },
      { code: 'screen-positive', display: 'Screen positive: to be graded' },
      { code: 'screen-negative', display: 'Screen negative' },
    ],
  ),
  codeSystem(
    'riskRule',
    'Pregnancy risk rule',
    "The rules of the records service's rule sets (e.g. cn-2017-five-colour: every line of the 2017 assessment and screening forms, with its section, wording and source). The rule ids are defined there, not enumerated here.",
    [],
    'not-present',
  ),
  codeSystem(
    'encounterType',
    'Encounter type',
    'The kinds of contact the shared record holds.',
    [
      { code: 'antenatal-visit', display: 'Antenatal visit (产前检查)' },
      { code: 'delivery', display: 'Delivery (分娩)' },
      { code: 'postpartum-home-visit', display: 'Postpartum home visit (产后访视)' },
      { code: 'postpartum-check-42-day', display: '42-day postpartum check (产后42天健康检查)' },
      { code: 'postpartum-visit', display: 'Postpartum visit' },
      { code: 'newborn-home-visit', display: 'Newborn home visit (新生儿家庭访视)' },
      { code: 'child-health-check', display: 'Child health check (儿童健康检查)' },
    ],
    'fragment',
  ),
  codeSystem('episodeType', 'Episode of care type', 'Episodes of the shared record.', [
    { code: 'pregnancy', display: 'Pregnancy (孕产期)' },
    { code: 'high-risk-case-management', display: 'High-risk case management (专案管理): orange, red or purple' },
  ]),
  codeSystem(
    'observation',
    'Observation',
    "The platform's own code for every measurement it records, sent beside the LOINC code where one was confirmed (terminology.ts lists which were not).",
    [...Object.values(MEASURES), ...Object.values(LABS)].map((measure) => ({
      code: measure.code,
      display: measure.display,
    })),
  ),
  codeSystem('labResult', 'Qualitative lab result', 'Results of the qualitative LIS tests.', [
    { code: 'positive', display: 'Positive' },
    { code: 'negative', display: 'Negative' },
    { code: 'indeterminate', display: 'Indeterminate' },
  ]),
  codeSystem(
    'growthIndicator',
    'WHO growth indicator z-score',
    'z-scores against the WHO Child Growth Standards (2006) and Growth Reference (2007), as the records service computes them. No LOINC code for these z-scores was confirmed.',
    Object.entries(GROWTH_INDICATORS).map(([code, entry]) => ({ code, display: entry.display })),
  ),
  codeSystem(
    'vaccineProduct',
    'Vaccine product',
    'The vaccine products of the national immunization programme schedule (国家免疫规划疫苗儿童免疫程序 2021). China publishes no vaccine code system with a URI; CVX is sent beside these where a CVX code names the same vaccine.',
    Object.entries(VACCINES).map(([code, entry]) => ({ code, display: entry.display })),
  ),
];

function namingSystem(
  id: string,
  name: string,
  uri: string,
  description: string,
  type?: { code: string; display: string },
): NamingSystem {
  return {
    resourceType: 'NamingSystem',
    id,
    name,
    status: 'active',
    kind: 'identifier',
    date: DATE,
    publisher: PUBLISHER,
    responsible: 'MCH Alliance',
    ...(type ? { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', ...type }] } } : {}),
    description,
    jurisdiction: [{ coding: [{ system: 'urn:iso:std:iso:3166', code: 'CN' }] }],
    uniqueId: [{ type: 'uri', value: uri, preferred: true }],
  };
}

export const PROJECT_NAMING_SYSTEMS: readonly NamingSystem[] = [
  namingSystem(
    'cn-resident-id',
    'CNResidentIdentityNumber',
    IDENTIFIER_SYSTEMS.residentId,
    "居民身份证号码: the 18-character citizen identity number of GB 11643-1999 (6-digit address code, 8-digit birth date, 3-digit sequence, ISO 7064 MOD 11-2 check character). China publishes no FHIR NamingSystem or OID for it that this project could confirm, so this URI is the project's own.",
    { code: 'NI', display: 'National unique individual identifier' },
  ),
  namingSystem(
    'cn-birth-certificate',
    'CNBirthCertificateNumber',
    IDENTIFIER_SYSTEMS.birthCertificate,
    "出生医学证明编号: the number of the medical birth certificate, issued after delivery. The project's own URI (none published).",
    { code: 'BCT', display: 'Birth Certificate' },
  ),
  namingSystem(
    'mpi-patient',
    'MCHAlliancePatient',
    IDENTIFIER_SYSTEMS.mpiPatient,
    "The alliance master patient index's id for a person (UUID), the same across its 127 institutions; also the Patient resource id.",
    {
      code: 'PI',
      display: 'Patient internal identifier',
    },
  ),
  namingSystem(
    'institution',
    'MCHAllianceInstitution',
    IDENTIFIER_SYSTEMS.institution,
    "The alliance's id of a member institution (UUID), as GET /v1/institutions/{id} names it.",
  ),
  namingSystem('staff', 'MCHAllianceStaff', IDENTIFIER_SYSTEMS.staff, "The alliance's id of a staff account (UUID)."),
  namingSystem(
    'record-entry',
    'MCHAllianceRecordEntry',
    IDENTIFIER_SYSTEMS.recordEntry,
    'The id of an entry of the shared record (pregnancy, visit, grade, measurement, dose) as the REST API names it.',
  ),
];
