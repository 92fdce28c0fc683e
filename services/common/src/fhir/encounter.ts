// Encounter for each contact the record holds: antenatal visits, the delivery stay, postpartum visits (the home visit
// after discharge is a home-health encounter) and child health checks (the newborn home visit likewise).
import type { Encounter } from '@medplum/fhirtypes';
import type { AntenatalVisit, ChildCheck, Pregnancy, PostpartumVisit } from '../gen/mch/records/v1/records';
import { SYSTEMS } from './canonical';
import { episodeOfCareId } from './episode-of-care';
import { entryResourceId } from './ids';
import { entryIdentifier, institutionReference, patientReference, withheldMeta } from './references';
import { projectCoding } from './terminology';

const AMBULATORY = { system: SYSTEMS.actCode, code: 'AMB', display: 'ambulatory' };
const HOME = { system: SYSTEMS.actCode, code: 'HH', display: 'home health' };
const INPATIENT = { system: SYSTEMS.actCode, code: 'IMP', display: 'inpatient encounter' };

/** The delivery has no entry id of its own: its Encounter is the pregnancy's, part `delivery`. */
export const DELIVERY_PART = 'delivery';

export function visitEncounterId(patientId: string, entryId: string): string {
  return entryResourceId(patientId, entryId);
}

function base(
  patientId: string,
  entryId: string,
  institutionId: string,
  part?: string,
): Pick<Encounter, 'resourceType' | 'id' | 'identifier' | 'status' | 'subject' | 'serviceProvider'> {
  const serviceProvider = institutionReference(institutionId);
  return {
    resourceType: 'Encounter',
    id: entryResourceId(patientId, entryId, part),
    identifier: [entryIdentifier(entryId)],
    status: 'finished',
    subject: patientReference(patientId),
    ...(serviceProvider ? { serviceProvider } : {}),
  };
}

export function antenatalVisitEncounter(patientId: string, pregnancy: Pregnancy, visit: AntenatalVisit): Encounter {
  return {
    ...base(patientId, visit.id, visit.institutionId),
    ...withheldMeta(visit.textWithheld),
    class: AMBULATORY,
    type: [{ coding: [projectCoding('encounterType', 'antenatal-visit', 'Antenatal visit (产前检查)')] }],
    episodeOfCare: [{ reference: `EpisodeOfCare/${episodeOfCareId(patientId, pregnancy.id)}` }],
    period: { start: visit.visitDate, end: visit.visitDate },
  };
}

export function deliveryEncounter(patientId: string, pregnancy: Pregnancy): Encounter | undefined {
  const delivery = pregnancy.delivery;
  if (!delivery?.deliveryDate) return undefined;
  return {
    ...base(patientId, pregnancy.id, delivery.institutionId, DELIVERY_PART),
    class: INPATIENT,
    type: [{ coding: [projectCoding('encounterType', 'delivery', 'Delivery (分娩)')] }],
    episodeOfCare: [{ reference: `EpisodeOfCare/${episodeOfCareId(patientId, pregnancy.id)}` }],
    period: { start: delivery.deliveryDate, ...(delivery.dischargeDate ? { end: delivery.dischargeDate } : {}) },
  };
}

export function postpartumVisitEncounter(patientId: string, pregnancy: Pregnancy, visit: PostpartumVisit): Encounter {
  const home = visit.kind === 'home-visit';
  return {
    ...base(patientId, visit.id, visit.institutionId),
    ...withheldMeta(visit.textWithheld),
    class: home ? HOME : AMBULATORY,
    type: [
      {
        coding: [
          projectCoding(
            'encounterType',
            `postpartum-${visit.kind || 'visit'}`,
            home ? 'Postpartum home visit (产后访视)' : 'Postpartum check (产后健康检查)',
          ),
        ],
      },
    ],
    episodeOfCare: [{ reference: `EpisodeOfCare/${episodeOfCareId(patientId, pregnancy.id)}` }],
    period: { start: visit.visitDate, end: visit.visitDate },
  };
}

export function childCheckEncounter(patientId: string, check: ChildCheck): Encounter {
  const home = check.service === 'newborn-home-visit';
  return {
    ...base(patientId, check.id, check.institutionId),
    ...withheldMeta(check.textWithheld),
    class: home ? HOME : AMBULATORY,
    type: [
      {
        coding: [
          projectCoding(
            'encounterType',
            check.service || 'child-health-check',
            home ? 'Newborn home visit (新生儿家庭访视)' : 'Child health check (儿童健康检查)',
          ),
        ],
      },
    ],
    period: { start: check.checkedOn, end: check.checkedOn },
  };
}
