// FHIR search parameters, checked: each parameter this server knows for the type, `date` with its prefixes, tokens
// as system|code, `_count` bounded; an unknown parameter is a 400 naming it (strict handling), and a search that
// names no patient is refused, because answering it would enumerate the alliance's patients.
import type { Coding } from '@medplum/fhirtypes';
import { FhirError } from './operation-outcome';
import { isUuid, parseEntryResourceId } from '../../../common/src/fhir/ids';
import type { DatedResource, RecordResourceType } from '../../../common/src/fhir/record-resources';

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 200;

/** Parameters every search takes, beside the type's own. */
const CONTROL = new Set(['_count', '_offset', '_format', '_cursor']);

export const SEARCH_PARAMETERS: Readonly<
  Record<
    'Patient' | RecordResourceType,
    Readonly<Record<string, { type: 'token' | 'reference' | 'date' | 'string'; documentation: string }>>
  >
> = {
  Patient: {
    _id: { type: 'token', documentation: 'The MPI patient id' },
    identifier: {
      type: 'token',
      documentation: 'system|value: the resident ID (cn-resident-id) or the MPI id (mpi-patient)',
    },
    name: { type: 'string', documentation: 'Han-character-aware name match of the master patient index' },
  },
  EpisodeOfCare: commonEntryParameters("The pregnancy's period overlaps the date"),
  Encounter: commonEntryParameters("The encounter's period"),
  Observation: {
    ...commonEntryParameters('When the observation was made'),
    code: { type: 'token', documentation: "system|code of any coding (LOINC or the project's)" },
    category: { type: 'token', documentation: 'system|code, e.g. vital-signs, laboratory, exam' },
  },
  RiskAssessment: commonEntryParameters('When the assessment was made'),
  Immunization: commonEntryParameters('When the dose was given'),
};

function commonEntryParameters(
  date: string,
): Record<string, { type: 'token' | 'reference' | 'date' | 'string'; documentation: string }> {
  return {
    _id: { type: 'token', documentation: 'The resource id' },
    identifier: {
      type: 'token',
      documentation: 'system|value: the record entry id (record-entry) as the REST API names it',
    },
    patient: { type: 'reference', documentation: 'Patient/<id> (required unless _id is given)' },
    date: { type: 'date', documentation: `${date}; prefixes eq, ne, gt, lt, ge, le; YYYY, YYYY-MM or YYYY-MM-DD` },
  };
}

export type Query = Record<string, string | string[] | undefined>;

/** Every value given for `name` (repeated parameters and comma-separated values are both lists). */
function values(query: Query, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) return [];
  return Array.isArray(raw) ? raw : [raw];
}

function single(query: Query, name: string): string | undefined {
  const given = values(query, name);
  if (given.length > 1) throw FhirError.badParameter(name, 'may be given once');
  return given[0];
}

export interface Paging {
  readonly count: number;
  readonly offset: number;
}

export function parsePaging(query: Query): Paging {
  const count = single(query, '_count');
  const offset = single(query, '_offset');
  const parsedCount = count === undefined ? DEFAULT_COUNT : /^\d{1,4}$/.test(count) ? Number(count) : NaN;
  if (!Number.isInteger(parsedCount) || parsedCount < 1 || parsedCount > MAX_COUNT)
    throw FhirError.badParameter('_count', `must be an integer from 1 to ${MAX_COUNT}`);
  const parsedOffset = offset === undefined ? 0 : /^\d{1,7}$/.test(offset) ? Number(offset) : NaN;
  if (!Number.isInteger(parsedOffset))
    throw FhirError.badParameter('_offset', 'must be a non-negative integer (from a next link)');
  return { count: parsedCount, offset: parsedOffset };
}

