// Institution search rules: which filters are valid, how pages are cut, and what a page token holds.
import { createHash } from 'node:crypto';
import { InvalidArgumentError, Violations } from '../../../common/src/errors';
import { checkPageSize, decodeOffsetToken, encodeOffsetToken } from '../../../common/src/paging';
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

/** The filters a page token is bound to. */
function filtersOf(query: Pick<InstitutionQuery, 'county' | 'level' | 'capability' | 'near'>): unknown {
  return [query.county, query.level, query.capability, query.near];
}

export function encodePageToken(query: InstitutionQuery, nextOffset: number): string {
  return encodeOffsetToken(filtersOf(query), nextOffset);
}

/** Validates a list request, collecting a violation for every bad field. */
export function parseListInstitutions(
  input: ListInstitutionsInput,
  knownCounties: ReadonlySet<string>,
): InstitutionQuery {
  const violations = new Violations();
  const county = input.county.trim().toLowerCase() || undefined;
  if (county !== undefined && !knownCounties.has(county)) {
    violations.add('county', `unknown county; one of ${[...knownCounties].sort().join(', ')}`);
  }
  const level = input.level ? violations.check(() => parseLevel(input.level)) : undefined;
  const capability = input.capability.trim().toLowerCase() || undefined;
  if (capability !== undefined && !(CAPABILITIES as readonly string[]).includes(capability)) {
    violations.add('capability', `unknown capability; one of ${CAPABILITIES.join(', ')}`);
  }
  const near = input.near ? violations.check(() => parseNear(input.near)) : undefined;
  const pageSize = violations.check(() => checkPageSize(input.pageSize, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE));
  const filters = { county, level, capability, near };
  const offset = violations.check(() => decodeOffsetToken(input.pageToken, filtersOf(filters)));
  violations.throwIfAny();
  return { ...filters, pageSize: pageSize as number, offset: offset as number };
}

/** A canonical cache key for a validated query. */
export function queryCacheKey(query: InstitutionQuery): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 22);
}
