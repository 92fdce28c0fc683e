// Pregnancy risk rule sets (五色 and regional variants) as data: the file format, its validation, and choosing the
// rule set by id or by the date it takes effect. The engine that applies a rule set is in grading.ts.
import { InvalidArgumentError } from '../../../../common/src/errors';
import { DayNumber, IsoDate, isoDateOf, parseIsoDate } from '../calendar';
import { BilingualLabel, JsonNode } from '../data-file';
import {
  FINDING_CODES,
  FindingCode,
  LAB_CODES,
  LAB_RESULTS,
  LabCode,
  LabResultValue,
  Metric,
  METRIC_NAMES,
} from './clinical-picture';

export interface RiskColour {
  readonly code: string;
  /** Higher is more serious; among colours that stand beside, rank orders them for display only. */
  readonly rank: number;
  readonly label: BilingualLabel;
  /** Orange, red and purple women enter high-risk case management (专案管理). */
  readonly entersCaseManagement: boolean;
  /** Purple stands beside any other colour instead of competing with it for "highest". */
  readonly standsBeside: boolean;
}

export const COMPARISONS = ['gte', 'gt', 'lte', 'lt'] as const;

export type Comparison = (typeof COMPARISONS)[number];

/** The declarative condition language of rule files. */
export type RiskCondition =
  | { readonly kind: 'metric'; readonly metric: Metric; readonly bounds: Readonly<Partial<Record<Comparison, number>>> }
  | { readonly kind: 'finding'; readonly finding: FindingCode }
  | { readonly kind: 'lab'; readonly lab: LabCode; readonly result: LabResultValue }
  | { readonly kind: 'any'; readonly conditions: readonly RiskCondition[] }
  | { readonly kind: 'all'; readonly conditions: readonly RiskCondition[] };

/** Where a rule comes from: the line of the published form it encodes, in the form's words. */
export interface RuleProvenance {
  /** The line: colour and number on the assessment table ("橙色 2.1.1"), the number on the screening table ("6.1"). */
  readonly section?: string;
  /** The form's wording of that line. */
  readonly wording?: string;
  /** A key of the rule set's `sources`. */
  readonly source?: string;
  /** True only where the wording was checked against a copy of the source; false marks it for checking. */
  readonly confirmed?: boolean;
  /** Its reason reveals a sensitive condition (infection, mental illness): withheld like purple outside the treating team. */
  readonly sensitive: boolean;
}

export interface RiskRule extends RuleProvenance {
  readonly id: string;
  readonly colour: string;
  readonly label: BilingualLabel;
  readonly when: RiskCondition;
}

/** A line of the screening table: a positive screen flags her for grading and is not itself a colour. */
export interface ScreeningRule extends RuleProvenance {
  readonly id: string;
  readonly label: BilingualLabel;
  readonly when: RiskCondition;
}

export interface RiskRuleSet {
  readonly id: string;
  readonly title: BilingualLabel;
  /** Who issued it: `CN` for the national rules, a region code for a regional variant. */
  readonly jurisdiction: string;
  readonly effectiveFrom: IsoDate;
  readonly source: string;
  /** The colour of a woman for whom no rule fires (green). */
  readonly defaultColour: string;
  /** Ordered by rank, lowest first. */
  readonly colours: readonly RiskColour[];
  readonly rules: readonly RiskRule[];
  /** The screening table's lines (none in a set without one). */
  readonly screening: readonly ScreeningRule[];
  /** The documents the rules cite, by key. */
  readonly sources: Readonly<Record<string, string>>;
  /** Every metric some rule reads, so a proposal can say which it could not assess. */
  readonly metricsRead: readonly Metric[];
}

