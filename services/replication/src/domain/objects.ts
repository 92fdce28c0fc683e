// What an object upload must say before any byte is stored: an allowed media type, a size within the limit, what
// it belongs to. Pure rules, shared by the replication service's PutObject and its tests.
import { Violations } from '../../../common/src/errors';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Media types the store takes: clinical images, lab reports and attachments, nothing executable. */
export const DEFAULT_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'application/pdf',
  'application/dicom',
  'text/plain',
  'text/csv',
] as const;

export type ReferenceKind = 'patient' | 'consultation';

/** What an object belongs to; the right to read it follows this. */
export interface ObjectReference {
  readonly kind: ReferenceKind;
  readonly id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function formatReference(reference: ObjectReference): string {
  return `${reference.kind}:${reference.id}`;
}

/** `patient:<uuid>` or `consultation:<uuid>` (both services' ids are UUIDs); undefined when malformed. */
export function parseReference(raw: string): ObjectReference | undefined {
  const match = /^(patient|consultation):(.+)$/.exec(raw.trim());
  if (!match) return undefined;
  const id = (match[2] as string).toLowerCase();
  if (!UUID.test(id)) return undefined;
  return { kind: match[1] as ReferenceKind, id };
}

/** `Image/JPEG; charset=x` -> `image/jpeg; charset=x`, with the bare media type for the allow-list. */
export function normaliseContentType(raw: string): { full: string; mediaType: string } {
  const [type = '', ...parameters] = raw.split(';').map((part) => part.trim());
  const mediaType = type.toLowerCase();
  const kept = parameters
    .filter((parameter) => /^charset=[A-Za-z0-9._-]+$/i.test(parameter))
    .map((parameter) => parameter.toLowerCase());
  return { full: [mediaType, ...kept].join('; '), mediaType };
}

export interface UploadRules {
  readonly maxBytes: number;
  readonly contentTypes: readonly string[];
}

export interface UploadMetadata {
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly reference: string;
}

export interface CheckedUpload {
  readonly contentType: string;
  /** 0: not declared. */
  readonly size: number;
  readonly sha256: string | undefined;
  readonly reference: ObjectReference;
}

/** Checks an upload's metadata; every bad field is named at once (INVALID_ARGUMENT). */
export function checkUpload(metadata: UploadMetadata, rules: UploadRules): CheckedUpload {
  const violations = new Violations();
  const { full, mediaType } = normaliseContentType(metadata.contentType);
  if (mediaType === '') violations.add('contentType', 'is required (the HTTP Content-Type of the upload)');
  else if (!rules.contentTypes.includes(mediaType))
    violations.add('contentType', `${mediaType} is not accepted; allowed: ${rules.contentTypes.join(', ')}`);
  if (!Number.isSafeInteger(metadata.size) || metadata.size < 0)
    violations.add('size', 'must be a non-negative byte count');
  else if (metadata.size > rules.maxBytes) violations.add('size', `must be at most ${rules.maxBytes} bytes`);
  const sha256 = metadata.sha256.trim().toLowerCase();
  if (sha256 !== '' && !SHA256_HEX.test(sha256)) violations.add('sha256', 'must be 64 hex digits');
  const reference = parseReference(metadata.reference);
  if (!reference) violations.add('reference', 'must be patient:<patientId> or consultation:<consultationId>');
  violations.throwIfAny();
  return {
    contentType: full,
    size: metadata.size,
    sha256: sha256 || undefined,
    reference: reference as ObjectReference,
  };
}

/** A running byte count against the declared size and the limit: the upload stops at the first byte too many. */
export function overLimit(received: number, declared: number, maxBytes: number): string | undefined {
  if (received > maxBytes) return `must be at most ${maxBytes} bytes`;
  if (declared > 0 && received > declared) return `more bytes than the declared ${declared}`;
  return undefined;
}
