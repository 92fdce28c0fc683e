// Where a woman should be referred: the level and capabilities her risk colour requires (data, DESIGN.md §4),
// and the nearest institutions that meet them, with the reason for each and for every nearer one passed over.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../common/src/errors';
import { serviceDir } from '../../../common/src/paths';

export const LEVELS = ['township', 'county', 'prefecture'] as const;
export type Level = (typeof LEVELS)[number];

const LEVEL_LABELS: Readonly<Record<Level, string>> = {
  township: 'township',
  county: 'county (二级)',
  prefecture: 'prefecture (三级)',
};

export interface Requirement {
  readonly minLevel: Level;
  readonly capabilities: readonly string[];
  readonly why: string;
}

export interface RoutingRules {
  readonly id: string;
  readonly colours: Readonly<Record<string, Requirement>>;
  readonly ungraded: Requirement;
  readonly screenPositive: Requirement;
  /** A confirmed change to one of these colours raises a pending referral suggestion. */
  readonly suggestOnColours: readonly string[];
}

function checkRequirement(raw: unknown, where: string): Requirement {
  const value = raw as Partial<Requirement> | undefined;
  if (!value || !LEVELS.includes(value.minLevel as Level))
    throw new Error(`${where}.minLevel must be one of ${LEVELS.join(', ')}`);
  if (!Array.isArray(value.capabilities) || value.capabilities.some((c) => typeof c !== 'string' || c === ''))
    throw new Error(`${where}.capabilities must be a list of names`);
  if (typeof value.why !== 'string') throw new Error(`${where}.why must be text`);
  return { minLevel: value.minLevel as Level, capabilities: [...value.capabilities], why: value.why };
}

/** Parses the routing rules, naming the place of the first problem. */
export function parseRoutingRules(raw: unknown, source = 'routing rules'): RoutingRules {
  const value = raw as Record<string, unknown>;
  if (!value || typeof value.id !== 'string') throw new Error(`${source}: id must be text`);
  const colours: Record<string, Requirement> = {};
  for (const [colour, requirement] of Object.entries((value.colours as Record<string, unknown>) ?? {}))
    colours[colour] = checkRequirement(requirement, `${source}: colours.${colour}`);
  if (Object.keys(colours).length === 0) throw new Error(`${source}: colours must name at least one colour`);
  const suggestOn = value.suggestOnColours;
  if (!Array.isArray(suggestOn) || suggestOn.some((c) => !(typeof c === 'string' && c in colours)))
    throw new Error(`${source}: suggestOnColours must name colours of the set`);
  return {
    id: value.id,
    colours,
    ungraded: checkRequirement(value.ungraded, `${source}: ungraded`),
    screenPositive: checkRequirement(value.screenPositive, `${source}: screenPositive`),
    suggestOnColours: suggestOn as string[],
  };
}

export function loadRoutingRules(dataDir = join(serviceDir('referral'), 'data')): RoutingRules {
  const file = join(dataDir, 'routing.json');
  return parseRoutingRules(JSON.parse(readFileSync(file, 'utf8')), file);
}

export interface RiskPicture {
  /** The confirmed colour, '' when not graded. */
  readonly colour: string;
  readonly besideColours: readonly string[];
  readonly screenPositive: boolean;
}

const levelRank = (level: Level): number => LEVELS.indexOf(level);

/** What her colour (with the colours beside it) and the caller's extra needs require: the highest level, every capability. */
export function requirementFor(
  rules: RoutingRules,
  risk: RiskPicture,
  extraCapabilities: readonly string[] = [],
): Requirement {
  const parts: Requirement[] = [];
  if (risk.colour) {
    const main = rules.colours[risk.colour];
    if (!main) throw InvalidArgumentError.field('colour', `unknown risk colour ${risk.colour}`);
    parts.push(main);
  } else {
    parts.push(risk.screenPositive ? rules.screenPositive : rules.ungraded);
  }
  for (const colour of risk.besideColours) {
    const beside = rules.colours[colour];
    if (beside) parts.push(beside);
  }
  const minLevel = parts.reduce<Level>(
    (level, part) => (levelRank(part.minLevel) > levelRank(level) ? part.minLevel : level),
    'township',
  );
  const capabilities = [...new Set([...parts.flatMap((part) => part.capabilities), ...extraCapabilities])];
  return { minLevel, capabilities, why: parts.map((part) => part.why).join('; ') };
}

