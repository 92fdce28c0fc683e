// Which antenatal schedule a woman follows (#25 §3): her registering institution's, as data
// (`antenatal-schedule-assignments.json`), the basic public health schedule by default; the content items the
// institution does not offer leave the schedule.
import { stableUuid } from '../../../../common/src/ids';
import { IsoDate } from '../calendar';
import { JsonNode } from '../data-file';
import { Schedule, ScheduleCatalogue, scheduleInForce } from './schedule';

export interface AntenatalAssignment {
  readonly programme: string;
  readonly notOffered: readonly string[];
}

export interface AntenatalAssignments {
  readonly defaultProgramme: string;
  /** By institution id. */
  readonly byInstitution: ReadonlyMap<string, AntenatalAssignment & { readonly code: string }>;
}

export function parseAntenatalAssignments(
  file: string,
  text: string,
  schedules: ScheduleCatalogue,
): AntenatalAssignments {
  const root = JsonNode.parse(file, text);
  root.onlyKeys(['description', 'source', 'default', 'institutions']);
  root.field('source').string();
  const antenatal = (programme: string): Schedule[] =>
    schedules.schedules.filter((schedule) => schedule.programme === programme && schedule.kind === 'antenatal');
  const programmeOf = (node: JsonNode): string => {
    const programme = node.string();
    if (antenatal(programme).length === 0) node.fail(`"${programme}" is not an antenatal programme of the schedules`);
    return programme;
  };
  const defaultProgramme = programmeOf(root.field('default'));
  const byInstitution = new Map<string, AntenatalAssignment & { code: string }>();
  for (const node of root.field('institutions').array()) {
    node.onlyKeys(['code', 'programme', 'notOffered']);
    const code = node.field('code').string();
    const programme = programmeOf(node.field('programme'));
    const items = new Set(antenatal(programme).flatMap((schedule) => schedule.items.map((item) => item.id)));
    const notOffered = (node.optionalField('notOffered')?.array() ?? []).map((entry) => {
      const id = entry.string();
      if (!items.has(id)) entry.fail(`"${id}" is not an item of ${programme}`);
      return id;
    });
    const id = stableUuid('institution', code);
    if (byInstitution.has(id)) node.field('code').fail(`institution ${code} is listed twice`);
    byInstitution.set(id, { code, programme, notOffered });
  }
  return { defaultProgramme, byInstitution };
}

/** The schedule in force on her registration date for the institution that registered her, without what it does not offer. */
export function antenatalScheduleFor(
  schedules: ScheduleCatalogue,
  assignments: AntenatalAssignments,
  registeringInstitutionId: string | null,
  registeredOn: IsoDate,
): Schedule {
  const assignment = registeringInstitutionId ? assignments.byInstitution.get(registeringInstitutionId) : undefined;
  const schedule = scheduleInForce(schedules, assignment?.programme ?? assignments.defaultProgramme, registeredOn);
  if (!assignment || assignment.notOffered.length === 0) return schedule;
  const dropped = new Set(assignment.notOffered);
  return { ...schedule, items: schedule.items.filter((item) => !dropped.has(item.id)) };
}

/** The content items (tests done at a visit) of an antenatal schedule: item id → the service it is recorded as. */
export const CONTENT_SERVICE_PREFIX = 'content-';

export function contentItemIds(schedule: Schedule): string[] {
  return schedule.items
    .filter((item) => item.type === 'visit' && item.service.startsWith(CONTENT_SERVICE_PREFIX))
    .map((item) => item.id);
}
