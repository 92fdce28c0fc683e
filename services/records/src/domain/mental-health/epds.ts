// EPDS (#25 §5) as data and a pure scorer: the ten items scored 0–3 (items 3 and 5–10 reverse-scored, as the scale
// defines), the total against the thresholds of `data/mental-health/epds.json`, and the tasks that follow: an urgent
// review by the treating team whenever item 10 (self-harm) scores above 0, a rescreen or a referral to mental health
// by the total. Not yet stored or routed (see the branch report): this is the rule the write will call.
import { FieldViolation, InvalidArgumentError } from '../../../../common/src/errors';
import { BilingualLabel, JsonNode } from '../data-file';
import { Confirmation } from '../schedules/schedule';

export const EPDS_ITEMS = 10;

export interface EpdsTask {
  readonly kind: string;
  /** Days after the screening it is due (0: the same day). */
  readonly dueInDays: number;
  readonly urgent: boolean;
  readonly label: BilingualLabel;
}

export interface EpdsThreshold {
  readonly id: string;
  readonly atLeast: number;
  readonly label: BilingualLabel;
  readonly followUp: { readonly kind: string; readonly dueInDays: number };
  readonly confirmation: Confirmation;
  readonly evidence: string;
}

export interface EpdsDefinition {
  readonly id: string;
  readonly source: string;
  readonly reverseScored: ReadonlySet<number>;
  readonly selfHarmItem: number;
  /** Lowest first. */
  readonly thresholds: readonly EpdsThreshold[];
  readonly selfHarm: {
    readonly label: BilingualLabel;
    readonly task: { readonly kind: string; readonly dueInDays: number };
    readonly confirmation: Confirmation;
  };
}

export interface EpdsResult {
  readonly itemScores: readonly number[];
  readonly total: number;
  /** The highest threshold reached (undefined: below every threshold). */
  readonly threshold: string | undefined;
  readonly positive: boolean;
  readonly selfHarmScore: number;
  /** Urgent first. */
  readonly tasks: readonly EpdsTask[];
}

function confirmationOf(node: JsonNode): Confirmation {
  const value = node.string();
  if (value !== 'confirmed' && value !== 'unconfirmed') node.fail('must be "confirmed" or "unconfirmed"');
  return value;
}

function followUpOf(node: JsonNode): { kind: string; dueInDays: number } {
  node.onlyKeys(['kind', 'dueInDays']);
  const dueInDays = node.field('dueInDays').integer();
  if (dueInDays < 0) node.field('dueInDays').fail('must not be negative');
  return { kind: node.field('kind').string(), dueInDays };
}

function itemOf(node: JsonNode): number {
  const value = node.integer();
  if (value < 1 || value > EPDS_ITEMS) node.fail(`must be an item number 1-${EPDS_ITEMS}`);
  return value;
}

export function parseEpdsDefinition(file: string, text: string): EpdsDefinition {
  const root = JsonNode.parse(file, text);
  root.onlyKeys(['id', 'instrument', 'source', 'notes', 'reverseScored', 'selfHarmItem', 'thresholds', 'selfHarm']);
  root.field('instrument').string();
  root
    .optionalField('notes')
    ?.array()
    .forEach((note) => note.string());
  const thresholds = root
    .field('thresholds')
    .nonEmptyArray()
    .map((node) => {
      node.onlyKeys(['id', 'atLeast', 'label', 'followUp', 'confirmation', 'evidence']);
      const atLeast = node.field('atLeast').integer();
      if (atLeast < 0 || atLeast > 3 * EPDS_ITEMS) node.field('atLeast').fail('must be a total 0-30');
      return {
        id: node.field('id').string(),
        atLeast,
        label: node.field('label').label(),
        followUp: followUpOf(node.field('followUp')),
        confirmation: confirmationOf(node.field('confirmation')),
        evidence: node.field('evidence').string(),
      };
    });
  thresholds.forEach((threshold, index) => {
    const previous = thresholds[index - 1];
    if (previous && previous.atLeast >= threshold.atLeast)
      root.field('thresholds').fail('thresholds must rise, lowest first');
  });
  const selfHarmNode = root.field('selfHarm');
  selfHarmNode.onlyKeys(['label', 'task', 'confirmation', 'evidence']);
  selfHarmNode.field('evidence').string();
  return {
    id: root.field('id').string(),
    source: root.field('source').string(),
    reverseScored: new Set(root.field('reverseScored').array().map(itemOf)),
    selfHarmItem: itemOf(root.field('selfHarmItem')),
    thresholds,
    selfHarm: {
      label: selfHarmNode.field('label').label(),
      task: followUpOf(selfHarmNode.field('task')),
      confirmation: confirmationOf(selfHarmNode.field('confirmation')),
    },
  };
}

/**
 * Scores one EPDS: `responses[i]` is the position (0–3, top to bottom on the form) of the response to item i+1.
 * Bad input names the field (`responses`, `responses[3]`).
 */
export function scoreEpds(definition: EpdsDefinition, responses: readonly number[]): EpdsResult {
  const violations: FieldViolation[] = [];
  if (responses.length !== EPDS_ITEMS)
    violations.push({
      field: 'responses',
      description: `must answer all ${EPDS_ITEMS} items (got ${responses.length})`,
    });
  responses.forEach((response, index) => {
    if (!Number.isInteger(response) || response < 0 || response > 3)
      violations.push({ field: `responses[${index}]`, description: 'must be the position of a response, 0-3' });
  });
  if (violations.length > 0) throw new InvalidArgumentError(violations);
  const itemScores = responses.map((response, index) =>
    definition.reverseScored.has(index + 1) ? 3 - response : response,
  );
  const total = itemScores.reduce((sum, score) => sum + score, 0);
  const reached = definition.thresholds.filter((threshold) => total >= threshold.atLeast);
  const selfHarmScore = itemScores[definition.selfHarmItem - 1] ?? 0;
  const tasks: EpdsTask[] = [];
  if (selfHarmScore > 0) tasks.push({ ...definition.selfHarm.task, urgent: true, label: definition.selfHarm.label });
  const highest = reached.at(-1);
  if (highest) tasks.push({ ...highest.followUp, urgent: false, label: highest.label });
  return { itemScores, total, threshold: highest?.id, positive: reached.length > 0, selfHarmScore, tasks };
}