export interface Place {
  readonly latitude: number;
  readonly longitude: number;
}

/** Great-circle distance in kilometres. */
export function distanceKm(a: Place, b: Place): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface CandidateInstitution {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly level: Level;
  readonly countyCode: string;
  readonly location: Place;
  readonly capabilities: readonly string[];
}

export interface RankedTarget {
  readonly institution: CandidateInstitution;
  readonly distanceKm: number;
  readonly reason: string;
}

export interface PassedOver {
  readonly institution: CandidateInstitution;
  readonly distanceKm: number;
  readonly reason: string;
}

export interface Ranking {
  readonly targets: readonly RankedTarget[];
  readonly passedOver: readonly PassedOver[];
}

const round1 = (km: number): number => Math.round(km * 10) / 10;

/** Why an institution does not fit, or undefined when it does. */
export function misfit(institution: CandidateInstitution, requirement: Requirement, risk: string): string | undefined {
  const problems: string[] = [];
  if (levelRank(institution.level) < levelRank(requirement.minLevel)) {
    problems.push(
      `level ${LEVEL_LABELS[institution.level]} is below the ${LEVEL_LABELS[requirement.minLevel]} level ${risk} requires`,
    );
  }
  const missing = requirement.capabilities.filter((capability) => !institution.capabilities.includes(capability));
  if (missing.length > 0) problems.push(`lacks ${missing.join(', ')}`);
  return problems.length > 0 ? problems.join('; ') : undefined;
}

export const MAX_PASSED_OVER = 50;

/**
 * The `limit` nearest institutions that fit, nearest first, and every institution nearer than the first of them
 * that does not (nearest first, at most MAX_PASSED_OVER). The origin institution itself is never a target.
 */
export function rankTargets(
  institutions: readonly CandidateInstitution[],
  origin: { readonly institutionId: string | undefined; readonly place: Place },
  requirement: Requirement,
  riskLabel: string,
  limit: number,
): Ranking {
  const byDistance = institutions
    .filter((institution) => institution.id !== origin.institutionId)
    .map((institution) => ({ institution, distanceKm: distanceKm(origin.place, institution.location) }))
    .sort((a, b) => a.distanceKm - b.distanceKm || a.institution.code.localeCompare(b.institution.code));
  const targets: RankedTarget[] = [];
  const passedOver: PassedOver[] = [];
  const needs = requirement.capabilities.length > 0 ? ` with ${requirement.capabilities.join(', ')}` : '';
  for (const { institution, distanceKm: km } of byDistance) {
    const problem = misfit(institution, requirement, riskLabel);
    if (problem === undefined) {
      if (targets.length >= limit) break;
      const rank = targets.length === 0 ? 'nearest' : `${ordinal(targets.length + 1)} nearest`;
      const county = institution.countyCode;
      targets.push({
        institution,
        distanceKm: round1(km),
        reason: `${rank} ${LEVEL_LABELS[requirement.minLevel]}-or-higher institution${needs} for ${riskLabel}: ${LEVEL_LABELS[institution.level]} in ${county}, ${round1(km)} km`,
      });
    } else if (targets.length === 0 && passedOver.length < MAX_PASSED_OVER) {
      passedOver.push({ institution, distanceKm: round1(km), reason: problem });
    }
  }
  return { targets, passedOver };
}

function ordinal(n: number): string {
  return n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}
