// Institution search rules: which filters are valid, how pages are cut, and what a page token holds.
import { createHash } from 'node:crypto';
import { FieldViolation, InvalidArgumentError } from '../../../common/src/errors';
import { LatLng, parseNear } from './geo';

export type Level = 'PREFECTURE' | 'COUNTY' | 'TOWNSHIP';

/** The capability vocabulary of DESIGN.md §1 and what member institutions declare. */
export const CAPABILITIES = [
  'anc',
  'ultrasound',
  'delivery',
  'caesarean',
  'nicu',
  'critical_maternal_care',
  'child_health',
  'vaccination',
  'child_psychology',
  'lab',
  'high_risk_clinic',
  'postpartum',
] as const;

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface InstitutionQuery {
  readonly county: string | undefined;
  readonly level: Level | undefined;
  readonly capability: string | undefined;
  readonly near: LatLng | undefined;
  readonly pageSize: number;
  readonly offset: number;
}

export interface ListInstitutionsInput {
  county: string;
  level: string;
  capability: string;
  near: string;
  pageSize: number;
  pageToken: string;
}

const LEVEL_ALIASES: Readonly<Record<string, Level>> = {
  prefecture: 'PREFECTURE',
  institution_level_prefecture: 'PREFECTURE',
  county: 'COUNTY',
  institution_level_county: 'COUNTY',
  township: 'TOWNSHIP',
  institution_level_township: 'TOWNSHIP',
};

export function parseLevel(raw: string): Level {
  const level = LEVEL_ALIASES[raw.trim().toLowerCase()];
  if (!level) throw InvalidArgumentError.field('level', 'must be one of prefecture, county, township');
  return level;
}

interface PageToken {
  o: number;
  f: string;
}

/** A fingerprint of the filters, so a token cannot be replayed against a different query. */
function filterFingerprint(query: Omit<InstitutionQuery, 'offset' | 'pageSize'>): string {
  return createHash('sha256').update(JSON.stringify([query.county, query.level, query.capability, query.near])).digest('base64url').slice(0, 12);
}

export function encodePageToken(query: InstitutionQuery, nextOffset: number): string {
  return Buffer.from(JSON.stringify({ o: nextOffset, f: filterFingerprint(query) } satisfies PageToken)).toString('base64url');
}

function decodePageToken(token: string): PageToken | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken>;
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && typeof parsed.f === 'string') return { o: parsed.o, f: parsed.f };
  } catch {
    // fall through
  }
  return undefined;
}

/** Validates a list request, collecting a violation for every bad field. */
export function parseListInstitutions(input: ListInstitutionsInput, knownCounties: ReadonlySet<string>): InstitutionQuery {
  const violations: FieldViolation[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof InvalidArgumentError) violations.push(...error.violations);
      else throw error;
      return undefined;
    }
  };
  const county = input.county.trim().toLowerCase() || undefined;
  if (county !== undefined && !knownCounties.has(county)) {
    violations.push({ field: 'county', description: `unknown county; one of ${[...knownCounties].sort().join(', ')}` });
  }
  const level = input.level ? attempt(() => parseLevel(input.level)) : undefined;
  const capability = input.capability.trim().toLowerCase() || undefined;
  if (capability !== undefined && !(CAPABILITIES as readonly string[]).includes(capability)) {
    violations.push({ field: 'capability', description: `unknown capability; one of ${CAPABILITIES.join(', ')}` });
  }
  const near = input.near ? attempt(() => parseNear(input.near)) : undefined;
  if (!Number.isInteger(input.pageSize) || input.pageSize < 0 || input.pageSize > MAX_PAGE_SIZE) {
    violations.push({ field: 'pageSize', description: `must be between 1 and ${MAX_PAGE_SIZE}` });
  }
  const filters = { county, level, capability, near };
  let offset = 0;
  if (input.pageToken) {
    const token = decodePageToken(input.pageToken);
    if (!token) violations.push({ field: 'pageToken', description: 'is not a token this API issued' });
    else if (token.f !== filterFingerprint(filters)) violations.push({ field: 'pageToken', description: 'belongs to a query with other filters' });
    else offset = token.o;
  }
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  return { ...filters, pageSize: input.pageSize || DEFAULT_PAGE_SIZE, offset };
}

/** A canonical cache key for a validated query. */
export function queryCacheKey(query: InstitutionQuery): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 22);
}
