// A FHIR consumer as a partner system would run one: fhir-kit-client (ESM only, hence its own process) reads the
// CapabilityStatement, a mother and her child, and searches each of their resource types page by page (_count=4,
// following the next links), reads one resource of each type back by id, and tries what the server must refuse.
// Input from the environment (FHIR_BASE, FHIR_TOKEN, FHIR_PURPOSE, MOTHER_ID, CHILD_ID); the answers as JSON on stdout.
import { Client } from 'fhir-kit-client';

const { FHIR_BASE, FHIR_TOKEN, FHIR_PURPOSE, MOTHER_ID, CHILD_ID } = process.env;
const client = new Client({
  baseUrl: FHIR_BASE,
  bearerToken: FHIR_TOKEN,
  customHeaders: { 'X-MCH-Purpose': FHIR_PURPOSE, Accept: 'application/fhir+json' },
});
const anonymous = new Client({ baseUrl: FHIR_BASE });

async function allPages(resourceType, patientId) {
  const pages = [];
  let bundle = await client.search({ resourceType, searchParams: { patient: `Patient/${patientId}`, _count: 4 } });
  while (bundle) {
    pages.push(bundle);
    bundle = await client.nextPage({ bundle });
  }
  return pages;
}

async function status(promise) {
  try {
    await promise;
    return { status: 200 };
  } catch (error) {
    return { status: error.response?.status, body: error.response?.data };
  }
}

const out = {
  capability: await anonymous.capabilityStatement(),
  patients: {},
  pages: { mother: {}, child: {} },
  reads: [],
  refusals: {},
};
out.patients.mother = await client.read({ resourceType: 'Patient', id: MOTHER_ID });
out.patients.child = await client.read({ resourceType: 'Patient', id: CHILD_ID });
for (const type of ['EpisodeOfCare', 'Encounter', 'Observation', 'RiskAssessment'])
  out.pages.mother[type] = await allPages(type, MOTHER_ID);
for (const type of ['Encounter', 'Observation', 'Immunization']) out.pages.child[type] = await allPages(type, CHILD_ID);
for (const person of ['mother', 'child']) {
  for (const pages of Object.values(out.pages[person])) {
    const first = pages[0]?.entry?.find((entry) => entry.search?.mode === 'match')?.resource;
    if (first)
      out.reads.push({ asked: first, read: await client.read({ resourceType: first.resourceType, id: first.id }) });
  }
}
out.refusals.noToken = await status(anonymous.read({ resourceType: 'Patient', id: MOTHER_ID }));
out.refusals.noCriterion = await status(client.search({ resourceType: 'Observation', searchParams: {} }));
out.refusals.unknownParameter = await status(
  client.search({ resourceType: 'Observation', searchParams: { patient: MOTHER_ID, colour: 'red' } }),
);
out.refusals.unknownId = await status(client.read({ resourceType: 'Observation', id: 'no-such-observation' }));
process.stdout.write(JSON.stringify(out));
