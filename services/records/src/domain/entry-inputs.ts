// Validation of the entries written after birth or beside the antenatal visits: postpartum visits (against the
// postpartum schedule's items), child health checks (against the child health schedule's services) and imaging
// study references (DICOM UID, modality, object id). Pure: every bad field is named at once.
export { withFieldPrefix } from '../../../common/src/errors';
import { Violations } from '../../../common/src/errors';
import { IsoDate, parseIsoDate } from './calendar';
import { dateField, measurement } from './record-inputs';
import type { Schedule } from './schedules/schedule';

/** Coded postpartum findings (what the visit found, for follow-up and statistics). */
export const POSTPARTUM_FINDING_CODES = [
  'postpartum_haemorrhage',
  'puerperal_infection',
  'wound_infection',
  'mastitis',
  'breast_engorgement',
  'postpartum_hypertension',
  'postpartum_anaemia',
  'postpartum_depression_suspected',
  'urinary_incontinence',
  'perineal_pain',
] as const;

const MAX_NOTES = 2000;

/** Proto enum values in range (0 is "not stated"). */
function enumValue(violations: Violations, value: number, field: string, max: number, required = false): void {
  if (!Number.isInteger(value) || value < 0 || value > max) violations.add(field, 'is not a known value');
  else if (required && value === 0) violations.add(field, 'is required');
}

function notes(violations: Violations, value: string, field = 'notes', max = MAX_NOTES): string {
  if (value.length > max) violations.add(field, `must be at most ${max} characters`);
  return value;
}

export interface PostpartumVisitInput {
  readonly kind: string;
  readonly visitDate: string;
  readonly systolicBp?: number;
  readonly diastolicBp?: number;
  readonly temperatureC?: number;
  readonly breastfeeding: number;
  readonly uterineInvolution: number;
  readonly lochia: number;
  readonly wound: number;
  readonly findings: readonly string[];
  readonly notes: string;
}

export interface CheckedPostpartumVisit {
  readonly kind: string;
  /** The service of the schedule item, which the handbook matches on. */
  readonly service: string;
  readonly visitDate: IsoDate;
  readonly daysAfterDelivery: number;
  readonly findings: readonly string[];
}

/**
 * A postpartum visit of a delivered pregnancy: `kind` names a visit item of the postpartum schedule in force at
 * the delivery; the date is on or after the delivery (a home visit on or after discharge) and not in the future.
 */
export function checkPostpartumVisit(
  input: PostpartumVisitInput,
  delivery: { readonly deliveryDate: IsoDate; readonly dischargeDate?: IsoDate; readonly schedule: Schedule },
  today: IsoDate,
): CheckedPostpartumVisit {
  const violations = new Violations();
  const item = delivery.schedule.items.find((candidate) => candidate.type === 'visit' && candidate.id === input.kind);
  if (!item || item.type !== 'visit') {
    const kinds = delivery.schedule.items.map((candidate) => candidate.id).join(', ');
    violations.add('kind', `must be an item of ${delivery.schedule.id} (${kinds})`);
  }
  const visitDay = dateField(violations, input.visitDate, 'visitDate');
  const deliveryDay = parseIsoDate(delivery.deliveryDate, 'deliveryDate');
  if (visitDay !== undefined) {
    const anchorDischarge = item?.anchor === 'discharge' && delivery.dischargeDate !== undefined;
    if (visitDay < deliveryDay)
      violations.add('visitDate', `must not be before the delivery (${delivery.deliveryDate})`);
    else if (anchorDischarge && visitDay < parseIsoDate(delivery.dischargeDate, 'dischargeDate')) {
      violations.add('visitDate', `a home visit must not be before the discharge (${delivery.dischargeDate})`);
    } else if (visitDay > parseIsoDate(today, 'today')) violations.add('visitDate', 'must not be in the future');
    else if (visitDay - deliveryDay > 365) violations.add('visitDate', 'is more than a year after the delivery');
  }
  measurement(violations, input.systolicBp, 'systolicBp', 40, 300, 'mmHg', true);
  measurement(violations, input.diastolicBp, 'diastolicBp', 20, 200, 'mmHg', true);
  measurement(violations, input.temperatureC, 'temperatureC', 30, 45, '°C');
  enumValue(violations, input.breastfeeding, 'breastfeeding', 3);
  enumValue(violations, input.uterineInvolution, 'uterineInvolution', 3);
  enumValue(violations, input.lochia, 'lochia', 3);
  enumValue(violations, input.wound, 'wound', 3);
  input.findings.forEach((code, index) => {
    if (!(POSTPARTUM_FINDING_CODES as readonly string[]).includes(code))
      violations.add(`findings[${index}]`, `unknown postpartum finding "${code}"`);
  });
  notes(violations, input.notes);
  violations.throwIfAny();
  return {
    kind: input.kind,
    service: (item as { service: string }).service,
    visitDate: input.visitDate,
    daysAfterDelivery: (visitDay as number) - deliveryDay,
    findings: [...new Set(input.findings)],
  };
}

