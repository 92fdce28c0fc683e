// The FHIR routes in /openapi.json, briefly: FHIR clients read the CapabilityStatement (/fhir/R4/metadata), which
// describes every resource and search parameter; this only lists the routes, their parameters and the media type.
import type { Paths } from '../openapi';
import { FHIR_JSON, FHIR_PREFIX } from '../../../common/src/fhir/canonical';

const resource = {
  type: 'object',
  description: 'A FHIR R4 resource (a Bundle for searches); errors are OperationOutcomes',
};

function operation(
  operationId: string,
  summary: string,
  parameters: string[],
  isPublic: boolean,
): Record<string, unknown> {
  return {
    get: {
      operationId,
      summary,
      tags: ['FHIR R4'],
      ...(isPublic ? { security: [] } : {}),
      parameters: parameters.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      responses: {
        '200': { description: 'The resource or searchset Bundle', content: { [FHIR_JSON]: { schema: resource } } },
        default: { description: 'OperationOutcome', content: { [FHIR_JSON]: { schema: resource } } },
      },
    },
  };
}

export function fhirRoutesOpenApi(): Paths {
  return {
    [`${FHIR_PREFIX}/metadata`]: operation('Fhir.Capabilities', 'The CapabilityStatement (no token)', [], true),
    [`${FHIR_PREFIX}/CodeSystem`]: operation(
      'Fhir.SearchCodeSystems',
      "The project's CodeSystems (no token)",
      [],
      true,
    ),
    [`${FHIR_PREFIX}/CodeSystem/{id}`]: operation(
      'Fhir.ReadCodeSystem',
      "One of the project's CodeSystems (no token)",
      ['id'],
      true,
    ),
    [`${FHIR_PREFIX}/NamingSystem`]: operation(
      'Fhir.SearchNamingSystems',
      "The project's identifier systems (no token)",
      [],
      true,
    ),
    [`${FHIR_PREFIX}/NamingSystem/{id}`]: operation(
      'Fhir.ReadNamingSystem',
      "One of the project's identifier systems (no token)",
      ['id'],
      true,
    ),
    [`${FHIR_PREFIX}/Patient`]: operation('Fhir.SearchPatient', 'Patient search (_id, identifier, name)', [], false),
    [`${FHIR_PREFIX}/Patient/{id}`]: operation('Fhir.ReadPatient', 'Patient read', ['id'], false),
    [`${FHIR_PREFIX}/{type}`]: operation(
      'Fhir.Search',
      'Search of EpisodeOfCare, Encounter, Observation, RiskAssessment or Immunization (patient required)',
      ['type'],
      false,
    ),
    [`${FHIR_PREFIX}/{type}/{id}`]: operation('Fhir.Read', 'Read of a record resource by id', ['type', 'id'], false),
  };
}
