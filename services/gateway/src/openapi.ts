// /openapi.json, built from the same annotations and message types as the routes: the proto table's operations,
// the hand-written routes' own descriptions (each next to its registration), who needs a token (the proto's
// `(mch.common.v1.public)`, the kit's source too), which fields are required (`(mch.common.v1.required)`, which the
// kit enforces), the one error shape, and worked examples.
import protobuf from 'protobufjs';
import { isPublicMethod, isRequiredField } from '../../common/src/grpc/proto-rules';
import type { HttpRoute } from './http-rules';
import { OPERATION_EXAMPLES } from './openapi-examples';

export type Schema = Record<string, unknown>;
/** OpenAPI path -> method -> operation. */
export type Paths = Record<string, Record<string, unknown>>;

function schemaName(type: protobuf.ReflectionObject): string {
  return type.fullName.replace(/^\./, '');
}

/** proto field name as the gateway also accepts it (`page_size` for `pageSize`): the name in the .proto file. */
export function protoName(field: protobuf.Field): string {
  return field.name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export class SchemaBuilder {
  readonly schemas: Record<string, Schema> = {};

  constructor(private readonly root: protobuf.Root) {}

  /** A `$ref` to the schema of a message or enum by its full name (`mch.consultation.v1.Message`), registering it. */
  named(fullName: string): Schema {
    return this.ref(this.root.lookupTypeOrEnum(fullName));
  }

  ref(type: protobuf.Type | protobuf.Enum): Schema {
    const name = schemaName(type);
    if (type.fullName === '.google.protobuf.Timestamp') return { type: 'string', format: 'date-time' };
    if (type.fullName === '.google.protobuf.Duration') return { type: 'string', example: '1.5s' };
    if (!(name in this.schemas)) {
      this.schemas[name] = {};
      this.schemas[name] =
        type instanceof protobuf.Enum ? { type: 'string', enum: Object.keys(type.values) } : this.message(type);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  message(type: protobuf.Type): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const field of type.fieldsArray) {
      const single = this.field(field);
      properties[field.name] =
        field instanceof protobuf.MapField
          ? { type: 'object', additionalProperties: single }
          : field.repeated
            ? { type: 'array', items: single }
            : single;
      if (isRequiredField(field)) {
        required.push(field.name);
        if (field.type === 'string') properties[field.name] = { ...properties[field.name], minLength: 1 };
        if (field.repeated) properties[field.name] = { ...properties[field.name], minItems: 1 };
      }
      if (field.comment)
        properties[field.name] = { ...wrapRef(properties[field.name] as Schema), description: field.comment };
    }
    return {
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      ...(type.comment ? { description: type.comment } : {}),
    };
  }

  field(field: protobuf.Field): Schema {
    if (field.resolvedType) return this.ref(field.resolvedType);
    switch (field.type) {
      case 'string':
        return { type: 'string' };
      case 'bool':
        return { type: 'boolean' };
      case 'double':
      case 'float':
        return { type: 'number' };
      case 'bytes':
        return { type: 'string', format: 'byte' };
      case 'int64':
      case 'uint64':
      case 'sint64':
      case 'fixed64':
      case 'sfixed64':
        return { type: 'string', format: 'int64' };
      default:
        return { type: 'integer', format: 'int32' };
    }
  }
}

/** OpenAPI 3.0 ignores siblings of `$ref`: a described reference is wrapped in allOf. */
function wrapRef(schema: Schema): Schema {
  return '$ref' in schema ? { allOf: [schema] } : schema;
}

/** The error answers every operation may give, all in the one body shape (components/schemas/Error). */
const ERROR_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'INVALID_ARGUMENT / OUT_OF_RANGE: details hold a google.rpc.BadRequest naming each field',
  '401': 'UNAUTHENTICATED: no valid bearer token (reason TOKEN_MISSING, TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_MALFORMED)',
  '403': 'PERMISSION_DENIED: the caller may not do this (role, institution, purpose of use)',
  '404': 'NOT_FOUND',
  '409':
    'ALREADY_EXISTS / FAILED_PRECONDITION / ABORTED: the state does not allow it (details: google.rpc.ErrorInfo reason)',
  '429': 'RESOURCE_EXHAUSTED: rate limited (Retry-After says when to retry)',
  '503':
    'UNAVAILABLE: the backend service is unavailable, or this gateway replica is at its bound for this class of route (Retry-After); retry, with the same Idempotency-Key for writes',
};

/** `responses` entries for the errors, by reference. */
export function errorResponses(): Record<string, unknown> {
  return {
    ...Object.fromEntries(
      Object.keys(ERROR_RESPONSES).map((code) => [code, { $ref: `#/components/responses/Error${code}` }]),
    ),
    default: { $ref: '#/components/responses/Error' },
  };
}

