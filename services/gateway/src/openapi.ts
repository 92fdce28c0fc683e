// /openapi.json, built from the same annotations and message types as the routes.
import protobuf from 'protobufjs';
import type { HttpRoute } from './http-rules';

type Schema = Record<string, unknown>;

function schemaName(type: protobuf.ReflectionObject): string {
  return type.fullName.replace(/^\./, '');
}

class SchemaBuilder {
  readonly schemas: Record<string, Schema> = {};

  ref(type: protobuf.Type | protobuf.Enum): Schema {
    const name = schemaName(type);
    if (type.fullName === '.google.protobuf.Timestamp') return { type: 'string', format: 'date-time' };
    if (type.fullName === '.google.protobuf.Duration') return { type: 'string', example: '1.5s' };
    if (!(name in this.schemas)) {
      this.schemas[name] = {};
      this.schemas[name] = type instanceof protobuf.Enum ? { type: 'string', enum: Object.keys(type.values) } : this.message(type);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  message(type: protobuf.Type): Schema {
    const properties: Record<string, Schema> = {};
    for (const field of type.fieldsArray) {
      const single = this.field(field);
      properties[field.name] = field instanceof protobuf.MapField ? { type: 'object', additionalProperties: single } : field.repeated ? { type: 'array', items: single } : single;
      if (field.comment) properties[field.name] = { ...properties[field.name], description: field.comment };
    }
    return { type: 'object', properties, ...(type.comment ? { description: type.comment } : {}) };
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

export function buildOpenApi(routes: readonly HttpRoute[], version: string): Record<string, unknown> {
  const builder = new SchemaBuilder();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const pathFields = new Set(route.pathParams.values());
    const parameters: Schema[] = [...pathFields].map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (route.body !== '*') {
      for (const field of route.requestType.fieldsArray) {
        if (pathFields.has(field.name) || field.name === route.body || field.resolvedType instanceof protobuf.Type) continue;
        parameters.push({ name: field.name, in: 'query', required: false, schema: builder.field(field), ...(field.comment ? { description: field.comment } : {}) });
      }
    }
    parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 8, maxLength: 128 } });
    const operation: Record<string, unknown> = {
      operationId: `${route.service.name}.${route.method.name}`,
      summary: route.method.comment ?? route.method.name,
      tags: [route.service.name],
      parameters,
      responses: {
        '200': { description: 'OK', content: { 'application/json': { schema: builder.ref(route.responseType) } } },
        default: { description: 'Error (google.rpc.Status)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    if (route.body) {
      const bodySchema = route.body === '*' ? builder.ref(route.requestType) : builder.field(route.requestType.fields[route.body] as protobuf.Field);
      operation.requestBody = { required: true, content: { 'application/json': { schema: bodySchema } } };
    }
    const openApiPath = route.template.replace(/\{([^}=]+)(=[^}]*)?\}/g, '{$1}');
    (paths[openApiPath] ??= {})[route.verb.toLowerCase()] = operation;
  }
  builder.schemas.Error = {
    type: 'object',
    properties: { code: { type: 'integer' }, status: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object' } } },
  };
  return {
    openapi: '3.0.3',
    info: { title: 'MCH Alliance API', version, description: 'Routes derived from the google.api.http annotations of the services.' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: builder.schemas },
    security: [{ bearer: [] }],
    paths,
  };
}
