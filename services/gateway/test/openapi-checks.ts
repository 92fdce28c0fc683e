// Checks of an OpenAPI document shared by the unit and integration tests: its operations against the routes a
// server registered, and its examples against its own schemas.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type Ajv from 'ajv';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** `GET /v1/institutions/{}`: a route with its variables unnamed, so Fastify's `:p0` and OpenAPI's `{id}` compare equal. */
export function operationKey(method: string, route: string): string {
  // A custom verb's colon (Fastify `::cancel`, OpenAPI `:cancel`) is kept; `:name` and `{name}` variables are not.
  const path = route
    .split('::')
    .map((part) => part.replace(/:[A-Za-z0-9_]+/g, '{}').replace(/\{[^}]+\}/g, '{}'))
    .join(':');
  return `${method.toUpperCase()} ${path}`;
}

/** The server's routes as operation keys; the HEAD Fastify adds beside every GET is the GET's (the document says so). */
export function servedOperations(routes: ReadonlyArray<{ method: string; url: string }>): string[] {
  const gets = new Set(routes.filter((route) => route.method === 'GET').map((route) => route.url));
  return [
    ...new Set(
      routes
        .filter((route) => !(route.method === 'HEAD' && gets.has(route.url)))
        .map((route) => operationKey(route.method, route.url)),
    ),
  ].sort();
}

export function documentedOperations(doc: Json): string[] {
  const keys: string[] = [];
  for (const [route, operations] of Object.entries(doc.paths as Record<string, object>))
    for (const method of Object.keys(operations)) keys.push(operationKey(method, route));
  return keys.sort();
}

export function documentMismatch(
  served: readonly string[],
  documented: readonly string[],
): { servedButUndocumented: string[]; documentedButNotServed: string[] } {
  return {
    servedButUndocumented: served.filter((key) => !documented.includes(key)),
    documentedButNotServed: documented.filter((key) => !served.includes(key)),
  };
}

/** A copy of the schemas in which no object takes a property it does not name, and refs point into `openapi`. */
function strictCopy(value: Json): Json {
  if (Array.isArray(value)) return value.map(strictCopy);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value))
    out[key] = key === '$ref' && typeof inner === 'string' ? `openapi${inner}` : strictCopy(inner);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  return out;
}

/** Every example (request body, 200 body, query parameter) validated against the schema beside it. */
export function examplesAgainstSchemas(doc: Json, ajv: Ajv): { checked: number; failures: string[] } {
  ajv.addSchema({ $id: 'openapi', components: strictCopy(doc.components) });
  const failures: string[] = [];
  let checked = 0;
  const check = (where: string, schema: Json, example: unknown): void => {
    checked += 1;
    const validate = ajv.compile(strictCopy(schema));
    if (!validate(example)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}`);
  };
  for (const [route, operations] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(operations)) {
      const where = `${method.toUpperCase()} ${route}`;
      const body = operation.requestBody?.content?.['application/json'];
      if (body?.example !== undefined) check(`${where} request`, body.schema, body.example);
      const answer = operation.responses?.['200']?.content?.['application/json'];
      if (answer?.example !== undefined) check(`${where} 200`, answer.schema, answer.example);
      for (const parameter of operation.parameters ?? [])
        if (parameter.example !== undefined) check(`${where} ?${parameter.name}`, parameter.schema, parameter.example);
    }
  }
  return { checked, failures };
}

/** The validator's verdict on a document (validate-openapi.mjs, in its own Node process). */
export function validateOpenApi(doc: unknown): { valid: boolean; message: string } {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'validate-openapi.mjs')], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    valid: run.status === 0,
    message: (run.status === 0 ? run.stdout : run.stderr || String(run.error ?? run.status)).trim(),
  };
}