const ERROR_SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    description:
      'Every error answer (google.rpc.Status as JSON): the gRPC code, its name, a message for people, and typed details.',
    required: ['code', 'status', 'message', 'details'],
    properties: {
      code: { type: 'integer', description: 'The gRPC status code, e.g. 3 (INVALID_ARGUMENT)' },
      status: { type: 'string', description: 'The code by name, e.g. INVALID_ARGUMENT' },
      message: { type: 'string' },
      details: { type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } },
    },
  },
  ErrorDetail: {
    type: 'object',
    description:
      'One detail: `@type` names it; google.rpc.BadRequest has fieldViolations, google.rpc.ErrorInfo a reason and metadata.',
    required: ['@type'],
    properties: {
      '@type': { type: 'string', example: 'type.googleapis.com/google.rpc.BadRequest' },
      fieldViolations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'description'],
          properties: { field: { type: 'string' }, description: { type: 'string' } },
        },
      },
      reason: { type: 'string', example: 'TOKEN_MISSING' },
      domain: { type: 'string' },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
};

const ERROR_EXAMPLE = {
  code: 3,
  status: 'INVALID_ARGUMENT',
  message: 'username: is required',
  details: [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: [{ field: 'username', description: 'is required' }],
    },
  ],
};

function errorComponents(): Record<string, unknown> {
  const content = (example?: unknown): Record<string, unknown> => ({
    'application/json': { schema: { $ref: '#/components/schemas/Error' }, ...(example ? { example } : {}) },
  });
  return {
    ...Object.fromEntries(
      Object.entries(ERROR_RESPONSES).map(([code, description]) => [
        `Error${code}`,
        { description, content: content(code === '400' ? ERROR_EXAMPLE : undefined) },
      ]),
    ),
    Error: {
      description: 'Any other error (500 INTERNAL, 504 DEADLINE_EXCEEDED, 413 body too large, 415 not JSON)',
      content: content(),
    },
  };
}

/** Headers every operation on patients' data may carry. */
const COMMON_PARAMETERS: Record<string, Schema> = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a write safe to repeat: the same key and body answer the first answer again (8–128 printable ASCII characters).',
    schema: { type: 'string', minLength: 8, maxLength: 128 },
  },
  Purpose: {
    name: 'X-MCH-Purpose',
    in: 'header',
    required: false,
    description: "Staff's purpose of use, required to touch a patient's data.",
    schema: {
      type: 'string',
      enum: ['treatment', 'referral', 'consultation', 'follow-up', 'registration', 'break-glass'],
    },
  },
  BreakGlassReason: {
    name: 'X-MCH-Break-Glass-Reason',
    in: 'header',
    required: false,
    description: 'With purpose break-glass: why (percent-encoded UTF-8); audited.',
    schema: { type: 'string' },
  },
};

const PUBLIC = { security: [] as unknown[] };

export interface OpenApiInput {
  readonly root: protobuf.Root;
  readonly routes: readonly HttpRoute[];
  readonly version: string;
  /** The hand-written routes' descriptions, each given the schema builder so its payloads are components. */
  readonly handWritten: ReadonlyArray<(schemas: SchemaBuilder) => Paths>;
}

function operationOf(route: HttpRoute, builder: SchemaBuilder): Record<string, unknown> {
  const operationId = `${route.service.name}.${route.method.name}`;
  const examples = OPERATION_EXAMPLES[operationId];
  const pathFields = new Set(route.pathParams.values());
  const parameters: Schema[] = [...pathFields].map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  if (route.body !== '*') {
    for (const field of route.requestType.fieldsArray) {
      if (
        pathFields.has(field.name) ||
        field.name === route.body ||
        (field.resolvedType instanceof protobuf.Type && field.resolvedType.fullName !== '.google.protobuf.Timestamp')
      )
        continue;
      const alias = protoName(field) !== field.name ? `Also accepted as \`${protoName(field)}\`.` : '';
      const description = [field.comment ?? '', alias].filter(Boolean).join(' ');
      const single = builder.field(field);
      const example = examples?.query?.[field.name];
      parameters.push({
        name: field.name,
        in: 'query',
        ...(example !== undefined ? { example } : {}),
        required: isRequiredField(field),
        schema: field.repeated ? { type: 'array', items: single } : single,
        ...(field.repeated ? { style: 'form', explode: true } : {}),
        ...(description ? { description } : {}),
      });
    }
  }
  if (route.verb !== 'GET') parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  const isPublic = isPublicMethod(route.method);
  if (!isPublic)
    parameters.push({ $ref: '#/components/parameters/Purpose' }, { $ref: '#/components/parameters/BreakGlassReason' });
  const operation: Record<string, unknown> = {
    operationId,
    summary: route.method.comment ?? route.method.name,
    tags: [route.service.name],
    parameters,
    ...(isPublic ? PUBLIC : {}),
    responses: {
      '200': {
        description: 'OK',
        content: {
          'application/json': {
            schema: builder.ref(route.responseType),
            ...(examples?.response ? { example: examples.response } : {}),
          },
        },
      },
      ...errorResponses(),
    },
  };
  if (route.body) {
    const bodySchema =
      route.body === '*'
        ? builder.ref(route.requestType)
        : builder.field(route.requestType.fields[route.body] as protobuf.Field);
    operation.requestBody = {
      required: true,
      content: {
        'application/json': { schema: bodySchema, ...(examples?.request ? { example: examples.request } : {}) },
      },
    };
  }
  return operation;
}

