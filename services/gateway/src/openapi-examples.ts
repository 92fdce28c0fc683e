// Worked examples in /openapi.json for the calls a new client makes first: log in, register a patient, read her
// record, book, refer, and read the statistics. Ids are made up; the shapes are checked against the document's
// schemas in the tests (no unknown field, every required one given), and the login example is sent to a real gateway.

export interface OperationExample {
  /** The JSON body sent. */
  readonly request?: unknown;
  /** Query parameters by name (a GET's request). */
  readonly query?: Readonly<Record<string, unknown>>;
  /** The 200 answer's body. */
  readonly response?: unknown;
}

const PATIENT_ID = '6f1d2c9e-3b0a-4c56-9a51-0c2b7e4d8a11';
const INSTITUTION_ID = 'b2f7e0a4-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
const PREFECTURE_ID = 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70';

/** By operationId (`Service.Method`). */
export const OPERATION_EXAMPLES: Readonly<Record<string, OperationExample>> = {
  'IdentityService.Login': {
    request: { username: 'lufeng.clinician', password: 'mch-demo-2026!' },
    response: {
      tokens: {
        accessToken: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
        refreshToken: 'rt_5b0c7d9e2f4a4c1e8d3b6a9f0e2c4d7b',
        tokenType: 'Bearer',
        expiresIn: 900,
      },
    },
  },
  'IdentityService.RegisterPatient': {
    request: {
      nationalId: '532301199503080024',
      name: '李梅',
      phone: '13800000000',
      countyCode: '532301',
      address: '禄丰市金山镇',
    },
    response: {
      patient: {
        id: PATIENT_ID,
        nationalId: '5323**********0024',
        name: '李梅',
        sex: 'SEX_FEMALE',
        birthDate: '1995-03-08',
        phone: '138****0000',
        countyCode: '532301',
        address: '禄丰市金山镇',
        createdAt: '2026-03-01T01:30:00Z',
      },
      outcome: 'REGISTRATION_OUTCOME_CREATED',
    },
  },
  'RecordsService.GetPatientRecord': {
    response: {
      record: {
        patientId: PATIENT_ID,
        version: 3,
        pregnancies: [
          {
            id: '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d',
            patientId: PATIENT_ID,
            status: 'active',
            lmp: '2026-01-05',
            edd: '2026-10-12',
            registeredOn: '2026-03-01',
            registeredAtInstitutionId: INSTITUTION_ID,
            findings: [],
            risk: { colour: 'yellow', besideColours: [] },
          },
        ],
        sensitiveWithheld: false,
        updatedAt: '2026-03-01T01:45:00Z',
      },
    },
  },
  'SchedulingService.BookAppointment': {
    request: {
      patientId: PATIENT_ID,
      institutionId: INSTITUTION_ID,
      service: 'SERVICE_TYPE_ANTENATAL_CHECK',
      start: '2026-03-15T01:00:00Z',
    },
    response: {
      appointment: {
        id: '7c6b5a49-3827-4615-9f0e-d1c2b3a49586',
        patientId: PATIENT_ID,
        institutionId: INSTITUTION_ID,
        service: 'SERVICE_TYPE_ANTENATAL_CHECK',
        status: 'APPOINTMENT_STATUS_BOOKED',
        start: '2026-03-15T01:00:00Z',
        end: '2026-03-15T01:30:00Z',
        createdAt: '2026-03-01T01:50:00Z',
        updatedAt: '2026-03-01T01:50:00Z',
        rescheduleCount: 0,
      },
    },
  },
  'ReferralService.CreateReferral': {
    request: {
      patientId: PATIENT_ID,
      toInstitutionId: PREFECTURE_ID,
      direction: 'REFERRAL_DIRECTION_UP',
      urgency: 'REFERRAL_URGENCY_URGENT',
      reason: '重度子痫前期，需上级医院评估',
    },
    response: {
      referral: {
        id: '1e2d3c4b-5a69-4788-8796-a5b4c3d2e1f0',
        patientId: PATIENT_ID,
        direction: 'REFERRAL_DIRECTION_UP',
        status: 'REFERRAL_STATUS_REQUESTED',
        urgency: 'REFERRAL_URGENCY_URGENT',
        riskColour: 'orange',
        fromInstitutionId: INSTITUTION_ID,
        toInstitutionId: PREFECTURE_ID,
        reason: '重度子痫前期，需上级医院评估',
        createdAt: '2026-03-01T02:00:00Z',
        acceptanceDeadline: '2026-03-01T06:00:00Z',
        overdue: false,
      },
    },
  },
  'RecordsService.GetStatistics': {
    query: {
      county: '532301',
      from: '2026-01',
      to: '2026-03',
      period: 'month',
      indicators: ['pregnancies_registered'],
    },
    response: {
      values: [
        {
          indicator: 'pregnancies_registered',
          county: '532301',
          month: '2026-01',
          period: '2026-01',
          numerator: '41',
          denominator: '0',
          unit: '',
          confirmation: 'unconfirmed',
        },
      ],
      source: 'read-only endpoint',
      unavailable: [],
      catalogue: [
        {
          indicator: 'pregnancies_registered',
          titleZh: '孕产妇建册数',
          numerator: 'pregnancies registered in the month',
          denominator: '(none: a count)',
          unit: '',
          source: 'operational indicator of the platform',
          confirmation: 'unconfirmed',
          filed: 'month',
        },
      ],
    },
  },
};
