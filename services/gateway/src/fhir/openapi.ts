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
  method = 'get',
): Record<string, unknown> {
  return {
    [method]: {
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
    // Bulk Data Access (bulk-export.ts): kick-off needs Prefer: respond-async and answers 202 with Content-Location.
    [`${FHIR_PREFIX}/$export`]: operation(
      'Fhir.ExportSystem',
      'Bulk Data kick-off, system level (_type, _since, _outputFormat; analysts)',
      [],
      false,
    ),
    [`${FHIR_PREFIX}/Group`]: operation('Fhir.SearchGroup', 'The county Groups a bulk export can name', [], false),
    [`${FHIR_PREFIX}/Group/{id}`]: operation('Fhir.ReadGroup', 'One county Group', ['id'], false),
    [`${FHIR_PREFIX}/Group/{id}/$export`]: operation(
      'Fhir.ExportGroup',
      'Bulk Data kick-off for one county Group (_type, _since, _outputFormat; analysts)',
      ['id'],
      false,
    ),
    [`${FHIR_PREFIX}/$export-status/{job}`]: {
      ...operation(
        'Fhir.ExportStatus',
        'Bulk Data status: 202 with X-Progress while running, then the manifest',
        ['job'],
        false,
      ),
      ...operation('Fhir.ExportCancel', 'Cancels a bulk export or deletes its files', ['job'], false, 'delete'),
    },
    [`${FHIR_PREFIX}/$export-file/{job}/{type}/{file}`]: operation(
      'Fhir.ExportFile',
      'One NDJSON file of a completed export (the client that started it)',
      ['job', 'type', 'file'],
      false,
    ),
  };
}
