// FHIR Bulk Data Access (v2.0.0, https://hl7.org/fhir/uv/bulkdata/export.html) on the gateway: the kick-off
// (`/$export`, `/Group/<county>/$export`), the status URL (202 with X-Progress and Retry-After, then the manifest),
// DELETE to cancel, and the NDJSON downloads, streamed part by part from records, which owns and works the jobs
// (services/records/src/bulk-export.ts). Every call carries the caller's own token, so records decides who may
// export (policy canExportBulk) and a job's status and files answer only the client that started it.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callUnary } from '../../../common/src/grpc/client';
import { COUNTIES, countyGroup } from '../../../common/src/fhir/groups';
import { isUuid } from '../../../common/src/fhir/ids';
import { isRecordResourceType, RECORD_RESOURCE_TYPES } from '../../../common/src/fhir/record-resources';
import {
  BulkExportStatus,
  RecordsServiceService,
  type GetBulkExportResponse,
} from '../../../common/src/gen/mch/records/v1/records';
import { searchset } from './bundle';
import { FhirError } from './operation-outcome';
import { parsePaging, type Query } from './search';

export const NDJSON = 'application/fhir+ndjson';
const OUTPUT_FORMATS = new Set([NDJSON, 'application/ndjson', 'ndjson']);
const KICK_OFF_PARAMETERS = new Set(['_type', '_since', '_outputFormat']);
/** How long a client should wait before polling again while the export runs. */
const RETRY_AFTER_SECONDS = 2;

export interface ExportKickOff {
  readonly resourceTypes: string[];
  readonly since: Date | undefined;
}

/** The kick-off's parameters, checked: 400 naming the parameter for anything this server does not do. */
export function parseKickOff(query: Query, prefer: string | string[] | undefined): ExportKickOff {
  const preferences = (Array.isArray(prefer) ? prefer.join(',') : (prefer ?? ''))
    .split(',')
    .map((part) => part.trim().toLowerCase());
  if (!preferences.includes('respond-async'))
    throw FhirError.of(400, 'required', 'a bulk export is asynchronous: send Prefer: respond-async', 'Prefer');
  for (const name of Object.keys(query)) {
    if (name === '_format') continue;
    if (!KICK_OFF_PARAMETERS.has(name))
      throw FhirError.badParameter(
        name,
        'is not a kick-off parameter this server supports (_type, _since, _outputFormat)',
      );
  }
  const one = (name: string): string | undefined => {
    const raw = query[name];
    if (Array.isArray(raw)) {
      if (name === '_type') return raw.join(',');
      throw FhirError.badParameter(name, 'may be given once');
    }
    return raw;
  };
  const format = one('_outputFormat');
  if (format !== undefined && !OUTPUT_FORMATS.has(format.trim().toLowerCase()))
    throw FhirError.badParameter('_outputFormat', `this server writes ${NDJSON} only`);
  const types = one('_type');
  const resourceTypes: string[] = [];
  if (types !== undefined) {
    for (const type of types.split(',').map((part) => part.trim())) {
      if (!type) throw FhirError.badParameter('_type', 'has an empty entry');
      if (!isRecordResourceType(type))
        throw FhirError.badParameter('_type', `${type} is not exported here (${RECORD_RESOURCE_TYPES.join(', ')})`);
      if (!resourceTypes.includes(type)) resourceTypes.push(type);
    }
  }
  const sinceRaw = one('_since');
  let since: Date | undefined;
  if (sinceRaw !== undefined) {
    // FHIR instant: a full date-time with a time zone.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(sinceRaw))
      throw FhirError.badParameter('_since', 'must be a FHIR instant, e.g. 2026-12-01T00:00:00Z');
    since = new Date(sinceRaw);
    if (Number.isNaN(since.getTime())) throw FhirError.badParameter('_since', 'is not a valid instant');
    if (since.getTime() > Date.now()) throw FhirError.badParameter('_since', 'lies in the future');
  }
  return { resourceTypes, since };
}

/** The Bulk Data manifest of a completed job. */
export function manifest(base: string, job: GetBulkExportResponse): Record<string, unknown> {
  return {
    transactionTime: (job.transactionTime ?? new Date()).toISOString(),
    request: job.requestUrl,
    requiresAccessToken: true,
    output: job.files.map((file) => ({
      type: file.resourceType,
      url: `${base}/$export-file/${job.jobId}/${file.resourceType}/${file.fileIndex}.ndjson`,
      count: file.count,
    })),
    error: [],
  };
}

export interface BulkExportDeps {
  readonly baseUrl: (request: FastifyRequest) => string;
  readonly requireBearer: (request: FastifyRequest) => void;
  readonly records: <Res>(
    request: FastifyRequest,
    run: (client: Parameters<typeof callUnary>[0], options: Parameters<typeof callUnary>[3]) => Promise<Res>,
    /** Set for a kick-off (a write): its Idempotency-Key, if the client sent one. */
    kickOff?: { readonly idempotencyKey: string | undefined },
  ) => Promise<Res>;
  readonly idempotencyKey: (request: FastifyRequest) => string | undefined;
}

