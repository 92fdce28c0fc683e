// HL7 v2.5 ORU^R01 (unsolicited observation result) from a hospital LIS: parsed with @medplum/core's Hl7Message,
// checked field by field, and mapped to the record's lab results. Every refusal names its HL7 location
// (segment, occurrence, field), which the acknowledgement's ERR segment carries back to the sender.
import { Hl7Message, type Hl7Field, type Hl7Segment } from '@medplum/core';
import { dipstickPlusCount, lisAnalyte, qualitativeResult, toGradingUnit } from './lab-codes';
import type { LabCode } from '../risk/clinical-picture';

/** An HL7 error location (ERR-2, data type ERL) and its HL7 error code (ERR-3, table 0357). */
export interface Hl7Problem {
  readonly segment: string;
  /** 1-based occurrence of the segment in the message. */
  readonly sequence: number;
  readonly field: number;
  readonly component?: number;
  /** Table 0357: 100 segment sequence, 101 required field missing, 102 data type, 103 table value not found,
   * 200 unsupported message type, 201 unsupported event, 202 unsupported processing id, 203 unsupported version,
   * 204 unknown key identifier, 207 application internal error. */
  readonly code: 100 | 101 | 102 | 103 | 200 | 201 | 202 | 203 | 204 | 207;
  readonly description: string;
}

export const HL7_ERROR_TEXT: Readonly<Record<Hl7Problem['code'], string>> = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  207: 'Application internal error',
};

/** `PID-5`, or `OBX[2]-5.1` for a later occurrence or a component. */
export function problemLocation(problem: Pick<Hl7Problem, 'segment' | 'sequence' | 'field' | 'component'>): string {
  const occurrence = problem.sequence > 1 ? `[${problem.sequence}]` : '';
  const component = problem.component !== undefined ? `.${problem.component}` : '';
  return `${problem.segment}${occurrence}-${problem.field}${component}`;
}

/** A message refused as a whole: AR for the header (type, version, processing, sender), AE for its content. */
export class Hl7MessageError extends Error {
  constructor(
    readonly ackCode: 'AR' | 'AE',
    readonly problems: readonly Hl7Problem[],
  ) {
    super(problems.map((problem) => `${problemLocation(problem)}: ${problem.description}`).join('; '));
    this.name = 'Hl7MessageError';
  }
}

export interface Hl7Header {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly version: string;
  readonly processingId: string;
}

/** One patient identifier of PID-3 (CX): a 身份证 number or an institution's own record number. */
export type PatientIdentifier =
  | { readonly kind: 'national'; readonly value: string }
  | {
      readonly kind: 'institution';
      readonly assigningAuthority: string;
      readonly value: string;
      readonly type: string;
    };

export interface LabObservation {
  /** OBX-1, or its position when OBX-1 is empty. */
  readonly setId: number;
  /** OBX-3.1 / .2 / .3. */
  readonly code: string;
  readonly name: string;
  readonly codingSystem: string;
  /** OBX-2. */
  readonly valueType: string;
  /** OBX-5 as sent (its first component for coded values). */
  readonly value: string;
  readonly numericValue?: number;
  /** OBX-6.1 and OBX-7. */
  readonly units: string;
  readonly referenceRange: string;
  /** OBX-8, e.g. H, L, A, N. */
  readonly abnormalFlags: readonly string[];
  /** OBX-11: F final, C corrected. */
  readonly status: string;
  /** YYYY-MM-DD: OBX-14, else OBR-7. */
  readonly observedOn: string;
  /** OBR-4 of the order this result belongs to. */
  readonly orderCode: string;
  /** What the grading reads from it, when it reads anything. */
  readonly grading?:
    | { readonly lab: LabCode; readonly result: 'positive' | 'negative' | 'indeterminate' }
    | { readonly metric: 'haemoglobin' | 'plateletCount' | 'proteinuria'; readonly value: number };
}

export interface OruR01 {
  readonly header: Hl7Header;
  readonly identifiers: readonly PatientIdentifier[];
  /** PID-5.1 + PID-5.2 (family name then given name, as Chinese names are written). */
  readonly patientName: string;
  /** YYYY-MM-DD from PID-7, when sent. */
  readonly birthDate?: string;
  readonly observations: readonly LabObservation[];
}

