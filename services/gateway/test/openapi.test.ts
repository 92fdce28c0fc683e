// /openapi.json of a gateway built from the platform's own protos (the code main.ts runs): it validates under
// @apidevtools/swagger-parser, lists exactly the routes the server registered, repeats no parameter, marks the
// public routes, the required fields and the examples consistently with the schemas. (The served document, the
// routes' answers and the /docs page are checked against the real platform in openapi.int.test.ts.)
import path from 'node:path';
import Ajv from 'ajv';
import { createLogger } from '../../common/src/logger';
import { platformProtoDirs } from '../../common/src/grpc/proto-rules';
import { protoDir } from '../../common/src/paths';
import { buildGateway, Gateway } from '../src/app';
import { loadGatewayConfig } from '../src/config';
import { OPERATION_EXAMPLES } from '../src/openapi-examples';
import { findServiceProtos } from '../src/proto-registry';
import {
  documentedOperations,
  documentMismatch,
  examplesAgainstSchemas,
  servedOperations,
  validateOpenApi,
} from './openapi-checks';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the OpenAPI document of the platform gateway', () => {
  let gateway: Gateway;
  let doc: Doc;

  beforeAll(async () => {
    gateway = await buildGateway({
      config: loadGatewayConfig({ HTTP_PORT: '0' }),
      logger: createLogger('openapi-test', 'silent'),
      env: {},
      protos: {
        includeDirs: platformProtoDirs(),
        files: findServiceProtos(protoDir()),
        generatedDirs: [path.resolve(__dirname, '../../common/src/gen')],
      },
    });
    const answer = await gateway.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(answer.statusCode).toBe(200);
    doc = answer.json();
  }, 60_000);

  afterAll(async () => gateway.close());

  it('validates under swagger-parser, which does refuse a broken copy', () => {
    expect(validateOpenApi(doc)).toEqual({ valid: true, message: 'valid' });
    const broken = structuredClone(doc);
    const listing = broken.paths['/v1/institutions']?.get;
    listing.parameters = [...listing.parameters, listing.parameters[0]];
    const verdict = validateOpenApi(broken);
    expect(verdict.valid).toBe(false);
    expect(verdict.message).toMatch(/duplicate/i);
  });

  it('lists every route the server registered, and no other', () => {
    const served = servedOperations(gateway.registeredRoutes);
    const documented = documentedOperations(doc);
    expect(documentMismatch(served, documented)).toEqual({ servedButUndocumented: [], documentedButNotServed: [] });
    // The hand-written routes are among them.
    for (const operation of [
      'GET /v1/consultations/{}/events',
      'GET /v1/replication/events',
      'POST /v1/objects',
      'GET /v1/objects/{}',
      'GET /docs',
      'GET /openapi.json',
      'GET /healthz',
    ]) {
      expect(documented).toContain(operation);
    }
  });

  it('describes the live streams as text/event-stream with their events', () => {
    const consultation = doc.paths['/v1/consultations/{id}/events']?.get.responses['200'].content['text/event-stream'];
    expect(consultation['x-sse-events'].map((event: { event: string }) => event.event)).toEqual([
      'message',
      'ready',
      'error',
    ]);
    expect(consultation['x-sse-events'][0].data).toEqual({ $ref: '#/components/schemas/mch.consultation.v1.Message' });
    expect(doc.components.schemas['mch.consultation.v1.Message']).toBeDefined();
    const replication = doc.paths['/v1/replication/events']?.get.responses['200'].content['text/event-stream'];
    expect(replication['x-sse-events'].map((event: { event: string }) => event.event)).toEqual(['status', 'error']);
  });

  it('repeats no parameter in any operation, not even as camelCase and snake_case', () => {
    const repeated: string[] = [];
    for (const [route, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const names = (operation.parameters ?? []).map((parameter: { $ref?: string; name?: string; in?: string }) =>
          parameter.$ref ? parameter.$ref : `${parameter.in}:${(parameter.name ?? '').toLowerCase().replace(/_/g, '')}`,
        );
        if (new Set(names).size !== names.length) repeated.push(`${method} ${route}`);
      }
    }
    expect(repeated).toEqual([]);
    const pageSize = doc.paths['/v1/institutions']?.get.parameters.find(
      (parameter: { name?: string }) => parameter.name === 'pageSize',
    );
    expect(pageSize.description).toMatch(/page_size/);
  });

  it('asks no bearer token of login, the public institution directory, health and the docs; every other route inherits it', () => {
    const security = (route: string, method = 'get'): unknown => doc.paths[route]?.[method]?.security;
    for (const [route, method] of [
      ['/v1/auth/login', 'post'],
      ['/v1/institutions', 'get'],
      ['/v1/institutions/{id}', 'get'],
      ['/v1/auth/jwks', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/docs', 'get'],
      ['/openapi.json', 'get'],
    ] as const) {
      expect([route, security(route, method)]).toEqual([route, []]);
    }
    expect((doc as unknown as { security: unknown }).security).toEqual([{ bearer: [] }]);
    for (const route of [
      '/v1/patients/{patient_id}/record',
      '/v1/statistics',
      '/v1/replication/events',
      '/v1/consultations/{id}/events',
      '/v1/objects/{id}',
    ])
      expect(security(route)).toBeUndefined();
  });

  it('marks required the fields the kit enforces', () => {
    expect(doc.components.schemas['mch.identity.v1.LoginRequest'].required).toEqual(['username', 'password']);
    expect(doc.components.schemas['mch.identity.v1.RegisterPatientRequest'].required).toEqual(['name']);
    expect(doc.components.schemas['mch.scheduling.v1.BookAppointmentRequest'].required).toEqual(['start']);
    expect(doc.components.schemas['mch.referral.v1.CreateReferralRequest'].required).toEqual(['reason']);
  });

  it('describes every error answer with the one body shape', () => {
    const login = doc.paths['/v1/auth/login']?.post.responses;
    expect(login['400']).toEqual({ $ref: '#/components/responses/Error400' });
    const error = (doc.components as unknown as { responses: Record<string, any> }).responses.Error400; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(error.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error.required).toEqual(['code', 'status', 'message', 'details']);
  });

  it('has examples for login, registering, reading a record, booking, referring and statistics that fit their schemas exactly', () => {
    expect(Object.keys(OPERATION_EXAMPLES).sort()).toEqual([
      'IdentityService.Login',
      'IdentityService.RegisterPatient',
      'RecordsService.GetPatientRecord',
      'RecordsService.GetStatistics',
      'ReferralService.CreateReferral',
      'SchedulingService.BookAppointment',
    ]);
    const problems = examplesAgainstSchemas(doc, new Ajv({ strict: false, validateFormats: false, allErrors: true }));
    // 5 request bodies, 5 answers, 5 query parameters of the statistics call.
    expect(problems.checked).toBe(15);
    expect(problems.failures).toEqual([]);
    // The check does catch a misspelt field and a missing required one.
    const wrong = structuredClone(doc);
    wrong.paths['/v1/auth/login']!.post.requestBody.content['application/json'].example = {
      user: 'lufeng.clinician',
      password: 'x',
    };
    expect(
      examplesAgainstSchemas(wrong, new Ajv({ strict: false, validateFormats: false, allErrors: true })).failures,
    ).toEqual([
      expect.stringMatching(
        /POST \/v1\/auth\/login request: .*username.*additional properties|POST \/v1\/auth\/login request: .*additional properties.*username/,
      ),
    ]);
  });
});
