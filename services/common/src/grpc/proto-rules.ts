// The platform's own proto annotations (proto/mch/common/v1/options.proto), read from the .proto files with
// protobufjs: which methods answer without a token (`(mch.common.v1.public)`) and which request fields must be
// given (`(mch.common.v1.required)`). The service kit enforces them; the gateway documents them in /openapi.json.
// The annotation is the one source of both.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { FieldViolation } from '../errors';
import { protoDir } from '../paths';

export const PUBLIC_OPTION = '(mch.common.v1.public)';
export const REQUIRED_OPTION = '(mch.common.v1.required)';

/** Loads proto files (relative to one of `includeDirs`) with their imports, resolved; names camelCased as ts-proto's. */
export function loadProtoRoot(includeDirs: readonly string[], files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target) && existsSync(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // google/protobuf/*: descriptor.proto ships with protobufjs; the other well-known types are built in.
    const bundled = path.join(path.dirname(require.resolve('protobufjs/package.json')), target);
    return existsSync(bundled) ? bundled : target;
  };
  root.loadSync([...files], { keepCase: false, alternateCommentMode: true });
  root.resolveAll();
  return root;
}

/** The platform's include dirs: proto/ and its vendored third_party. */
export function platformProtoDirs(): string[] {
  return [protoDir(), path.join(protoDir(), 'third_party')];
}

export function isPublicMethod(method: protobuf.Method): boolean {
  return method.getOption(PUBLIC_OPTION) === true;
}

export function isRequiredField(field: protobuf.Field): boolean {
  return field.getOption(REQUIRED_OPTION) === true;
}

/** True when a decoded (ts-proto) value counts as not given: empty text, bytes or list, an absent message, 0. */
function isMissing(field: protobuf.Field, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.map) return Object.keys(value).length === 0;
  if (field.repeated || typeof value === 'string' || value instanceof Uint8Array)
    return (value as { length: number }).length === 0;
  if (typeof value === 'number') return value === 0;
  return false;
}

/** Whether `type` or a message nested in it has a required field (so a check is worth walking into it). */
function hasRequired(type: protobuf.Type, seen = new Set<protobuf.Type>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  return type.fieldsArray.some(
    (field) =>
      isRequiredField(field) ||
      (field.resolvedType instanceof protobuf.Type &&
        !field.repeated &&
        !field.map &&
        hasRequired(field.resolvedType, seen)),
  );
}

/** `is required` for every required field of `type` that `value` (a decoded request) leaves empty, nested messages included. */
export function requiredViolations(type: protobuf.Type, value: unknown, prefix = '', depth = 0): FieldViolation[] {
  if (depth > 16 || value === null || typeof value !== 'object') return [];
  const violations: FieldViolation[] = [];
  for (const field of type.fieldsArray) {
    const inner = (value as Record<string, unknown>)[field.name];
    const fieldPath = `${prefix}${field.name}`;
    if (isRequiredField(field) && isMissing(field, inner)) {
      violations.push({ field: fieldPath, description: 'is required' });
      continue;
    }
    if (
      field.resolvedType instanceof protobuf.Type &&
      !field.repeated &&
      !field.map &&
      inner !== undefined &&
      hasRequired(field.resolvedType)
    ) {
      violations.push(...requiredViolations(field.resolvedType, inner, `${fieldPath}.`, depth + 1));
    }
  }
  return violations;
}

/** What the annotations say about one service's methods, keyed by the names of its ts-proto definition. */
export interface ServiceRules {
  readonly publicMethods: ReadonlySet<string>;
  /** Per method with at least one required field (nested included): the violations of a decoded request. */
  readonly required: ReadonlyMap<string, (request: unknown) => FieldViolation[]>;
}

/** The rules of `serviceName` (fully qualified) declared in `protoFile` (relative to proto/), for `definition`'s methods. */
export function serviceRules(
  protoFile: string,
  serviceName: string,
  definition: ServiceDefinition,
  includeDirs: readonly string[] = platformProtoDirs(),
): ServiceRules {
  const root = loadProtoRoot(includeDirs, [protoFile]);
  const service = root.lookupService(serviceName);
  const publicMethods = new Set<string>();
  const required = new Map<string, (request: unknown) => FieldViolation[]>();
  for (const [name, method] of Object.entries(definition)) {
    const rpc = service.methods[method.path.split('/').pop() ?? ''];
    if (!rpc) throw new Error(`${method.path} is not a method of ${serviceName} in ${protoFile}`);
    if (isPublicMethod(rpc)) publicMethods.add(name);
    const requestType = rpc.resolvedRequestType;
    if (requestType && hasRequired(requestType))
      required.set(name, (request) => requiredViolations(requestType, request));
  }
  return { publicMethods, required };
}