const CODE_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Parses and validates one rule-set file; any fault is a DataFileError naming the file and the place in it. */
export function parseRiskRuleSet(file: string, text: string): RiskRuleSet {
  const root = JsonNode.parse(file, text);
  root.onlyKeys([
    'id',
    'title',
    'jurisdiction',
    'effectiveFrom',
    'source',
    'sources',
    'notes',
    'defaultColour',
    'colours',
    'rules',
    'screening',
  ]);
  const id = code(root.field('id'));
  root
    .optionalField('notes')
    ?.array()
    .forEach((note) => note.string());
  const sourcesNode = root.optionalField('sources');
  const sources: Record<string, string> = {};
  if (sourcesNode) {
    if (!sourcesNode.isObject()) sourcesNode.fail('"sources" must map keys to citations');
    for (const key of sourcesNode.keys()) sources[key] = sourcesNode.field(key).string();
  }

  const colours = root
    .field('colours')
    .nonEmptyArray()
    .map((node): RiskColour => {
      node.onlyKeys(['code', 'rank', 'label', 'entersCaseManagement', 'standsBeside']);
      return {
        code: code(node.field('code')),
        rank: node.field('rank').integer(),
        label: node.field('label').label(),
        entersCaseManagement: node.field('entersCaseManagement').boolean(),
        standsBeside: node.optionalField('standsBeside')?.boolean() ?? false,
      };
    });
  const colourNodes = root.field('colours').array();
  colours.forEach((colour, index) => {
    const clash = colours.findIndex((other) => other.code === colour.code || other.rank === colour.rank);
    if (clash !== index)
      colourNodes[index]?.fail(`colour "${colour.code}" repeats the code or rank of colours[${clash}]`);
  });

  const defaultNode: JsonNode = root.field('defaultColour');
  const defaultColour = defaultNode.string();
  const byCode = new Map(colours.map((colour) => [colour.code, colour]));
  const defaultEntry = byCode.get(defaultColour);
  if (!defaultEntry) defaultNode.fail(`unknown colour "${defaultColour}" (colours: ${[...byCode.keys()].join(', ')})`);
  if (defaultEntry.standsBeside) defaultNode.fail('the default colour cannot be one that stands beside others');
  if (colours.some((colour) => !colour.standsBeside && colour.rank < defaultEntry.rank)) {
    defaultNode.fail('the default colour must be the lowest-ranked of the graded colours');
  }

  const ruleIds = new Set<string>();
  const metricsRead = new Set<Metric>();
  const rules = root
    .field('rules')
    .nonEmptyArray()
    .map((node): RiskRule => {
      node.onlyKeys(['id', 'colour', 'label', 'when', 'note', ...PROVENANCE_KEYS]);
      node.optionalField('note')?.string();
      const ruleId = code(node.field('id'));
      if (ruleIds.has(ruleId)) node.field('id').fail(`rule id "${ruleId}" is used twice`);
      ruleIds.add(ruleId);
      const colourNode = node.field('colour');
      const colour = colourNode.string();
      if (!byCode.has(colour))
        colourNode.fail(`unknown colour "${colour}" (colours: ${[...byCode.keys()].join(', ')})`);
      if (colour === defaultColour) colourNode.fail(`a rule cannot propose the default colour "${colour}"`);
      return {
        id: ruleId,
        colour,
        label: node.field('label').label(),
        when: parseCondition(node.field('when'), metricsRead),
        ...provenance(node, sources),
      };
    });
  const screening = (root.optionalField('screening')?.array() ?? []).map((node): ScreeningRule => {
    node.onlyKeys(['id', 'label', 'when', 'note', ...PROVENANCE_KEYS]);
    node.optionalField('note')?.string();
    const ruleId = code(node.field('id'));
    if (ruleIds.has(ruleId)) node.field('id').fail(`rule id "${ruleId}" is used twice`);
    ruleIds.add(ruleId);
    return {
      id: ruleId,
      label: node.field('label').label(),
      when: parseCondition(node.field('when'), metricsRead),
      ...provenance(node, sources),
    };
  });

  return {
    id,
    title: root.field('title').label(),
    jurisdiction: root.field('jurisdiction').string(),
    effectiveFrom: isoDateOf(root.field('effectiveFrom').date()),
    source: root.field('source').string(),
    defaultColour,
    colours: [...colours].sort((a, b) => a.rank - b.rank),
    rules,
    screening,
    sources,
    metricsRead: METRIC_NAMES.filter((metric) => metricsRead.has(metric)),
  };
}

const PROVENANCE_KEYS = ['section', 'wording', 'source', 'confirmed', 'sensitive'];

function provenance(node: JsonNode, sources: Readonly<Record<string, string>>): RuleProvenance {
  const sourceNode = node.optionalField('source');
  const source = sourceNode?.string();
  if (sourceNode && source !== undefined && !(source in sources)) {
    sourceNode.fail(`unknown source "${source}" (sources: ${Object.keys(sources).join(', ') || 'none declared'})`);
  }
  const optional = <T>(value: T | undefined, key: string): Record<string, T> =>
    value === undefined ? {} : { [key]: value };
  return {
    ...optional(node.optionalField('section')?.string(), 'section'),
    ...optional(node.optionalField('wording')?.string(), 'wording'),
    ...optional(source, 'source'),
    ...optional(node.optionalField('confirmed')?.boolean(), 'confirmed'),
    sensitive: node.optionalField('sensitive')?.boolean() ?? false,
  };
}

function code(node: JsonNode): string {
  const value = node.string();
  if (!CODE_PATTERN.test(value)) node.fail(`"${value}" must be lowercase letters, digits, "-" or "_"`);
  return value;
}

