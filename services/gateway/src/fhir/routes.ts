// The /fhir/R4 routes: the CapabilityStatement and the project's CodeSystem/NamingSystem resources without a token;
// read and search of Patient from identity's GetPatient/SearchPatients, and of the record's resources from records'
// GetPatientRecord, each called with the caller's own token, purpose and break-glass reason, so the same policy,
// sensitivity rules and audit apply as on the REST API; nothing is read or withheld here that those reads did not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { callUnary, isServiceError } from '../../../common/src/grpc/client';
import { IdentityServiceService, type Patient } from '../../../common/src/gen/mch/identity/v1/identity';
import { RecordsServiceService, type PatientRecord } from '../../../common/src/gen/mch/records/v1/records';
import type { Logger } from '../../../common/src/logger';
import type { Backends } from '../backends';
import { forwardedMetadata, idempotencyKeyOf } from '../forwarding';
import { NDJSON, registerBulkExportRoutes } from './bulk-export';
import { searchset } from './bundle';
import { FHIR_JSON, FHIR_PREFIX, IDENTIFIER_SYSTEMS } from '../../../common/src/fhir/canonical';
import { capabilityStatement } from './capability-statement';
import { PROJECT_CODE_SYSTEMS, PROJECT_NAMING_SYSTEMS } from '../../../common/src/fhir/code-systems';
import { FhirError, fromServiceError, operationOutcome } from './operation-outcome';
import { toFhirPatient } from '../../../common/src/fhir/patient';
import { isRecordResourceType, recordResources } from '../../../common/src/fhir/record-resources';
import { parseEntryResourceId, isUuid } from '../../../common/src/fhir/ids';
import { parseEntrySearch, parsePaging, parsePatientSearch, type Query } from './search';

export interface FhirOptions {
  readonly backends: Backends;
  readonly callTimeoutMs: number;
  readonly logger: Logger;
  readonly version: string;
}

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const ACCEPTABLE = /^(application\/(fhir\+json|json\+fhir|json|\*)|\*\/\*)$/i;

/** `_format` and Accept: JSON only (406 otherwise, as an OperationOutcome in JSON). */
export function checkFormat(format: unknown, accept: string | undefined): void {
  if (format !== undefined) {
    if (typeof format !== 'string') throw FhirError.badParameter('_format', 'may be given once');
    if (!JSON_FORMATS.has(format.trim().toLowerCase()))
      throw FhirError.of(406, 'not-supported', `_format ${format}: this server speaks ${FHIR_JSON} only`, '_format');
    return;
  }
  if (!accept || !accept.trim()) return;
  const types = accept.split(',').map((part) => (part.split(';')[0] ?? '').trim());
  if (!types.some((type) => ACCEPTABLE.test(type)))
    throw FhirError.of(406, 'not-supported', `Accept ${accept}: this server answers ${FHIR_JSON} only`);
}