export function registerBulkExportRoutes(scope: FastifyInstance, deps: BulkExportDeps): void {
  const kickOff = async (request: FastifyRequest, reply: FastifyReply, county: string): Promise<FastifyReply> => {
    deps.requireBearer(request);
    const parsed = parseKickOff(request.query as Query, request.headers.prefer);
    const base = deps.baseUrl(request);
    const requestUrl = `${request.protocol}://${request.host}${request.url}`;
    const started = await deps.records(
      request,
      (client, options) =>
        callUnary(
          client,
          RecordsServiceService.startBulkExport,
          { county, resourceTypes: parsed.resourceTypes, since: parsed.since, requestUrl },
          options,
        ),
      { idempotencyKey: deps.idempotencyKey(request) },
    );
    return reply.code(202).header('content-location', `${base}/$export-status/${started.jobId}`).send();
  };

  scope.get('/$export', (request, reply) => kickOff(request, reply, ''));

  scope.get('/Group/:id/$export', (request, reply) => {
    // The token first, as on every route under /fhir/R4 but metadata: an anonymous caller learns no Group ids.
    deps.requireBearer(request);
    const { id } = request.params as { id: string };
    if (!COUNTIES[id]) throw FhirError.of(404, 'not-found', `Group/${id} is not known (see /fhir/R4/Group)`);
    return kickOff(request, reply, id);
  });

  // The county Groups are definitions, not member lists: readable with any valid token, like the CapabilityStatement
  // they complete (a token is still asked for, as for every resource under /fhir/R4 but metadata).
  scope.get('/Group', async (request, reply) => {
    deps.requireBearer(request);
    const query = request.query as Query;
    for (const name of Object.keys(query))
      if (!['_count', '_offset', '_format', '_id'].includes(name))
        throw FhirError.badParameter(name, 'is not a search parameter of Group on this server');
    const ids = typeof query._id === 'string' ? query._id.split(',') : undefined;
    const matches = Object.keys(COUNTIES)
      .filter((code) => !ids || ids.includes(code))
      .map((code) => countyGroup(code))
      .filter((group) => group !== undefined);
    return reply
      .code(200)
      .type('application/fhir+json; charset=utf-8')
      .send(searchset({ base: deps.baseUrl(request), type: 'Group', query, paging: parsePaging(query), matches }));
  });

  scope.get('/Group/:id', async (request, reply) => {
    deps.requireBearer(request);
    const { id } = request.params as { id: string };
    const group = countyGroup(id);
    if (!group) throw FhirError.of(404, 'not-found', `Group/${id} is not known`);
    return reply.code(200).type('application/fhir+json; charset=utf-8').send(group);
  });

  const jobIdOf = (request: FastifyRequest): string => {
    const { job } = request.params as { job: string };
    if (!isUuid(job)) throw FhirError.of(404, 'not-found', `no export ${job}`);
    return job.toLowerCase();
  };

  scope.get('/$export-status/:job', async (request, reply) => {
    deps.requireBearer(request);
    const jobId = jobIdOf(request);
    const job = await deps.records(request, (client, options) =>
      callUnary(client, RecordsServiceService.getBulkExport, { jobId }, options),
    );
    switch (job.status) {
      case BulkExportStatus.BULK_EXPORT_STATUS_COMPLETED:
        return reply
          .code(200)
          .header('expires', (job.expiresAt ?? new Date()).toUTCString())
          .type('application/json')
          .send(manifest(deps.baseUrl(request), job));
      case BulkExportStatus.BULK_EXPORT_STATUS_FAILED:
        throw FhirError.of(500, 'exception', job.error || 'the export failed');
      case BulkExportStatus.BULK_EXPORT_STATUS_CANCELLED:
        throw FhirError.of(404, 'not-found', `export ${jobId} was cancelled`);
      default: {
        const percent = job.patientsTotal > 0 ? Math.floor((100 * job.patientsDone) / job.patientsTotal) : 0;
        return reply
          .code(202)
          .header('x-progress', `${percent}% (${job.patientsDone} of ${job.patientsTotal} patients)`)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send();
      }
    }
  });

  scope.delete('/$export-status/:job', async (request, reply) => {
    deps.requireBearer(request);
    const jobId = jobIdOf(request);
    await deps.records(request, (client, options) =>
      callUnary(client, RecordsServiceService.cancelBulkExport, { jobId }, options),
    );
    return reply.code(202).send();
  });

  scope.get('/$export-file/:job/:type/:file', async (request, reply) => {
    deps.requireBearer(request);
    const jobId = jobIdOf(request);
    const { type, file } = request.params as { type: string; file: string };
    const match = /^(\d{1,6})\.ndjson$/.exec(file);
    if (!isRecordResourceType(type) || !match) throw FhirError.of(404, 'not-found', 'no such file of this export');
    const fileIndex = Number(match[1]);
    // The first part is read before the answer starts, so a refusal or a missing file is still an OperationOutcome.
    const read = (partIndex: number) =>
      deps.records(request, (client, options) =>
        callUnary(
          client,
          RecordsServiceService.readBulkExportFile,
          { jobId, resourceType: type, fileIndex, partIndex },
          options,
        ),
      );
    const first = await read(0);
    async function* parts(): AsyncGenerator<string> {
      let part = first;
      let index = 0;
      yield part.ndjson;
      while (part.more) {
        index += 1;
        part = await read(index);
        yield part.ndjson;
      }
    }
    return reply.code(200).type(NDJSON).send(Readable.from(parts()));
  });
}