/** OpenAPI's spelling of a proto path template: `{field}` variables, no `=pattern`. */
export function openApiPath(template: string): string {
  return template.replace(/\{([^}=]+)(=[^}]*)?\}/g, '{$1}');
}

export function buildOpenApi(input: OpenApiInput): Record<string, unknown> {
  const builder = new SchemaBuilder(input.root);
  const paths: Paths = {};
  for (const route of input.routes)
    (paths[openApiPath(route.template)] ??= {})[route.verb.toLowerCase()] = operationOf(route, builder);
  for (const describe of input.handWritten) {
    for (const [path, operations] of Object.entries(describe(builder))) Object.assign((paths[path] ??= {}), operations);
  }
  Object.assign(builder.schemas, ERROR_SCHEMAS);
  const sorted = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.0.3',
    info: {
      title: 'MCH Alliance API',
      version: input.version,
      description: [
        'Routes derived from the google.api.http annotations of the services, and the gateway’s own routes (health, metrics, this document, the docs and operator pages, object upload and download, and the live event streams).',
        'Bodies and answers are proto3 JSON: lowerCamelCase field names (the proto’s snake_case names are accepted as aliases in bodies and query strings), 64-bit integers as strings, enums by name, timestamps in RFC 3339.',
        'Every route that is not marked otherwise needs `Authorization: Bearer <access token>` (from POST /v1/auth/login). Every GET also answers HEAD.',
      ].join('\n\n'),
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: builder.schemas,
      parameters: COMMON_PARAMETERS,
      responses: errorComponents(),
    },
    security: [{ bearer: [] }],
    paths: sorted,
  };
}

/** One kind of server-sent event a stream writes: its `event:` name, what its `id:` is, and its `data:` JSON. */
export interface SseEventDoc {
  readonly event: string;
  readonly description: string;
  readonly data: Schema;
  readonly id?: string;
}

/**
 * A 200 answer that is a `text/event-stream`. OpenAPI 3.0 has no schema for the events themselves, so each is listed
 * in the description and, machine-readable, in `x-sse-events` (name, id, and the schema of its `data:` JSON).
 */
export function sseResponse(summary: string, events: readonly SseEventDoc[], example: string): Record<string, unknown> {
  const lines = events.map(
    (event) => `- \`event: ${event.event}\`${event.id ? ` (\`id:\` ${event.id})` : ''}: ${event.description}`,
  );
  return {
    description: [
      summary,
      'Events (each `data:` is one line of JSON):',
      ...lines,
      'Comment lines (`: heartbeat`) keep a quiet stream open.',
    ].join('\n'),
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'Server-sent events (text/event-stream)' },
        example,
        'x-sse-events': events.map((event) => ({
          event: event.event,
          ...(event.id ? { id: event.id } : {}),
          description: event.description,
          data: event.data,
        })),
      },
    },
  };
}

/** A route of the gateway's own that serves a static page or file. */
export function staticFileOperation(operationId: string, summary: string, mediaType: string): Record<string, unknown> {
  return {
    get: {
      operationId,
      summary,
      tags: ['Gateway'],
      security: [],
      responses: { '200': { description: summary, content: { [mediaType]: { schema: { type: 'string' } } } } },
    },
  };
}

/** The gateway's own routes: probes, metrics and this document. */
export function gatewayRoutesOpenApi(): Paths {
  const probe = (operationId: string, summary: string, status: Schema): Record<string, unknown> => ({
    get: {
      operationId,
      summary,
      tags: ['Gateway'],
      security: [],
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: status } } },
        ...(operationId === 'Gateway.Ready'
          ? {
              '503': {
                description: 'Draining (shutting down): send elsewhere',
                content: { 'application/json': { schema: status } },
              },
            }
          : {}),
      },
    },
  });
  return {
    '/healthz': probe('Gateway.Health', 'Liveness: the process answers', {
      type: 'object',
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    }),
    '/readyz': probe('Gateway.Ready', 'Readiness: not draining; the state of each backend and of rate limiting', {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ready', 'draining'] },
        backends: { type: 'object', additionalProperties: true },
        rateLimits: { type: 'object', additionalProperties: true },
        load: {
          type: 'object',
          additionalProperties: true,
          description: 'Requests in flight per route class, and their bounds',
        },
      },
    }),
    '/metrics': staticFileOperation('Gateway.Metrics', 'Prometheus metrics (text exposition format)', 'text/plain'),
    '/openapi.json': {
      get: {
        operationId: 'Gateway.OpenApi',
        summary: 'This document (OpenAPI 3.0)',
        tags: ['Gateway'],
        security: [],
        responses: {
          '200': {
            description: 'The OpenAPI document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      },
    },
  };
}