function send(reply: FastifyReply, status: number, resource: Resource | Bundle): FastifyReply {
  return reply.code(status).type(`${FHIR_JSON}; charset=utf-8`).send(resource);
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${FHIR_PREFIX}`;
}

/**
 * Patient data needs a bearer token: without one the answer is 401 at once, before any parameter is judged (the
 * services verify the token itself; a request without one cannot be anyone's).
 */
function requireBearer(request: FastifyRequest): void {
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string' || !/^Bearer\s+\S/i.test(authorization)) {
    throw FhirError.of(401, 'login', 'a bearer token is required (Authorization: Bearer <access token>)');
  }
}

export function registerFhirRoutes(app: FastifyInstance, options: FhirOptions): void {
  const { backends, logger } = options;

  async function call<Res>(
    backend: 'IDENTITY' | 'RECORDS',
    run: (client: NonNullable<ReturnType<Backends['client']>>) => Promise<Res>,
  ): Promise<Res> {
    const client = backends.client(backend);
    if (!client) throw FhirError.of(503, 'transient', `the ${backend.toLowerCase()} service is not configured`);
    try {
      return await run(client);
    } catch (error) {
      if (isServiceError(error)) throw fromServiceError(error, backend.toLowerCase());
      throw error;
    }
  }

  const callOptions = (
    request: FastifyRequest,
  ): { metadata: ReturnType<typeof forwardedMetadata>; timeoutMs: number; idempotent: boolean } => ({
    metadata: forwardedMetadata(request, undefined),
    timeoutMs: options.callTimeoutMs,
    idempotent: true,
  });

  async function readPatient(request: FastifyRequest, id: string): Promise<Patient> {
    const response = await call('IDENTITY', (client) =>
      callUnary(client, IdentityServiceService.getPatient, { id }, callOptions(request)),
    );
    if (!response.patient) throw FhirError.of(404, 'not-found', `Patient/${id} is not known`);
    return response.patient;
  }

  async function readRecord(request: FastifyRequest, patientId: string): Promise<PatientRecord> {
    const response = await call('RECORDS', (client) =>
      callUnary(client, RecordsServiceService.getPatientRecord, { patientId }, callOptions(request)),
    );
    if (!response.record) throw FhirError.of(404, 'not-found', `no record of Patient/${patientId}`);
    return response.record;
  }

  void app.register(
    (scope, _options, done) => {
      // Only GET is served; a body of any type is read (within the gateway's bound) and ignored, so that a write
      // attempt is answered 405 as an OperationOutcome rather than by the JSON parser.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));

      scope.setErrorHandler((error: Error & { code?: string }, request, reply) => {
        if (error instanceof FhirError) {
          if (error.httpStatus === 401) reply.header('www-authenticate', 'Bearer');
          return send(reply, error.httpStatus, error.outcome);
        }
        if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
          return send(
            reply,
            413,
            operationOutcome([{ severity: 'error', code: 'too-long', diagnostics: 'request body too large' }]),
          );
        logger.error({ err: error, request_id: request.id }, 'fhir error');
        return send(
          reply,
          500,
          operationOutcome([{ severity: 'error', code: 'exception', diagnostics: 'internal error' }]),
        );
      });
      // No route: an interaction this server does not offer (405 for a write, 404 for an unknown path).
      scope.setNotFoundHandler((request, reply) =>
        send(
          reply,
          request.method === 'GET' || request.method === 'HEAD' ? 404 : 405,
          operationOutcome([
            {
              severity: 'error',
              code: 'not-found',
              diagnostics: `no FHIR interaction ${request.method} ${request.url.split('?')[0] ?? ''} on this server`,
            },
          ]),
        ),
      );
      scope.addHook('preHandler', (request, _reply, next) => {
        try {
          // A download answers NDJSON, which its client asks for; everything else answers FHIR JSON.
          if (request.routeOptions.url?.startsWith(`${FHIR_PREFIX}/$export-file/`)) {
            const accept = request.headers.accept;
            if (
              accept &&
              !accept
                .split(',')
                .some((type) =>
                  /^(application\/(fhir\+)?ndjson|\*\/\*|application\/\*)$/i.test((type.split(';')[0] ?? '').trim()),
                )
            )
              throw FhirError.of(406, 'not-supported', `Accept ${accept}: an export file is ${NDJSON}`);
          } else checkFormat((request.query as Query)._format, request.headers.accept);
          next();
        } catch (error) {
          next(error as Error);
        }
      });

      scope.get('/metadata', async (request, reply) =>
        send(reply, 200, capabilityStatement(baseUrl(request), options.version)),
      );

      for (const [type, resources] of [
        ['CodeSystem', PROJECT_CODE_SYSTEMS],
        ['NamingSystem', PROJECT_NAMING_SYSTEMS],
      ] as const) {
        scope.get(`/${type}`, async (request, reply) => {
          const query = request.query as Query;
          for (const name of Object.keys(query))
            if (!['_count', '_offset', '_format', 'url'].includes(name))
              throw FhirError.badParameter(name, `is not a search parameter of ${type} on this server`);
          const url = query.url;
          const matches = (resources as readonly Resource[]).filter(
            (resource) =>
              url === undefined || (type === 'CodeSystem' ? (resource as { url?: string }).url === url : false),
          );
          return send(
            reply,
            200,
            searchset({ base: baseUrl(request), type, query, paging: parsePaging(query), matches }),
          );
        });
        scope.get(`/${type}/:id`, (request, reply) => {
          const { id } = request.params as { id: string };
          const found = (resources as readonly Resource[]).find((resource) => resource.id === id);
          if (!found) throw FhirError.of(404, 'not-found', `${type}/${id} is not known`);
          return send(reply, 200, found);
        });
      }

      registerBulkExportRoutes(scope, {
        baseUrl,
        requireBearer,
        idempotencyKey: idempotencyKeyOf,
        records: (request, run, kickOff) =>
          call('RECORDS', (client) =>
            run(client, {
              metadata: forwardedMetadata(request, kickOff?.idempotencyKey),
              timeoutMs: options.callTimeoutMs,
              // Reads are retried; a kick-off only under an Idempotency-Key, whose replay returns the first job.
              idempotent: kickOff === undefined || kickOff.idempotencyKey !== undefined,
            }),
          ),
      });

      scope.get('/Patient', async (request, reply) => {
        requireBearer(request);
        const query = request.query as Query;
        const search = parsePatientSearch(query, IDENTIFIER_SYSTEMS);
        const paging = parsePaging(query);
        const base = baseUrl(request);
        if (search.by === 'id') {
          let matches: Resource[] = [];
          try {
            matches = [toFhirPatient(await readPatient(request, search.id))];
          } catch (error) {
            if (!(error instanceof FhirError && error.httpStatus === 404)) throw error;
          }
          return send(reply, 200, searchset({ base, type: 'Patient', query, paging, matches }));
        }
        const cursor = query._cursor;
        if (cursor !== undefined && typeof cursor !== 'string')
          throw FhirError.badParameter('_cursor', 'may be given once');
        const response = await call('IDENTITY', (client) =>
          callUnary(
            client,
            IdentityServiceService.searchPatients,
            {
              nationalId: search.by === 'nationalId' ? search.nationalId : '',
              name: search.by === 'name' ? search.name : '',
              pageSize: Math.min(paging.count, 100),
              pageToken: cursor ?? '',
            },
            callOptions(request),
          ),
        );
        return send(
          reply,
          200,
          searchset({
            base,
            type: 'Patient',
            query,
            paging,
            matches: response.patients.map(toFhirPatient),
            backendPage: { next: response.nextPageToken ? { _cursor: response.nextPageToken } : undefined },
          }),
        );
      });

      scope.get('/Patient/:id', async (request, reply) => {
        requireBearer(request);
        const { id } = request.params as { id: string };
        if (!isUuid(id)) throw FhirError.of(404, 'not-found', `Patient/${id} is not known`);
        return send(reply, 200, toFhirPatient(await readPatient(request, id.toLowerCase())));
      });

      scope.get('/:type', async (request, reply) => {
        requireBearer(request);
        const { type } = request.params as { type: string };
        if (!isRecordResourceType(type))
          throw FhirError.of(404, 'not-supported', `resource type ${type} is not served here (see /fhir/R4/metadata)`);
        const query = request.query as Query;
        const search = parseEntrySearch(type, query);
        const paging = parsePaging(query);
        const record = await readRecord(request, search.patientId);
        const matches = recordResources(record, type)
          .filter(search.matches)
          .map((entry) => entry.resource);
        const outcome = record.sensitiveWithheld
          ? operationOutcome([
              {
                severity: 'information',
                code: 'suppressed',
                diagnostics:
                  "entries of sensitive categories were withheld from this reader by the platform's privacy rules",
              },
            ])
          : undefined;
        return send(
          reply,
          200,
          searchset({ base: baseUrl(request), type, query, paging, matches, ...(outcome ? { outcome } : {}) }),
        );
      });

      scope.get('/:type/:id', async (request, reply) => {
        requireBearer(request);
        const { type, id } = request.params as { type: string; id: string };
        if (!isRecordResourceType(type))
          throw FhirError.of(404, 'not-supported', `resource type ${type} is not served here (see /fhir/R4/metadata)`);
        const parsed = parseEntryResourceId(id);
        if (!parsed) throw FhirError.of(404, 'not-found', `${type}/${id} is not known`);
        const record = await readRecord(request, parsed.patientId);
        const found = recordResources(record, type).find((entry) => entry.resource.id === id);
        if (!found) throw FhirError.of(404, 'not-found', `${type}/${id} is not known`);
        return send(reply, 200, found.resource);
      });

      done();
    },
    { prefix: FHIR_PREFIX },
  );
}
