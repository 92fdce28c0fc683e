// JSON logs (pino) that carry the active trace and span ids and never carry a resident's identifiers.
import { trace } from '@opentelemetry/api';
import pino, { Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are personal identifiers wherever they appear in a log object. */
const IDENTIFYING_KEYS = [
  'nationalId',
  'national_id',
  'residentId',
  'resident_id',
  'idNumber',
  'name',
  'fullName',
  'full_name',
  'familyName',
  'givenName',
  'phone',
  'phoneNumber',
  'mobile',
  'password',
  'authorization',
  'token',
  'accessToken',
  'refreshToken',
];

// 18-digit resident IDs (last may be X) and mainland mobile numbers, scrubbed from any string as well.
const RESIDENT_ID_PATTERN = /(?<!\d)\d{17}[\dXx](?!\d)/g;
const MOBILE_PATTERN = /(?<!\d)1[3-9]\d{9}(?!\d)/g;

/** Replaces resident ID and phone numbers inside free text. */
export function scrubIdentifiers(text: string): string {
  return text.replace(RESIDENT_ID_PATTERN, '[resident-id]').replace(MOBILE_PATTERN, '[phone]');
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubIdentifiers(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1));
  if (value instanceof Error) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = IDENTIFYING_KEYS.includes(key) ? '[redacted]' : scrubDeep(inner, depth + 1);
  }
  return out;
}

/**
 * An error as a log line holds it: its type, message and codes, never its stack (code paths and file names stay out
 * of the logs; the trace id of the line finds the request) nor a database error's echo of the row or statement.
 */
const ERROR_KEYS_LEFT_OUT = ['stack', 'detail', 'where', 'internalQuery', 'query', 'hint', 'parameters'];

function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const key of ERROR_KEYS_LEFT_OUT) delete serialized[key];
  const message = serialized['message'];
  if (typeof message === 'string') serialized['message'] = scrubIdentifiers(message);
  return serialized;
}

/** Creates the process logger for `service`. */
export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubDeep(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubIdentifiers(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
      serializers: { err: serializeError },
    },
    destination,
  );
}
