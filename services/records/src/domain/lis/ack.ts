// The acknowledgement (ACK^R01) the listener answers each message with: AA when stored (MSA-3 carries the review
// id when the patient was not matched), AE/AR with one ERR segment per problem (ERR-2 location, ERR-3 table 0357).
import { HL7_ERROR_TEXT, type Hl7Problem } from './oru-r01';

export type Hl7AckCode = 'AA' | 'AE' | 'AR';

export interface AckFields {
  /** The answered message's MSH-3/-4 become the ACK's receiving side; ours the sending side. */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly controlId: string;
  readonly version: string;
  readonly processingId: string;
  /** MSH-18 of the answered message, repeated so the sender reads the ACK in the same set. */
  readonly charsetName: string;
}

/** HL7 v2 escaping of a text value (section 2.7): the delimiters and the escape character itself. */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/&/g, '\\T\\')
    .replace(/~/g, '\\R\\')
    .replace(/[\r\n]/g, ' ');
}

function timestamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export function buildAck(
  fields: AckFields,
  ackCode: Hl7AckCode,
  options: {
    readonly text?: string;
    readonly problems?: readonly Hl7Problem[];
    readonly now?: Date;
    readonly ackControlId: string;
  },
): string {
  const now = options.now ?? new Date();
  const msh = [
    'MSH',
    '^~\\&',
    escapeHl7(fields.receivingApplication),
    escapeHl7(fields.receivingFacility),
    escapeHl7(fields.sendingApplication),
    escapeHl7(fields.sendingFacility),
    timestamp(now),
    '',
    'ACK^R01^ACK',
    options.ackControlId,
    fields.processingId || 'P',
    fields.version || '2.5',
    '',
    '',
    '',
    '',
    '',
    fields.charsetName,
  ];
  while (msh[msh.length - 1] === '') msh.pop();
  const segments = [
    msh.join('|'),
    ['MSA', ackCode, escapeHl7(fields.controlId), escapeHl7(options.text ?? '')].join('|'),
  ];
  for (const problem of options.problems ?? []) {
    const location = [
      problem.segment,
      problem.sequence,
      problem.field,
      problem.component !== undefined ? 1 : '',
      problem.component ?? '',
    ];
    while (location[location.length - 1] === '') location.pop();
    const severity = ackCode === 'AA' ? 'W' : 'E';
    segments.push(
      [
        'ERR',
        '',
        location.join('^'),
        `${problem.code}^${HL7_ERROR_TEXT[problem.code]}^HL70357`,
        severity,
        '',
        '',
        '',
        escapeHl7(problem.description),
      ].join('|'),
    );
  }
  return segments.join('\r');
}
