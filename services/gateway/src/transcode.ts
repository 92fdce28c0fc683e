// HTTP -> proto3 JSON: path variables, query parameters and body merged into one request object, checked
// field by field against the proto so that bad input is a 400 naming each field, not a silent default.
import protobuf from 'protobufjs';
import { FieldViolation, InvalidArgumentError } from '../../common/src/errors';
import type { HttpRoute } from './http-rules';

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_STRING_LENGTH = 100_000;
const MAX_DEPTH = 32;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

class Checker {
  readonly violations: FieldViolation[] = [];

  fail(field: string, description: string): undefined {
    this.violations.push({ field, description });
    return undefined;
  }

  message(type: protobuf.Type, value: unknown, path: string, depth = 0): Record<string, Json> | undefined {
    if (depth > MAX_DEPTH) return this.fail(path || '(body)', 'is nested too deeply');
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return this.fail(path || '(body)', 'must be a JSON object');
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      const field =
        type.fields[key] ??
        type.fieldsArray.find((candidate) => fieldJsonName(candidate) === key || originalName(candidate) === key);
      const fieldPath = path ? `${path}.${key}` : key;
      if (!field) {
        this.fail(fieldPath, 'is not a field of this request');
        continue;
      }
      if (inner === null) continue;
      const name = fieldJsonName(field);
      if (name in out) {
        this.fail(fieldPath, 'is given twice');
        continue;
      }
      const checked = this.field(field, inner, fieldPath, depth);
      if (checked !== undefined) out[name] = checked;
    }
    return out;
  }

  field(field: protobuf.Field, value: unknown, path: string, depth: number): Json | undefined {
    if (field instanceof protobuf.MapField) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return this.fail(path, 'must be a JSON object (a map)');
      const out: Record<string, Json> = {};
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        const checked = this.scalarOrMessage(field, inner, `${path}.${key}`, depth);
        if (checked !== undefined) out[key] = checked;
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) return this.fail(path, 'must be a JSON array');
      if (value.length > 10_000) return this.fail(path, 'has too many elements');
      const out: Json[] = [];
      value.forEach((inner, index) => {
        const checked = this.scalarOrMessage(field, inner, `${path}[${index}]`, depth);
        if (checked !== undefined) out.push(checked);
      });
      return out;
    }
    return this.scalarOrMessage(field, value, path, depth);
  }

  scalarOrMessage(field: protobuf.Field, value: unknown, path: string, depth: number): Json | undefined {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) return this.enumValue(resolved, value, path);
    if (resolved instanceof protobuf.Type) return this.wellKnownOrMessage(resolved, value, path, depth);
    return this.scalar(field.type, value, path);
  }

  enumValue(enumType: protobuf.Enum, value: unknown, path: string): Json | undefined {
    if (typeof value === 'string' && value in enumType.values) return value;
    if (typeof value === 'number' && Object.values(enumType.values).includes(value)) return value;
    return this.fail(
      path,
      `must be one of ${Object.keys(enumType.values)
        .filter((name) => !name.endsWith('_UNSPECIFIED'))
        .join(', ')}`,
    );
  }

  wellKnownOrMessage(type: protobuf.Type, value: unknown, path: string, depth: number): Json | undefined {
    const name = type.fullName;
    if (name === '.google.protobuf.Timestamp') {
      if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
        return this.fail(path, 'must be an RFC 3339 timestamp, e.g. "2026-03-01T09:30:00+08:00"');
      }
      return value;
    }
    if (name === '.google.protobuf.Duration') {
      if (typeof value !== 'string' || !/^-?\d+(\.\d{1,9})?s$/.test(value))
        return this.fail(path, 'must be a duration such as "1.5s"');
      return value;
    }
    if (
      name === '.google.protobuf.Struct' ||
      name === '.google.protobuf.Value' ||
      name === '.google.protobuf.ListValue'
    ) {
      return value as Json;
    }
    if (WRAPPERS.has(name)) {
      const inner = type.fields.value;
      return inner ? this.scalar(inner.type, value, path) : undefined;
    }
    return this.message(type, value, path, depth + 1);
  }

  scalar(protoType: string, value: unknown, path: string): Json | undefined {
    if (protoType === 'string') {
      if (typeof value !== 'string') return this.fail(path, 'must be a string');
      if (value.length > MAX_STRING_LENGTH) return this.fail(path, `must be at most ${MAX_STRING_LENGTH} characters`);
      if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value))
        return this.fail(path, 'is not valid Unicode');
      return value;
    }
    if (protoType === 'bool') {
      if (typeof value === 'boolean') return value;
      return this.fail(path, 'must be true or false');
    }
    if (INT32.has(protoType) || UINT32.has(protoType) || INT64.has(protoType)) {
      const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
      if (text === undefined || !/^-?\d+$/.test(text)) return this.fail(path, 'must be an integer');
      const big = BigInt(text);
      const [min, max] = INT32.has(protoType)
        ? [-(2n ** 31n), 2n ** 31n - 1n]
        : UINT32.has(protoType)
          ? [0n, 2n ** 32n - 1n]
          : protoType.startsWith('u') || protoType === 'fixed64'
            ? [0n, 2n ** 64n - 1n]
            : [-(2n ** 63n), 2n ** 63n - 1n];
      if (big < min || big > max) return this.fail(path, `must be between ${min} and ${max}`);
      return INT64.has(protoType) ? text : Number(text);
    }
    if (protoType === 'double' || protoType === 'float') {
      const number =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)
            ? Number(value)
            : NaN;
      if (!Number.isFinite(number)) return this.fail(path, 'must be a finite number');
      return number;
    }
    if (protoType === 'bytes') {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
        return this.fail(path, 'must be base64');
      return value;
    }
    return this.fail(path, `has an unsupported type ${protoType}`);
  }
}