export interface ChildCheckInput {
  readonly service: string;
  readonly development: number;
  readonly feeding: number;
  readonly haemoglobin?: number;
  readonly notes: string;
}

/** The child check's own fields (its date is checked like every child date): the service it counts as, in the schedule. */
export function checkChildCheck(input: ChildCheckInput, schedule: Schedule): { readonly service: string } {
  const violations = new Violations();
  const services = [...new Set(schedule.items.flatMap((item) => (item.type === 'visit' ? [item.service] : [])))];
  const service = input.service.trim() || 'child-health-check';
  if (!services.includes(service))
    violations.add('service', `must be a service of ${schedule.id} (${services.join(', ')})`);
  enumValue(violations, input.development, 'development', 2);
  enumValue(violations, input.feeding, 'feeding', 4);
  measurement(violations, input.haemoglobin, 'haemoglobin', 20, 250, 'g/L');
  notes(violations, input.notes);
  violations.throwIfAny();
  return { service };
}

/** DICOM UID syntax (PS3.5 §9.1): numeric components separated by dots, no leading zeros, at most 64 characters. */
const DICOM_UID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const DICOM_UID_MAX = 64;
/** Object store ids are the sha256 of the content. */
const OBJECT_ID = /^[0-9a-f]{64}$/;
/** DICOM modality codes (PS3.3 C.7.3.1.1.1) an MCH record refers to. */
export const IMAGING_MODALITIES = [
  'US',
  'MR',
  'CT',
  'CR',
  'DX',
  'MG',
  'XA',
  'RF',
  'NM',
  'PT',
  'OT',
  'SR',
  'DOC',
] as const;

export interface ImagingStudyInput {
  readonly studyInstanceUid: string;
  readonly modality: string;
  readonly studyDate: string;
  readonly objectId: string;
  readonly findings: string;
}

export interface CheckedImagingStudy {
  readonly studyInstanceUid: string;
  readonly modality: string;
  readonly studyDate: IsoDate;
  /** Lower-case hex, or undefined when no copy is in the object store. */
  readonly objectId: string | undefined;
}

export function isDicomUid(value: string): boolean {
  return value.length <= DICOM_UID_MAX && DICOM_UID.test(value);
}

/** A study of the pregnancy: a valid UID and modality, dated from the LMP to today, an optional sha256 object id. */
export function checkImagingStudy(
  input: ImagingStudyInput,
  pregnancy: { readonly lmp: IsoDate },
  today: IsoDate,
): CheckedImagingStudy {
  const violations = new Violations();
  const uid = input.studyInstanceUid.trim();
  if (!uid) violations.add('studyInstanceUid', 'is required');
  else if (uid.length > DICOM_UID_MAX)
    violations.add('studyInstanceUid', `must be at most ${DICOM_UID_MAX} characters`);
  else if (!DICOM_UID.test(uid))
    violations.add(
      'studyInstanceUid',
      'must be a DICOM UID: digits in dot-separated components without leading zeros, e.g. 1.2.840.10008.1',
    );
  const modality = input.modality.trim().toUpperCase();
  if (!(IMAGING_MODALITIES as readonly string[]).includes(modality))
    violations.add('modality', `must be a DICOM modality code (${IMAGING_MODALITIES.join(', ')})`);
  const studyDay = dateField(violations, input.studyDate, 'studyDate');
  if (studyDay !== undefined) {
    if (studyDay < parseIsoDate(pregnancy.lmp, 'lmp'))
      violations.add('studyDate', `must not be before the LMP (${pregnancy.lmp})`);
    else if (studyDay > parseIsoDate(today, 'today')) violations.add('studyDate', 'must not be in the future');
  }
  const objectId = input.objectId.trim().toLowerCase();
  if (objectId && !OBJECT_ID.test(objectId))
    violations.add('objectId', 'must be an object store id: the sha256 of the object, 64 hexadecimal digits');
  notes(violations, input.findings, 'findings', 4000);
  violations.throwIfAny();
  return { studyInstanceUid: uid, modality, studyDate: input.studyDate, objectId: objectId || undefined };
}
