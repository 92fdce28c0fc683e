// The privacy rules table (services/records/data/privacy-rules.json) and the proto descriptors it is checked
// against, for the field-by-role tests (issue 28 §2): every field reachable from the record read answers, read from
// the protos themselves (protobufjs, as the gateway reads them), and each answer's values collected by field.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { findServiceProtos, loadProtoRoot } from '../../gateway/src/proto-registry';
import { protoDir, serviceDir } from '../../common/src/paths';

export type FieldRule = 'open' | 'sensitive' | 'sensitive-values' | 'sensitive-text' | 'withheld-marker';
export const FIELD_RULES: readonly FieldRule[] = [
  'open',
  'sensitive',
  'sensitive-values',
  'sensitive-text',
  'withheld-marker',
];

export interface ReaderRule {
  readonly reads: 'always' | 'with-purpose' | 'never';
  readonly sensitive?: readonly ('treating-team' | 'break-glass' | 'always')[];
}

export interface PrivacyRules {
  readonly answers: readonly string[];
  readonly readers: Readonly<Record<string, ReaderRule>>;
  readonly breakGlassMinReasonChars: number;
  readonly fields: Readonly<Record<string, FieldRule>>;
}

export function loadPrivacyRules(): PrivacyRules {
  return JSON.parse(
    readFileSync(path.join(serviceDir('records'), 'data', 'privacy-rules.json'), 'utf8'),
  ) as PrivacyRules;
}

let root: protobuf.Root | undefined;

/** The platform's protos, loaded as the gateway loads them (field names camelCased, as in JSON). */
export function protoRoot(): protobuf.Root {
  const dir = protoDir();
  root ??= loadProtoRoot({
    includeDirs: [dir, path.join(dir, 'third_party')],
    files: findServiceProtos(dir),
    generatedDirs: [],
  });
  return root;
}

const isOwnMessage = (type: protobuf.ReflectionObject | null): type is protobuf.Type =>
  type instanceof protobuf.Type && !type.fullName.startsWith('.google.');

/** `mch.records.v1.AntenatalVisit.notes`: a field by its message's full name and its own. */
export const fieldKey = (type: protobuf.Type, field: protobuf.Field): string =>
  `${type.fullName.slice(1)}.${field.name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)}`;

/** Every field reachable from the answers, by full name (each message once; well-known types are values). */
export function reachableFields(answers: readonly string[]): string[] {
  const seen = new Set<string>();
  const fields: string[] = [];
  const walk = (type: protobuf.Type): void => {
    if (seen.has(type.fullName)) return;
    seen.add(type.fullName);
    for (const field of type.fieldsArray) {
      field.resolve();
      fields.push(fieldKey(type, field));
      if (isOwnMessage(field.resolvedType)) walk(field.resolvedType);
    }
  };
  for (const answer of answers) walk(protoRoot().lookupType(answer));
  return fields;
}

/** A nested message's place in a collected list (its own fields are collected under their own keys). */
export const PRESENT = '<message>';

/**
 * Every value of an answer by field key, walking the descriptor of `typeName` over the object (ts-proto objects or
 * the gateway's JSON: camelCase properties; Timestamps as Date or string): a repeated field contributes each
 * element, a nested message `PRESENT` and its own fields.
 */
export function collectValues(typeName: string, value: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const walk = (type: protobuf.Type, object: Record<string, unknown>): void => {
    for (const field of type.fieldsArray) {
      field.resolve();
      const key = fieldKey(type, field);
      const list = out.get(key) ?? [];
      out.set(key, list);
      const raw = object[field.name];
      const items: unknown[] = field.repeated
        ? ((raw as unknown[] | undefined) ?? [])
        : raw === undefined || raw === null
          ? []
          : [raw];
      for (const item of items) {
        if (isOwnMessage(field.resolvedType)) {
          list.push(PRESENT);
          walk(field.resolvedType, item as Record<string, unknown>);
        } else list.push(item instanceof Date ? item.toISOString() : item);
      }
    }
  };
  walk(protoRoot().lookupType(typeName), value as Record<string, unknown>);
  return out;
}

/** A proto3 default (what an unset or withheld field reads as), in ts-proto or JSON form. */
export function isDefault(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === 0 || value === '0' || value === false;
}
