// EpisodeOfCare for a pregnancy: from registration to the end of the delivery stay (or the end of the pregnancy),
// managed by the institution that registered her; high-risk case management (专案管理) is a second type.
import type { EpisodeOfCare } from '@medplum/fhirtypes';
import type { Pregnancy } from '../gen/mch/records/v1/records';
import { entryResourceId } from './ids';
import { entryIdentifier, institutionReference, patientReference } from './references';
import { projectCoding } from './terminology';

export function episodeOfCareId(patientId: string, pregnancyId: string): string {
  return entryResourceId(patientId, pregnancyId);
}

export function toEpisodeOfCare(patientId: string, pregnancy: Pregnancy): EpisodeOfCare {
  const ended = pregnancy.status !== 'active';
  const end = pregnancy.delivery?.dischargeDate || pregnancy.delivery?.deliveryDate;
  const type = [{ coding: [projectCoding('episodeType', 'pregnancy', 'Pregnancy (孕产期)')] }];
  if (pregnancy.risk?.inCaseManagement)
    type.push({
      coding: [projectCoding('episodeType', 'high-risk-case-management', 'High-risk case management (专案管理)')],
    });
  const managingOrganization = institutionReference(pregnancy.registeredAtInstitutionId);
  return {
    resourceType: 'EpisodeOfCare',
    id: episodeOfCareId(patientId, pregnancy.id),
    identifier: [entryIdentifier(pregnancy.id)],
    status: ended ? 'finished' : 'active',
    type,
    patient: patientReference(patientId),
    ...(managingOrganization ? { managingOrganization } : {}),
    period: { start: pregnancy.registeredOn, ...(ended && end ? { end } : {}) },
  };
}
