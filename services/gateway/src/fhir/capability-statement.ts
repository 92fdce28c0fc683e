// The CapabilityStatement served at /fhir/R4/metadata without a token: what this server reads and searches, with
// which parameters, how a client authenticates, and the project's own code and identifier systems.
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { FHIR_JSON, FHIR_VERSION } from '../../../common/src/fhir/canonical';
import { RECORD_RESOURCE_TYPES } from '../../../common/src/fhir/record-resources';
import { SEARCH_PARAMETERS } from './search';

const PARAMETER_DEFINITIONS: Readonly<Record<string, string>> = {
  _id: 'http://hl7.org/fhir/SearchParameter/Resource-id',
};

export function capabilityStatement(base: string, version: string): CapabilityStatement {
  const searchable = (
    type: keyof typeof SEARCH_PARAMETERS,
    extra: Partial<CapabilityStatementRestResource> = {},
  ): CapabilityStatementRestResource => ({
    type,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: Object.entries(SEARCH_PARAMETERS[type]).map(([name, parameter]) => ({
      name,
      type: parameter.type,
      documentation: parameter.documentation,
      ...(PARAMETER_DEFINITIONS[name] ? { definition: PARAMETER_DEFINITIONS[name] } : {}),
    })),
    ...extra,
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-12-08',
    publisher: 'MCH Alliance',
    kind: 'instance',
    software: { name: 'MCH Alliance gateway', version },
    implementation: {
      description: 'The shared maternal and child health record of the alliance, read through FHIR R4',
      url: base,
    },
    instantiates: ['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data'],
    fhirVersion: FHIR_VERSION,
    format: [FHIR_JSON, 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Read and search only. Every patient-data request carries the same bearer token, purpose of use (X-MCH-Purpose) and, for break-glass, reason (X-MCH-Break-Glass-Reason) as the REST API, and is answered from the same service reads, with their privacy rules and audit. A search names a patient (or a resource id): none enumerates patients.',
        security: {
          cors: false,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'OAuth',
                  display: 'OAuth',
                },
              ],
              text: 'Bearer access token from POST /v1/auth/login',
            },
          ],
          description:
            "Authorization: Bearer <access token>. 401 without a valid token, 403 when the platform's policy refuses the reader.",
        },
        operation: [
          {
            name: 'export',
            definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export',
            documentation:
              'FHIR Bulk Data (system level and Group/<county>): Prefer: respond-async; _type, _since, _outputFormat=application/fhir+ndjson. Health administrators (analysts) within their county or the prefecture; no sensitive entries.',
          },
        ],
        resource: [
          searchable('Patient'),
          ...RECORD_RESOURCE_TYPES.map((type) =>
            searchable(
              type,
              type === 'Observation'
                ? {
                    supportedProfile: [
                      'http://hl7.org/fhir/StructureDefinition/vitalsigns',
                      'http://hl7.org/fhir/StructureDefinition/bp',
                      'http://hl7.org/fhir/StructureDefinition/bodyweight',
                      'http://hl7.org/fhir/StructureDefinition/bodyheight',
                      'http://hl7.org/fhir/StructureDefinition/headcircum',
                      'http://hl7.org/fhir/StructureDefinition/bodytemp',
                    ],
                  }
                : {},
            ),
          ),
          {
            type: 'Group',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            documentation: 'One Group per county (id = county code), defined by its characteristic, for $export',
            operation: [
              { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' },
            ],
          },
          {
            type: 'CodeSystem',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            documentation: "The project's own code systems (no token needed)",
          },
          {
            type: 'NamingSystem',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            documentation: "The project's own identifier systems (no token needed)",
          },
        ],
      },
    ],
  };
}