export function fieldJsonName(field: protobuf.Field): string {
  return field.name;
}

function originalName(field: protobuf.Field): string {
  return field.name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** Finds the field at a dotted path (`slot.id`) of a type. */
function fieldAt(type: protobuf.Type, fieldPath: string): protobuf.Field | undefined {
  let current: protobuf.Type | undefined = type;
  let field: protobuf.Field | undefined;
  for (const part of fieldPath.split('.')) {
    field = current?.fields[part] ?? current?.fieldsArray.find((candidate) => originalName(candidate) === part);
    current = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  }
  return field;
}

function setPath(target: Record<string, unknown>, fieldPath: string, value: unknown): void {
  const parts = fieldPath.split('.');
  let cursor = target;
  parts.forEach((part, index) => {
    if (index === parts.length - 1) cursor[part] = value;
    else cursor = (cursor[part] ??= {}) as Record<string, unknown>;
  });
}

/** A query string value as JSON of the field's type: numbers and booleans parsed, repeated kept as arrays. */
function queryValue(field: protobuf.Field, raw: string | string[]): unknown {
  const values = Array.isArray(raw) ? raw : [raw];
  const convert = (text: string): unknown => {
    if (field.resolvedType instanceof protobuf.Enum) return /^\d+$/.test(text) ? Number(text) : text;
    if (field.type === 'bool') return text === 'true' ? true : text === 'false' ? false : text;
    if (field.type === 'double' || field.type === 'float' || INT32.has(field.type) || UINT32.has(field.type)) {
      return /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
    }
    return text;
  };
  if (field.repeated) return values.map(convert);
  return convert(values[values.length - 1] as string);
}

export interface HttpInput {
  readonly params: Record<string, string>;
  readonly query: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/** Builds and checks the request object of `route` from an HTTP request. Throws InvalidArgumentError. */
export function transcodeRequest(route: HttpRoute, input: HttpInput): Record<string, Json> {
  const checker = new Checker();
  const request: Record<string, unknown> = {};
  const boundByPath = new Set(route.pathParams.values());

  if (route.body === '*') {
    if (input.body !== undefined && input.body !== null) {
      if (typeof input.body !== 'object' || Array.isArray(input.body)) checker.fail('(body)', 'must be a JSON object');
      else Object.assign(request, input.body);
    }
  } else if (route.body) {
    if (input.body !== undefined && input.body !== null) request[route.body] = input.body;
  } else if (
    input.body !== undefined &&
    input.body !== null &&
    !(typeof input.body === 'object' && Object.keys(input.body).length === 0)
  ) {
    checker.fail('(body)', 'this route takes no body');
  }

  if (route.body !== '*') {
    for (const [key, raw] of Object.entries(input.query)) {
      if (raw === undefined) continue;
      const field = fieldAt(route.requestType, key);
      if (!field || boundByPath.has(key) || (route.body && key.split('.')[0] === route.body)) {
        checker.fail(key, 'is not a query parameter of this route');
        continue;
      }
      if (
        field.resolvedType instanceof protobuf.Type &&
        !WRAPPERS.has(field.resolvedType.fullName) &&
        field.resolvedType.fullName !== '.google.protobuf.Timestamp'
      ) {
        checker.fail(key, 'cannot be given as a query parameter');
        continue;
      }
      setPath(request, key, queryValue(field, raw));
    }
  } else {
    for (const key of Object.keys(input.query))
      checker.fail(key, 'this route takes its fields in the body, not the query');
  }

  for (const [param, fieldPath] of route.pathParams) {
    const value = input.params[param];
    if (value === undefined || value === '') {
      checker.fail(fieldPath, 'is required in the path');
      continue;
    }
    const field = fieldAt(route.requestType, fieldPath);
    setPath(request, fieldPath, field ? queryValue(field, value) : value);
  }

  const checked = checker.message(route.requestType, request, '');
  if (checker.violations.length > 0 || !checked) throw new InvalidArgumentError(checker.violations);
  return checked;
}