function parseCondition(node: JsonNode, metricsRead: Set<Metric>): RiskCondition {
  if (!node.isObject()) node.fail('a condition must be an object');
  const kinds = ['metric', 'finding', 'lab', 'any', 'all'].filter((key) => node.has(key));
  if (kinds.length !== 1) {
    node.fail(
      `a condition must have exactly one of "metric", "finding", "lab", "any", "all" (found ${kinds.length ? kinds.join(', ') : 'none'})`,
    );
  }
  switch (kinds[0]) {
    case 'metric': {
      for (const key of node.keys()) {
        if (key !== 'metric' && !(COMPARISONS as readonly string[]).includes(key)) {
          node.fail(`unknown operator "${key}" (operators: ${COMPARISONS.join(', ')})`);
        }
      }
      const metricNode = node.field('metric');
      const metric = metricNode.string();
      if (!(METRIC_NAMES as string[]).includes(metric))
        metricNode.fail(`unknown metric "${metric}" (known: ${METRIC_NAMES.join(', ')})`);
      const bounds: Partial<Record<Comparison, number>> = {};
      for (const comparison of COMPARISONS) {
        const bound = node.optionalField(comparison);
        if (bound) bounds[comparison] = bound.number();
      }
      if (Object.keys(bounds).length === 0)
        node.fail(`a metric condition needs at least one of ${COMPARISONS.join(', ')}`);
      if (bounds.gte !== undefined && bounds.gt !== undefined) node.fail('use "gte" or "gt", not both');
      if (bounds.lte !== undefined && bounds.lt !== undefined) node.fail('use "lte" or "lt", not both');
      const lower = bounds.gte ?? bounds.gt;
      const upper = bounds.lte ?? bounds.lt;
      if (lower !== undefined && upper !== undefined && lower >= upper)
        node.fail('the lower bound must be below the upper bound');
      metricsRead.add(metric as Metric);
      return { kind: 'metric', metric: metric as Metric, bounds };
    }
    case 'finding': {
      node.onlyKeys(['finding']);
      const findingNode = node.field('finding');
      const finding = findingNode.string();
      if (!(FINDING_CODES as readonly string[]).includes(finding)) findingNode.fail(`unknown finding "${finding}"`);
      return { kind: 'finding', finding: finding as FindingCode };
    }
    case 'lab': {
      node.onlyKeys(['lab', 'result']);
      const labNode = node.field('lab');
      const lab = labNode.string();
      if (!(LAB_CODES as readonly string[]).includes(lab))
        labNode.fail(`unknown lab test "${lab}" (known: ${LAB_CODES.join(', ')})`);
      const resultNode = node.field('result');
      const result = resultNode.string();
      if (!(LAB_RESULTS as readonly string[]).includes(result))
        resultNode.fail(`result must be one of ${LAB_RESULTS.join(', ')}`);
      return { kind: 'lab', lab: lab as LabCode, result: result as LabResultValue };
    }
    default: {
      const kind = kinds[0] === 'any' ? 'any' : 'all';
      node.onlyKeys([kind]);
      return {
        kind,
        conditions: node
          .field(kind)
          .nonEmptyArray()
          .map((child) => parseCondition(child, metricsRead)),
      };
    }
  }
}

/** The rule sets the service knows, by id. */
export interface RiskRuleSetCatalogue {
  readonly ruleSets: readonly RiskRuleSet[];
}

export function riskRuleSetCatalogue(ruleSets: readonly RiskRuleSet[]): RiskRuleSetCatalogue {
  const seen = new Set<string>();
  for (const ruleSet of ruleSets) {
    if (seen.has(ruleSet.id)) throw new Error(`risk rule set "${ruleSet.id}" is defined twice`);
    seen.add(ruleSet.id);
  }
  return { ruleSets: [...ruleSets] };
}

export function findRiskRuleSet(catalogue: RiskRuleSetCatalogue, id: string, field = 'ruleSetId'): RiskRuleSet {
  const ruleSet = catalogue.ruleSets.find((candidate) => candidate.id === id);
  if (!ruleSet) throw InvalidArgumentError.field(field, `unknown risk rule set "${id}"`);
  return ruleSet;
}

/** The jurisdiction's rule set in force on a date: the latest that took effect on or before it. */
export function riskRuleSetInForce(
  catalogue: RiskRuleSetCatalogue,
  jurisdiction: string,
  onDate: IsoDate,
  field = 'onDate',
): RiskRuleSet {
  const day: DayNumber = parseIsoDate(onDate, field);
  const inForce = catalogue.ruleSets
    .filter(
      (ruleSet) => ruleSet.jurisdiction === jurisdiction && parseIsoDate(ruleSet.effectiveFrom, 'effectiveFrom') <= day,
    )
    .sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))[0];
  if (!inForce) throw InvalidArgumentError.field(field, `no ${jurisdiction} risk rule set was in force on ${onDate}`);
  return inForce;
}
