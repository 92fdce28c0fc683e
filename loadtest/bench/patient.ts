// A bench patient: a woman with a registered pregnancy and one antenatal visit, written through the gateway.

/** Registers a patient with a pregnancy and one visit; undefined when the records service is not running. */
export async function benchPatient(gatewayUrl: string, headers: Record<string, string>): Promise<{ patientId: string; pregnancyId: string } | undefined> {
  const post = async (route: string, body: unknown): Promise<Record<string, any>> => {
    const response = await fetch(`${gatewayUrl}${route}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': `bench-${Date.now()}-${Math.random()}` }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, any>;
  };
  try {
    const birthDate = `199${Math.floor(Math.random() * 9)}-0${1 + Math.floor(Math.random() * 8)}-1${Math.floor(Math.random() * 9)}`;
    const { patient } = await post('/v1/patients', { name: `bench${Math.random().toString(36).slice(2, 8)}`, birthDate, sex: 'SEX_FEMALE', countyCode: 'lufeng' });
    const lmp = new Date(Date.now() - 70 * 86_400_000).toISOString().slice(0, 10);
    const { pregnancy } = await post(`/v1/patients/${patient.id}/pregnancies`, { lmp });
    await post(`/v1/pregnancies/${pregnancy.id}/visits`, { visitDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), systolicBp: 112, diastolicBp: 72 });
    return { patientId: patient.id as string, pregnancyId: pregnancy.id as string };
  } catch (error) {
    process.stderr.write(`record rows skipped: ${(error as Error).message}\n`);
    return undefined;
  }
}