/** Refuses parameters the type does not take (modifiers such as `:exact` included). */
export function checkKnownParameters(type: keyof typeof SEARCH_PARAMETERS, query: Query): void {
  const known = SEARCH_PARAMETERS[type];
  for (const name of Object.keys(query)) {
    if (CONTROL.has(name) || name in known) continue;
    throw FhirError.badParameter(name, `is not a search parameter of ${type} on this server (see /fhir/R4/metadata)`);
  }
}

export interface Token {
  readonly system: string | undefined;
  readonly code: string;
}

export function parseToken(name: string, raw: string): Token {
  const bar = raw.indexOf('|');
  const token =
    bar < 0 ? { system: undefined, code: raw } : { system: raw.slice(0, bar) || undefined, code: raw.slice(bar + 1) };
  if (!token.code) throw FhirError.badParameter(name, 'needs a code or value (system|value)');
  return token;
}

/** Any of the comma-separated tokens given for `name`, or undefined when the parameter is absent. */
function tokens(query: Query, name: string): Token[] | undefined {
  const given = values(query, name);
  if (given.length === 0) return undefined;
  if (given.length > 1) throw FhirError.badParameter(name, 'may be given once (separate alternatives with commas)');
  return (given[0] as string).split(',').map((raw) => parseToken(name, raw));
}

function matchesCoding(token: Token, codings: readonly Coding[] | undefined): boolean {
  return (codings ?? []).some(
    (coding) => coding.code === token.code && (token.system === undefined || coding.system === token.system),
  );
}

interface DateBound {
  readonly prefix: 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le';
  readonly start: string;
  readonly end: string;
}

