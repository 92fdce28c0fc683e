// A bench patient: a woman with a registered pregnancy and one antenatal visit, written through the gateway; or
// the seeded population's sample woman and child.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from '../../services/platform/src/platform';

/** Registers a patient with a pregnancy and one visit; undefined when the records service is not running. */
export async function benchPatient(
  gatewayUrl: string,
  headers: Record<string, string>,
): Promise<{ patientId: string; pregnancyId: string } | undefined> {
  const post = async (route: string, body: unknown): Promise<Record<string, any>> => {
    const response = await fetch(`${gatewayUrl}${route}`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'idempotency-key': `bench-${Date.now()}-${Math.random()}`,
      },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  };
  try {
    const birthDate = `199${Math.floor(Math.random() * 9)}-0${1 + Math.floor(Math.random() * 8)}-1${Math.floor(Math.random() * 9)}`;
    const { patient } = await post('/v1/patients', {
      name: `bench${Math.random().toString(36).slice(2, 8)}`,
      birthDate,
      sex: 'SEX_FEMALE',
      countyCode: 'lufeng',
    });
    const lmp = new Date(Date.now() - 70 * 86_400_000).toISOString().slice(0, 10);
    const { pregnancy } = await post(`/v1/patients/${patient.id}/pregnancies`, { lmp });
    await post(`/v1/pregnancies/${pregnancy.id}/visits`, {
      visitDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
      systolicBp: 112,
      diastolicBp: 72,
    });
    return { patientId: patient.id as string, pregnancyId: pregnancy.id as string };
  } catch (error) {
    process.stderr.write(`record rows skipped: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** The seeded pregnant woman and child the generator named (its last summary), as patient ids. */
export async function seededPatients(
  gatewayUrl: string,
  headers: Record<string, string>,
): Promise<{ mother: string; child: string | undefined; rows: number }> {
  const file = path.join(defaultDataDir(), 'seed', 'last-summary.json');
  if (!existsSync(file)) throw new Error(`--seeded: no ${file}; run \`npm run seed\` against this platform first`);
  const summary = JSON.parse(readFileSync(file, 'utf8')) as {
    rows: number;
    samples: { pregnantNationalId: string; childNationalId?: string };
  };
  const idOf = async (nationalId: string): Promise<string> => {
    const answer = (await (await fetch(`${gatewayUrl}/v1/patients?nationalId=${nationalId}`, { headers })).json()) as {
      patients?: Array<{ id: string }>;
    };
    const id = answer.patients?.[0]?.id;
    if (!id) throw new Error(`--seeded: patient ${nationalId.slice(0, 6)}… not found; was this platform seeded?`);
    return id;
  };
  const child = summary.samples.childNationalId ? await idOf(summary.samples.childNationalId) : undefined;
  return { mother: await idOf(summary.samples.pregnantNationalId), child, rows: summary.rows };
}
