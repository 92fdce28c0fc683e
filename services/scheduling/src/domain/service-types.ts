// The service types a slot is for: the proto enum, the code stored in the database, the institution capability
// that offers it, and which schedule-engine items (records' data files) each one serves.
import { InvalidArgumentError } from '../../../common/src/errors';
import { ServiceType } from '../../../common/src/gen/mch/scheduling/v1/scheduling';

export const SERVICE_CODES = [
  'antenatal-check',
  'ultrasound',
  'child-health-check',
  'vaccination',
  'consultation',
  'delivery-assessment',
] as const;
export type ServiceCode = (typeof SERVICE_CODES)[number];

const BY_TYPE: ReadonlyMap<ServiceType, ServiceCode> = new Map([
  [ServiceType.SERVICE_TYPE_ANTENATAL_CHECK, 'antenatal-check'],
  [ServiceType.SERVICE_TYPE_ULTRASOUND, 'ultrasound'],
  [ServiceType.SERVICE_TYPE_CHILD_HEALTH_CHECK, 'child-health-check'],
  [ServiceType.SERVICE_TYPE_VACCINATION, 'vaccination'],
  [ServiceType.SERVICE_TYPE_CONSULTATION, 'consultation'],
  [ServiceType.SERVICE_TYPE_DELIVERY_ASSESSMENT, 'delivery-assessment'],
]);
const BY_CODE: ReadonlyMap<ServiceCode, ServiceType> = new Map([...BY_TYPE].map(([type, code]) => [code, type]));

/** The stored code of a requested service type; INVALID_ARGUMENT naming the field when unset or unknown. */
export function serviceCodeOf(type: ServiceType, field: string): ServiceCode {
  const code = BY_TYPE.get(type);
  if (!code)
    throw InvalidArgumentError.field(
      field,
      `must be one of ${[...BY_TYPE.keys()].map((t) => ServiceType[t]).join(', ')}`,
    );
  return code;
}

export function serviceTypeOf(code: string): ServiceType {
  return BY_CODE.get(code as ServiceCode) ?? ServiceType.SERVICE_TYPE_UNSPECIFIED;
}

/** The institution capability (identity's seed) that means it offers the service. */
export const CAPABILITY_OF: Readonly<Record<ServiceCode, string>> = {
  'antenatal-check': 'anc',
  ultrasound: 'ultrasound',
  'child-health-check': 'child_health',
  vaccination: 'vaccination',
  consultation: 'anc',
  'delivery-assessment': 'delivery',
};

/**
 * Which service books a schedule-engine item: visits by the `service` of records' schedule data, doses by
 * vaccination. Home visits (newborn, postpartum) are made by township staff at home: no slot to book.
 */
const SERVICE_OF_VISIT: Readonly<Record<string, ServiceCode | undefined>> = {
  'antenatal-visit': 'antenatal-check',
  'child-health-check': 'child-health-check',
  'postpartum-check': 'consultation',
  'newborn-home-visit': undefined,
  'postpartum-home-visit': undefined,
};

export function serviceForDueItem(item: {
  readonly service: string;
  readonly vaccine: string;
}): ServiceCode | undefined {
  if (item.vaccine) return 'vaccination';
  // A content item of an antenatal schedule (a test such as the 75 g OGTT, records' `content-<id>`) is done at a check.
  if (item.service.startsWith('content-')) return 'antenatal-check';
  return SERVICE_OF_VISIT[item.service];
}