function lastDayOfMonth(year: number, month: number): string {
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

export function parseDate(raw: string): DateBound {
  const match = /^(eq|ne|gt|lt|ge|le)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(raw);
  if (!match) throw FhirError.badParameter('date', 'must be [eq|ne|gt|lt|ge|le]YYYY, YYYY-MM or YYYY-MM-DD');
  const prefix = (match[1] ?? 'eq') as DateBound['prefix'];
  const year = Number(match[2]);
  const month = match[3] === undefined ? undefined : Number(match[3]);
  const day = match[4] === undefined ? undefined : Number(match[4]);
  if (month !== undefined && (month < 1 || month > 12)) throw FhirError.badParameter('date', 'has no such month');
  if (month === undefined) return { prefix, start: `${year}-01-01`, end: `${year}-12-31` };
  const mm = String(month).padStart(2, '0');
  if (day === undefined) return { prefix, start: `${year}-${mm}-01`, end: lastDayOfMonth(year, month) };
  const date = `${year}-${mm}-${String(day).padStart(2, '0')}`;
  if (date > lastDayOfMonth(year, month) || day < 1) throw FhirError.badParameter('date', 'has no such day');
  return { prefix, start: date, end: date };
}

const FAR_FUTURE = '9999-12-31';

/** Whether a resource's day range [start, end] meets one `date` bound (FHIR's range semantics, by day). */
export function meetsDate(resource: Pick<DatedResource, 'start' | 'end'>, bound: DateBound): boolean {
  if (!resource.start) return false;
  const start = resource.start.slice(0, 10);
  const end = (resource.end ?? FAR_FUTURE).slice(0, 10);
  switch (bound.prefix) {
    case 'eq':
      return start >= bound.start && end <= bound.end;
    case 'ne':
      return !(start >= bound.start && end <= bound.end);
    case 'gt':
      return end > bound.end;
    case 'lt':
      return start < bound.start;
    case 'ge':
      return end >= bound.start;
    case 'le':
      return start <= bound.end;
  }
}

export interface EntrySearch {
  /** The one patient whose record the search reads. */
  readonly patientId: string;
  readonly matches: (resource: DatedResource) => boolean;
}

function patientOfReference(raw: string): string {
  const id = raw.startsWith('Patient/') ? raw.slice('Patient/'.length) : raw;
  if (!isUuid(id)) throw FhirError.badParameter('patient', 'must be Patient/<id> of a patient (a UUID)');
  return id.toLowerCase();
}

/** A search of a record resource type: which patient's record to read and what to keep of it. */
export function parseEntrySearch(type: RecordResourceType, query: Query): EntrySearch {
  checkKnownParameters(type, query);
  const patient = single(query, 'patient');
  const ids = tokens(query, '_id')?.map((token) => token.code);
  let patientId = patient === undefined ? undefined : patientOfReference(patient);
  for (const id of ids ?? []) {
    const parsed = parseEntryResourceId(id);
    if (!parsed) throw FhirError.badParameter('_id', `${id} is not an id of a ${type} on this server`);
    if (patientId !== undefined && parsed.patientId !== patientId)
      throw FhirError.badParameter('_id', 'names resources of more than one patient');
    patientId = parsed.patientId;
  }
  if (patientId === undefined) {
    throw FhirError.of(
      400,
      'too-costly',
      `a search of ${type} must name the patient (patient=Patient/<id>) or the resource (_id): this server does not enumerate patients`,
      'patient',
    );
  }
  const identifiers = tokens(query, 'identifier');
  const dates = values(query, 'date').map(parseDate);
  const codes = type === 'Observation' ? tokens(query, 'code') : undefined;
  const categories = type === 'Observation' ? tokens(query, 'category') : undefined;
  return {
    patientId,
    matches: (entry) => {
      const resource = entry.resource;
      if (ids && !ids.includes(resource.id ?? '')) return false;
      if (
        identifiers &&
        !identifiers.some((token) =>
          (resource.identifier ?? []).some(
            (identifier) =>
              identifier.value === token.code && (token.system === undefined || identifier.system === token.system),
          ),
        )
      )
        return false;
      if (!dates.every((bound) => meetsDate(entry, bound))) return false;
      if (resource.resourceType === 'Observation') {
        if (codes && !codes.some((token) => matchesCoding(token, resource.code.coding))) return false;
        if (
          categories &&
          !categories.some((token) => (resource.category ?? []).some((concept) => matchesCoding(token, concept.coding)))
        )
          return false;
      }
      return true;
    },
  };
}

export type PatientSearch =
  | { readonly by: 'id'; readonly id: string }
  | { readonly by: 'nationalId'; readonly nationalId: string }
  | { readonly by: 'name'; readonly name: string };

/** A Patient search: by id, by identifier (resident ID or MPI id), or by name; none of them is a refusal. */
export function parsePatientSearch(query: Query, systems: { residentId: string; mpiPatient: string }): PatientSearch {
  checkKnownParameters('Patient', query);
  const id = single(query, '_id');
  const identifier = single(query, 'identifier');
  const name = single(query, 'name');
  const given = [id, identifier, name].filter((value) => value !== undefined).length;
  if (given === 0)
    throw FhirError.of(
      400,
      'too-costly',
      'a Patient search needs _id, identifier or name: this server does not enumerate patients',
      '_id',
    );
  if (given > 1)
    throw FhirError.badParameter(
      id !== undefined ? (identifier !== undefined ? 'identifier' : 'name') : 'name',
      'give one of _id, identifier and name',
    );
  if (id !== undefined) {
    if (!isUuid(id)) throw FhirError.badParameter('_id', 'must be a patient id (a UUID)');
    return { by: 'id', id: id.toLowerCase() };
  }
  if (name !== undefined) {
    if (!name.trim()) throw FhirError.badParameter('name', 'must not be empty');
    return { by: 'name', name };
  }
  const token = parseToken('identifier', identifier as string);
  if (token.system === systems.mpiPatient || (token.system === undefined && isUuid(token.code))) {
    if (!isUuid(token.code)) throw FhirError.badParameter('identifier', 'an MPI patient id is a UUID');
    return { by: 'id', id: token.code.toLowerCase() };
  }
  if (token.system === systems.residentId || token.system === undefined)
    return { by: 'nationalId', nationalId: token.code };
  throw FhirError.badParameter('identifier', `searches by ${systems.residentId} or ${systems.mpiPatient} only`);
}