const RESIDENT_ID = /^\d{17}[\dX]$/;
const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11643: the 18-digit resident ID's ISO 7064 MOD 11-2 check digit. */
export function residentIdChecks(id: string): boolean {
  if (!RESIDENT_ID.test(id)) return false;
  const sum = RESIDENT_ID_WEIGHTS.reduce((total, weight, index) => total + weight * Number(id[index]), 0);
  return '10X98765432'[sum % 11] === id[17];
}

/** PID-3 identifier types read as the 身份证 (HL7 table 0203 NN + ISO 3166 country code; "SFZ" as some LIS send). */
const NATIONAL_ID_TYPES = new Set(['NNCHN', 'SFZ']);
/** PID-3 identifier types of an institution's own number: medical record, patient internal, visit. */
const INSTITUTION_ID_TYPES = new Set(['MR', 'PI', 'PT', 'PN', 'VN', '']);

const NAME = /^[\p{Script=Han}A-Za-z·•\s.'-]+$/u;
const HL7_DATE = /^(\d{4})(\d{2})(\d{2})/;

function hl7Date(value: string): string | undefined {
  const match = HL7_DATE.exec(value);
  if (match === null) return undefined;
  const [, year, month, day] = match;
  const iso = `${year}-${month}-${day}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/** A field's text; empty past the segment's last field (Hl7Segment.getField returns undefined there). */
function fieldText(segment: Hl7Segment, index: number): string {
  return (segment.getField(index) as Hl7Field | undefined)?.toString() ?? '';
}

/** A component's text (1-based, first repetition); empty past the segment's last field. */
function componentText(segment: Hl7Segment, index: number, component: number): string {
  return (segment.getField(index) as Hl7Field | undefined)?.getComponent(component) ?? '';
}

class ProblemList {
  readonly problems: Hl7Problem[] = [];
  add(problem: Hl7Problem): void {
    this.problems.push(problem);
  }
}

/** Reads MSH and refuses what this listener does not take (AR): only ORU^R01 of version 2.5.x, processing P or T. */
export function readHeader(message: Hl7Message, acceptedProcessingIds: readonly string[]): Hl7Header {
  const msh = message.getSegment('MSH');
  if (msh === undefined)
    throw new Hl7MessageError('AR', [
      { segment: 'MSH', sequence: 1, field: 1, code: 100, description: 'no MSH segment' },
    ]);
  const header: Hl7Header = {
    sendingApplication: componentText(msh, 3, 1),
    sendingFacility: componentText(msh, 4, 1),
    controlId: fieldText(msh, 10),
    messageType: `${componentText(msh, 9, 1)}^${componentText(msh, 9, 2)}`,
    version: componentText(msh, 12, 1),
    processingId: componentText(msh, 11, 1),
  };
  const problems = new ProblemList();
  const at = (field: number, code: Hl7Problem['code'], description: string, component?: number): void =>
    problems.add({ segment: 'MSH', sequence: 1, field, code, description, ...(component ? { component } : {}) });
  if (header.sendingApplication === '') at(3, 101, 'sending application is required');
  if (header.sendingFacility === '') at(4, 101, 'sending facility is required');
  if (header.controlId === '') at(10, 101, 'message control id is required');
  else if (header.controlId.length > 199) at(10, 102, 'message control id longer than 199 characters');
  if (componentText(msh, 9, 1) !== 'ORU')
    at(9, 200, `message type ${header.messageType} is not accepted (ORU^R01 only)`, 1);
  else if (componentText(msh, 9, 2) !== 'R01')
    at(9, 201, `event ${componentText(msh, 9, 2)} is not accepted (R01 only)`, 2);
  if (!/^2\.5(\.\d+)?$/.test(header.version)) at(12, 203, `version "${header.version}" is not accepted (2.5)`);
  if (!acceptedProcessingIds.includes(header.processingId)) {
    at(11, 202, `processing id "${header.processingId}" is not accepted here (${acceptedProcessingIds.join(', ')})`);
  }
  if (problems.problems.length > 0) throw new Hl7MessageError('AR', problems.problems);
  return header;
}

function readIdentifiers(pid: Hl7Segment, problems: ProblemList): PatientIdentifier[] {
  const field = pid.getField(3) as Hl7Field | undefined;
  if (field === undefined) {
    problems.add({
      segment: 'PID',
      sequence: 1,
      field: 3,
      code: 101,
      description: 'patient identifier list is required',
    });
    return [];
  }
  const identifiers: PatientIdentifier[] = [];
  field.components.forEach((_, repetition) => {
    const value = field.getComponent(1, undefined, repetition).trim();
    if (value === '') return;
    const type = field.getComponent(5, undefined, repetition).trim().toUpperCase();
    const authority = field.getComponent(4, 0, repetition).trim() || field.getComponent(4, 1, repetition).trim();
    if (NATIONAL_ID_TYPES.has(type)) {
      const id = value.toUpperCase();
      if (!residentIdChecks(id)) {
        problems.add({
          segment: 'PID',
          sequence: 1,
          field: 3,
          component: 1,
          code: 102,
          description: 'the 身份证 number (NNCHN) fails its check digit',
        });
      } else identifiers.push({ kind: 'national', value: id });
    } else if (INSTITUTION_ID_TYPES.has(type)) {
      if (authority === '') {
        problems.add({
          segment: 'PID',
          sequence: 1,
          field: 3,
          component: 4,
          code: 101,
          description: `identifier of type "${type || 'none'}" without an assigning authority`,
        });
      } else identifiers.push({ kind: 'institution', assigningAuthority: authority, value, type });
    }
  });
  if (identifiers.length === 0 && problems.problems.length === 0) {
    problems.add({
      segment: 'PID',
      sequence: 1,
      field: 3,
      code: 101,
      description: 'no 身份证 (type NNCHN) or institution record number (MR/PI with its assigning authority)',
    });
  }
  return identifiers;
}

function readObservation(
  obx: Hl7Segment,
  sequence: number,
  order: { code: string; observedOn: string | undefined },
  problems: ProblemList,
): LabObservation | undefined {
  const at = (field: number, code: Hl7Problem['code'], description: string, component?: number): void =>
    problems.add({ segment: 'OBX', sequence, field, code, description, ...(component ? { component } : {}) });
  const before = problems.problems.length;
  const valueType = fieldText(obx, 2).trim().toUpperCase();
  const code = componentText(obx, 3, 1).trim();
  const name = componentText(obx, 3, 2).trim();
  const codingSystem = componentText(obx, 3, 3).trim();
  const rawValue =
    componentText(obx, 5, valueType === 'CWE' || valueType === 'CE' ? 2 : 1).trim() || componentText(obx, 5, 1).trim();
  const units = componentText(obx, 6, 1).trim();
  const status = fieldText(obx, 11).trim().toUpperCase();
  const observedOn = hl7Date(fieldText(obx, 14)) ?? order.observedOn;
  if (!['NM', 'ST', 'TX', 'CWE', 'CE', 'SN', 'FT'].includes(valueType))
    at(2, 103, `value type "${valueType}" is not accepted (NM, SN, ST, TX, FT, CWE, CE)`);
  if (code === '') at(3, 101, 'observation identifier is required', 1);
  if (rawValue === '') at(5, 101, 'observation value is required');
  if (!['F', 'C'].includes(status))
    at(11, status === '' ? 101 : 103, `result status "${status}" is not stored (F final or C corrected only)`);
  if (observedOn === undefined) at(14, 101, 'observation date (OBX-14, or OBR-7 of its order) is required');
  let numericValue: number | undefined;
  if (valueType === 'NM' || valueType === 'SN') {
    const text =
      valueType === 'SN' ? `${componentText(obx, 5, 1).replace('=', '')}${componentText(obx, 5, 2)}` : rawValue;
    if (!/^-?\d+(\.\d+)?$/.test(text.trim())) at(5, 102, `"${rawValue}" is not a number (${valueType})`);
    else numericValue = Number(text);
  }
  let grading: LabObservation['grading'];
  const analyte = lisAnalyte(codingSystem, code);
  if (analyte?.kind === 'qualitative') {
    const result = qualitativeResult(rawValue);
    if (result === undefined)
      at(5, 103, `"${rawValue}" is not a result of ${analyte.lab} (阳性/阴性/可疑, positive/negative/indeterminate)`);
    else grading = { lab: analyte.lab, result };
  } else if (analyte?.kind === 'metric' && analyte.metric === 'proteinuria') {
    const plus = dipstickPlusCount(rawValue);
    if (plus === undefined) at(5, 103, `"${rawValue}" is not a dipstick reading (-, ±, 1+ … 4+)`);
    else grading = { metric: 'proteinuria', value: plus };
  } else if (analyte?.kind === 'metric' && numericValue !== undefined) {
    const metric = analyte.metric === 'haemoglobin' ? 'haemoglobin' : 'plateletCount';
    const value = toGradingUnit(metric, numericValue, units);
    if (value === undefined)
      at(
        6,
        103,
        `unit "${units}" is not accepted for ${analyte.metric === 'haemoglobin' ? 'haemoglobin (g/L, g/dL)' : 'platelets (10*9/L)'}`,
      );
    else grading = { metric, value };
  } else if (analyte?.kind === 'metric' && valueType !== 'NM' && valueType !== 'SN') {
    at(2, 102, `${analyte.metric} must be sent as NM`);
  }
  if (problems.problems.length > before || observedOn === undefined) return undefined;
  const setId = Number(fieldText(obx, 1)) || sequence;
  return {
    setId,
    code,
    name,
    codingSystem,
    valueType,
    value: rawValue,
    ...(numericValue !== undefined ? { numericValue } : {}),
    units,
    referenceRange: fieldText(obx, 7).trim(),
    abnormalFlags: ((obx.getField(8) as Hl7Field | undefined)?.components ?? [])
      .map((repetition) => repetition[0] ?? '')
      .filter((flag) => flag !== ''),
    status,
    observedOn,
    orderCode: order.code,
    ...(grading !== undefined ? { grading } : {}),
  };
}

/**
 * Parses and checks a decoded ORU^R01. Throws `Hl7MessageError` listing every problem (nothing of a message with a
 * problem is stored); the result holds every observation of every order.
 */
export function parseOruR01(text: string, acceptedProcessingIds: readonly string[] = ['P', 'T']): OruR01 {
  let message: Hl7Message;
  try {
    message = Hl7Message.parse(text.replace(/\r\n|\n/g, '\r'));
  } catch {
    throw new Hl7MessageError('AR', [
      { segment: 'MSH', sequence: 1, field: 1, code: 100, description: 'not an HL7 v2 message' },
    ]);
  }
  const header = readHeader(message, acceptedProcessingIds);
  const problems = new ProblemList();
  const pids = message.getAllSegments('PID');
  const pid = pids[0];
  if (pid === undefined || pids.length > 1) {
    const description = pid === undefined ? 'no PID segment' : 'one patient per message (several PID segments)';
    throw new Hl7MessageError('AE', [
      { segment: 'PID', sequence: pids.length > 1 ? 2 : 1, field: 1, code: 100, description },
    ]);
  }
  const identifiers = readIdentifiers(pid, problems);
  const family = componentText(pid, 5, 1).trim();
  const given = componentText(pid, 5, 2).trim();
  const patientName = `${family}${given}`;
  if (patientName === '')
    problems.add({ segment: 'PID', sequence: 1, field: 5, code: 101, description: 'patient name is required' });
  else if (!NAME.test(patientName)) {
    problems.add({
      segment: 'PID',
      sequence: 1,
      field: 5,
      code: 102,
      description: 'the name has characters no name has (is MSH-18 right?)',
    });
  }
  const birthField = fieldText(pid, 7);
  const birthDate = birthField === '' ? undefined : hl7Date(birthField);
  if (birthField !== '' && birthDate === undefined)
    problems.add({ segment: 'PID', sequence: 1, field: 7, code: 102, description: `"${birthField}" is not a date` });

  const observations: LabObservation[] = [];
  let order: { code: string; observedOn: string | undefined } | undefined;
  let obrSequence = 0;
  let obxSequence = 0;
  for (const segment of message.segments) {
    const name = segment.name;
    if (name === 'OBR') {
      obrSequence += 1;
      order = { code: componentText(segment, 4, 1).trim(), observedOn: hl7Date(fieldText(segment, 7)) };
      if (order.code === '')
        problems.add({
          segment: 'OBR',
          sequence: obrSequence,
          field: 4,
          code: 101,
          description: 'universal service identifier is required',
        });
    } else if (name === 'OBX') {
      obxSequence += 1;
      if (order === undefined) {
        problems.add({
          segment: 'OBX',
          sequence: obxSequence,
          field: 1,
          code: 100,
          description: 'an OBX before any OBR',
        });
        continue;
      }
      const observation = readObservation(segment, obxSequence, order, problems);
      if (observation !== undefined) observations.push(observation);
    }
  }
  if (obrSequence === 0)
    problems.add({ segment: 'OBR', sequence: 1, field: 1, code: 100, description: 'no OBR segment' });
  else if (obxSequence === 0)
    problems.add({
      segment: 'OBX',
      sequence: 1,
      field: 1,
      code: 100,
      description: 'no OBX segment: no result to store',
    });
  if (problems.problems.length > 0) throw new Hl7MessageError('AE', problems.problems);
  return { header, identifiers, patientName, ...(birthDate !== undefined ? { birthDate } : {}), observations };
}
