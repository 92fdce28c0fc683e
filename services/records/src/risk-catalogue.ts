// ListRiskCatalogue: the pregnancy risk form as the grading holds it (#25 §1). One item per line of the assessment
// table per colour and per line of the screening table, with the form's wording, what the line reads from the
// record, its source and whether the wording was checked against it, paged. Reference data, read by any staff
// account: clinics build their screens from the same rules the grading applies, so the two cannot drift.
import type { CallContext } from '../../common/src/grpc/context';
import type {
  ListRiskCatalogueRequest,
  ListRiskCatalogueResponse,
  RiskCatalogueItem,
} from '../../common/src/gen/mch/records/v1/records';
import { requireAllowed } from '../../common/src/auth/policy';
import { Violations } from '../../common/src/errors';
import { checkPageSize, decodeOffsetToken, nextOffsetToken } from '../../common/src/paging';
import { todayInChina } from './domain';
import {
  findRiskRuleSet,
  RiskCondition,
  RiskRuleSet,
  RiskRuleSetCatalogue,
  riskRuleSetInForce,
} from './domain/risk/rule-set';
import { RISK_JURISDICTION } from './access';

const PAGE_MAX = 200;
const TABLES = ['assessment', 'screening'] as const;

const COMPARISON_SIGNS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;

/** What a condition reads from the record: `finding:<code>`, `lab:<code>=<result>`, `metric:<name>`, each once. */
export function conditionCodes(condition: RiskCondition): string[] {
  const codes = new Set<string>();
  const walk = (node: RiskCondition): void => {
    if (node.kind === 'metric') codes.add(`metric:${node.metric}`);
    else if (node.kind === 'finding') codes.add(`finding:${node.finding}`);
    else if (node.kind === 'lab') codes.add(`lab:${node.lab}=${node.result}`);
    else node.conditions.forEach(walk);
  };
  walk(condition);
  return [...codes];
}

/** The condition in words: `systolicBp >= 160 and (finding:a or finding:b)`. */
export function conditionText(condition: RiskCondition, nested = false): string {
  if (condition.kind === 'metric') {
    return Object.entries(condition.bounds)
      .map(
        ([comparison, bound]) =>
          `${condition.metric} ${COMPARISON_SIGNS[comparison as keyof typeof COMPARISON_SIGNS]} ${bound}`,
      )
      .join(' and ');
  }
  if (condition.kind === 'finding') return `finding:${condition.finding}`;
  if (condition.kind === 'lab') return `lab:${condition.lab}=${condition.result}`;
  const text = condition.conditions
    .map((part) => conditionText(part, true))
    .join(condition.kind === 'any' ? ' or ' : ' and ');
  return nested && condition.conditions.length > 1 ? `(${text})` : text;
}

/** Every item of a rule set: the assessment table in the file's order, then the screening table. */
export function catalogueItems(ruleSet: RiskRuleSet): RiskCatalogueItem[] {
  const source = (key: string | undefined): string => (key ? (ruleSet.sources[key] ?? key) : ruleSet.source);
  const common = (line: RiskRuleSet['rules'][number] | RiskRuleSet['screening'][number]) => ({
    id: line.id,
    section: line.section ?? '',
    wording: line.wording ?? '',
    labelZh: line.label.zh,
    labelEn: line.label.en,
    codes: conditionCodes(line.when),
    condition: conditionText(line.when),
    source: source(line.source),
    confirmed: line.confirmed === true,
    sensitive: line.sensitive,
  });
  return [
    ...ruleSet.rules.map((rule) => ({ ...common(rule), table: 'assessment', colour: rule.colour })),
    ...ruleSet.screening.map((line) => ({ ...common(line), table: 'screening', colour: '' })),
  ];
}

export function listRiskCatalogue(
  catalogue: RiskRuleSetCatalogue,
  request: ListRiskCatalogueRequest,
  ctx: CallContext,
): ListRiskCatalogueResponse {
  const principal = ctx.principal;
  requireAllowed(
    principal,
    principal?.kind === 'staff'
      ? { allowed: true }
      : { allowed: false, reason: principal ? 'the risk catalogue is for staff accounts' : 'not authenticated' },
  );
  const violations = new Violations();
  const table = request.table.trim().toLowerCase();
  const colour = request.colour.trim().toLowerCase();
  const limit = violations.check(() => checkPageSize(request.pageSize, PAGE_MAX, 50)) ?? 50;
  if (table && !(TABLES as readonly string[]).includes(table))
    violations.add('table', 'must be assessment or screening');
  const ruleSetId = request.ruleSetId.trim();
  const ruleSet = violations.check(() =>
    ruleSetId
      ? findRiskRuleSet(catalogue, ruleSetId)
      : riskRuleSetInForce(catalogue, RISK_JURISDICTION, todayInChina()),
  );
  if (ruleSet && colour && !ruleSet.colours.some((candidate) => candidate.code === colour)) {
    violations.add('colour', `must be one of ${ruleSet.colours.map((candidate) => candidate.code).join(', ')}`);
  }
  violations.throwIfAny();
  const chosen = ruleSet as RiskRuleSet;
  const filters = { ruleSet: chosen.id, table, colour };
  const offset = decodeOffsetToken(request.pageToken, filters);
  const matching = catalogueItems(chosen).filter(
    (item) => (!table || item.table === table) && (!colour || item.colour === colour),
  );
  const page = matching.slice(offset, offset + limit + 1);
  return {
    ruleSetId: chosen.id,
    titleZh: chosen.title.zh,
    titleEn: chosen.title.en,
    effectiveFrom: chosen.effectiveFrom,
    items: page.slice(0, limit),
    nextPageToken: nextOffsetToken(filters, offset, limit, page.length),
    totalItems: matching.length,
  };
}
