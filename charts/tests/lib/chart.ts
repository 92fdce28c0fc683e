// The chart's static files as the tests see them: paths, YAML values merged the way Helm merges them,
// and values.schema.json compiled with ajv (draft-07, as Helm reads it).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../../services/common/src/paths';

/** The repository root, also when this file runs compiled elsewhere (npm run chart:values-table). */
export const REPO_ROOT = repoRoot();
export const CHART_DIR = path.join(REPO_ROOT, 'charts', 'mch-alliance');
export const TEMPLATES_DIR = path.join(CHART_DIR, 'templates');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'charts', 'tests', 'fixtures');

export type Values = Record<string, unknown>;
export type Schema = Record<string, unknown>;

export function readText(file: string): string {
  return readFileSync(file, 'utf8');
}

export function readYamlFile(file: string): Values {
  const parsed: unknown = parseYaml(readText(file));
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) throw new Error(`${file}: top level is not a mapping`);
  return parsed;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's coalescing of a values overlay onto a base: maps merge key by key, lists and scalars replace, null deletes. */
export function mergeValues(base: Values, overlay: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) {
      delete merged[key];
    } else if (isPlainObject(value) && isPlainObject(merged[key])) {
      merged[key] = mergeValues(merged[key], value);
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

export const VALUES_FILES = ['values.yaml', 'values-dev.yaml', 'values-prod.yaml'] as const;
export const OVERLAYS = ['values-dev.yaml', 'values-prod.yaml'] as const;

export function chartValues(file: string): Values {
  return readYamlFile(path.join(CHART_DIR, file));
}

/** values.yaml with an overlay applied, as `helm install -f <overlay>` sees it. */
export function mergedValues(overlay: string): Values {
  return mergeValues(chartValues('values.yaml'), chartValues(overlay));
}

export function loadSchema(): Schema {
  return JSON.parse(readText(path.join(CHART_DIR, 'values.schema.json'))) as Schema;
}

/** The same schema without `required`: an overlay on its own sets only what it changes. */
export function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (!isPlainObject(schema)) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'required' && Array.isArray(value)) continue;
    copy[key] = withoutRequired(value);
  }
  return copy;
}

export function compileSchema(schema: unknown): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(schema as object);
}

/** One line per error, e.g. `/services/identity: must NOT have additional properties (replica)`. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    return `${error.instancePath || '/'}: ${error.message ?? error.keyword}${extra ? ` (${extra})` : ''}`;
  });
}

export function templateFiles(): string[] {
  return readdirSync(TEMPLATES_DIR)
    .filter((file) => /\.(ya?ml|tpl|txt)$/.test(file))
    .sort()
    .map((file) => path.join(TEMPLATES_DIR, file));
}

export function exists(relativeToRepo: string): boolean {
  return existsSync(path.join(REPO_ROOT, relativeToRepo));
}

/** `a.b.c` of a plain object, or undefined. */
export function at(values: Values, dotted: string): unknown {
  let current: unknown = values;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}
