// After the birth, through the gateway: postpartum visits (only after a delivery; the handbook's postpartum items
// done), child health checks with a growth measurement in the same version (the handbook's child checks done),
// imaging study references, the record read cache (a read after a write sees it; every read audited) and the
// coverage statistics. Each new route: happy path, stale version 409, idempotent retry, 400 naming the field with
// nothing written.
import Redis from 'ioredis';
import { GetPatientRecordResponse } from '../../common/src/gen/mch/records/v1/records';
import { HttpAnswer } from '../../identity/test/support';
import { waitFor } from '../../common/test/processes';
import {
  call,
  certificate,
  daysBefore,
  fieldsOf,
  loginAll,
  newMother,
  ok,
  platform,
  recordOf,
  recordsAuditOf,
  today,
  uploadFor,
} from './support';

const STUDY_UID = '1.2.840.113619.2.55.3.604688119.969.1268071029.320';

let motherId: string;
let pregnancyId: string;
let childId: string;
let version: number;

/** Refused with 400 naming exactly `fields`, or with `status`, and the mother's or child's record unchanged. */
async function refused(
  patientId: string,
  attempt: () => Promise<HttpAnswer>,
  status: number,
  fields?: string[],
): Promise<HttpAnswer> {
  const before = await recordOf('pref.clinician', patientId);
  const answer = await attempt();
  expect(answer.status).toBe(status);
  if (fields) expect(fieldsOf(answer).sort()).toEqual([...fields].sort());
  const after = await recordOf('pref.clinician', patientId);
  expect(after.version).toBe(before.version);
  expect(after).toEqual(before);
  return answer;
}

beforeAll(async () => {
  await loginAll(['lufeng.midwife', 'pref.clinician', 'lufeng.analyst', 'shuangbai.midwife']);
  // Delivered 50 days ago (discharged 47 days ago), so both postpartum windows have opened.
  motherId = await newMother('1991-08-23');
  const registered = await ok(
    call('lufeng.midwife', 'POST', `/v1/patients/${motherId}/pregnancies`, {
      lmp: daysBefore(330),
      registeredOn: daysBefore(260),
    }),
  );
  pregnancyId = registered.pregnancy.id;
  version = registered.recordVersion;
});

describe('postpartum visits', () => {
  it('are refused before the delivery with 409 naming the state, writing nothing', async () => {
    const answer = await refused(
      motherId,
      () =>
        call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/postpartum-visits`, {
          kind: 'home-visit',
          visitDate: daysBefore(1),
        }),
      409,
    );
    expect(answer.body.status).toBe('FAILED_PRECONDITION');
    expect(answer.body.message).toContain('active');
  });

  it('after the delivery: the home visit and the 42-day check are recorded and the handbook marks both done', async () => {
    const delivered = await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancyId}/delivery`, {
        deliveryDate: daysBefore(50),
        dischargeDate: daysBefore(47),
        mode: 'DELIVERY_MODE_VAGINAL',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
        newborns: [
          { sex: 'CHILD_SEX_FEMALE', birthCertificateNumber: certificate(), birthWeightGrams: 3200, birthLengthCm: 50 },
        ],
      }),
    );
    childId = delivered.delivery.newborns[0].childPatientId;
    version = delivered.recordVersion;
    const before = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${motherId}/handbook`));
    const postpartumOf = (handbook: any): Record<string, string> =>
      Object.fromEntries(
        handbook.sections
          .find((s: { kind: string }) => s.kind === 'postpartum')
          .items.map((i: { itemId: string; status: string }) => [i.itemId, i.status]),
      );
    expect(postpartumOf(before)).toEqual({ 'home-visit': 'not-applicable', 'check-42-day': 'due' });

    const home = await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/postpartum-visits`, {
        kind: 'home-visit',
        visitDate: daysBefore(44),
        systolicBp: 118,
        diastolicBp: 76,
        temperatureC: 36.8,
        breastfeeding: 'BREASTFEEDING_EXCLUSIVE',
        uterineInvolution: 'EXAM_FINDING_NORMAL',
        lochia: 'EXAM_FINDING_NORMAL',
        wound: 'EXAM_FINDING_NOT_APPLICABLE',
        findings: ['breast_engorgement'],
        expectedVersion: version,
      }),
    );
    expect(home.recordVersion).toBe(version + 1);
    expect(home.visit).toMatchObject({
      kind: 'home-visit',
      daysAfterDelivery: 6,
      temperatureC: 36.8,
      breastfeeding: 'BREASTFEEDING_EXCLUSIVE',
      findings: ['breast_engorgement'],
    });
    const check = await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/postpartum-visits`, {
        kind: 'check-42-day',
        visitDate: daysBefore(7),
        systolicBp: 112,
        diastolicBp: 70,
      }),
    );
    version = check.recordVersion;

    const after = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${motherId}/handbook`));
    expect(after.recordVersion).toBe(version);
    expect(postpartumOf(after)).toEqual({ 'home-visit': 'done', 'check-42-day': 'done' });
    const record = await recordOf('lufeng.midwife', motherId);
    expect(record.pregnancies[0].postpartumVisits.map((v: { kind: string }) => v.kind)).toEqual([
      'home-visit',
      'check-42-day',
    ]);
    const history = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${motherId}/record/history`));
    expect(history.versions[0]).toMatchObject({ version, change: 'postpartum.visit' });
    expect((await recordsAuditOf(motherId)).filter((e) => e.action === 'record.postpartum.visit')).toHaveLength(2);
  });

  it('refuses bad input with 400 naming the field and writes nothing', async () => {
    const route = `/v1/pregnancies/${pregnancyId}/postpartum-visits`;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ kind: 'check-42-day', visitDate: daysBefore(51) }, ['visitDate']],
      [{ kind: 'home-visit', visitDate: daysBefore(48) }, ['visitDate']],
      [
        { kind: 'home-visit', visitDate: daysBefore(40), systolicBp: -110, temperatureC: -1 },
        ['systolicBp', 'temperatureC'],
      ],
      [{ kind: 'antenatal', visitDate: daysBefore(40), findings: ['nope'] }, ['kind', 'findings[0]']],
    ];
    for (const [body, fields] of cases)
      await refused(motherId, () => call('lufeng.midwife', 'POST', route, body), 400, fields);
  });

  it('a stale version is 409 ABORTED; a repeated key replays the first answer', async () => {
    const route = `/v1/pregnancies/${pregnancyId}/postpartum-visits`;
    const stale = await refused(
      motherId,
      () =>
        call('lufeng.midwife', 'POST', route, {
          kind: 'check-42-day',
          visitDate: daysBefore(3),
          expectedVersion: version - 1,
        }),
      409,
    );
    expect(stale.body.status).toBe('ABORTED');
    const key = { 'idempotency-key': `postpartum-${pregnancyId}` };
    const body = {
      kind: 'check-42-day',
      visitDate: daysBefore(2),
      notes: 'follow-up of the 42-day check',
      expectedVersion: version,
    };
    const first = await ok(call('lufeng.midwife', 'POST', route, body, key));
    // The answer was lost and the client retries with the same key, although the version has since moved on.
    expect(await ok(call('lufeng.midwife', 'POST', route, body, key))).toEqual(first);
    version = first.recordVersion;
    expect((await recordOf('lufeng.midwife', motherId)).pregnancies[0].postpartumVisits).toHaveLength(3);
  });
});

describe('child health checks', () => {
  let childVersion: number;

  it('records the newborn home visit with a measurement (same version) and the month check; the handbook counts both', async () => {
    childVersion = (await recordOf('lufeng.midwife', childId)).version;
    const home = await ok(
      call('lufeng.midwife', 'POST', `/v1/children/${childId}/checks`, {
        checkedOn: daysBefore(45),
        service: 'newborn-home-visit',
        development: 'MILESTONE_STATUS_OK',
        feeding: 'CHILD_FEEDING_EXCLUSIVE_BREASTFEEDING',
        growth: { weightKg: 3.4, lengthHeightCm: 51 },
        expectedVersion: childVersion,
      }),
    );
    expect(home.recordVersion).toBe(childVersion + 1);
    expect(home.check).toMatchObject({
      service: 'newborn-home-visit',
      ageDays: 5,
      development: 'MILESTONE_STATUS_OK',
      growthMeasurementId: home.measurement.id,
    });
    expect(home.measurement.zScores.map((z: { indicator: string }) => z.indicator)).toEqual(
      expect.arrayContaining(['weight-for-age', 'length-height-for-age']),
    );
    const month = await ok(
      call('lufeng.midwife', 'POST', `/v1/children/${childId}/checks`, {
        checkedOn: daysBefore(21),
        haemoglobin: 142,
        notes: 'well',
      }),
    );
    childVersion = month.recordVersion;
    expect(month.check).toMatchObject({ service: 'child-health-check', ageDays: 29, haemoglobin: 142 });
    expect(month.measurement).toBeUndefined();

    const record = await recordOf('lufeng.midwife', childId);
    expect(record.child.checks).toHaveLength(2);
    expect(record.child.growth.map((g: { id: string }) => g.id)).toEqual([home.measurement.id]);
    const handbook = await ok(call('lufeng.midwife', 'GET', `/v1/patients/${childId}/handbook`));
    const items = handbook.sections.find((s: { kind: string }) => s.kind === 'child').items;
    const item = (id: string) => items.find((i: { itemId: string }) => i.itemId === id);
    expect(item('newborn-home-visit')).toMatchObject({ status: 'done', doneOn: daysBefore(45) });
    expect(item('check-28-30-days')).toMatchObject({ status: 'done', doneOn: daysBefore(21) });
  });

  it('refuses bad input with 400 naming the field (nested measurement fields too) and writes nothing', async () => {
    const route = `/v1/children/${childId}/checks`;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ checkedOn: daysBefore(51) }, ['checkedOn']],
      [{ checkedOn: daysBefore(1), growth: { weightKg: -3.1 } }, ['growth.weightKg']],
      [{ checkedOn: daysBefore(1), service: 'dental', haemoglobin: -90 }, ['service', 'haemoglobin']],
    ];
    for (const [body, fields] of cases)
      await refused(childId, () => call('lufeng.midwife', 'POST', route, body), 400, fields);
  });

  it('a stale version is 409 ABORTED; a repeated key replays the first answer', async () => {
    const route = `/v1/children/${childId}/checks`;
    const stale = await refused(
      childId,
      () => call('lufeng.midwife', 'POST', route, { checkedOn: daysBefore(1), expectedVersion: childVersion - 1 }),
      409,
    );
    expect(stale.body.status).toBe('ABORTED');
    const key = { 'idempotency-key': `check-${childId}` };
    const body = { checkedOn: daysBefore(1), growth: { weightKg: 4.6 }, expectedVersion: childVersion };
    const first = await ok(call('lufeng.midwife', 'POST', route, body, key));
    expect(await ok(call('lufeng.midwife', 'POST', route, body, key))).toEqual(first);
    const record = await recordOf('lufeng.midwife', childId);
    expect(record.version).toBe(first.recordVersion);
    expect(record.child.checks).toHaveLength(3);
    expect(record.child.growth).toHaveLength(2);
  });
});

describe('imaging study references', () => {
  const route = () => `/v1/pregnancies/${pregnancyId}/imaging`;

  it('records a PACS study with its object id; the record shows it', async () => {
    const OBJECT_ID = await uploadFor('lufeng.midwife', motherId);
    const body = await ok(
      call('lufeng.midwife', 'POST', route(), {
        studyInstanceUid: STUDY_UID,
        modality: 'us',
        studyDate: daysBefore(200),
        objectId: OBJECT_ID.toUpperCase(),
        findings: 'singleton, growth on the 50th centile',
        expectedVersion: version,
      }),
    );
    expect(body.recordVersion).toBe(version + 1);
    version = body.recordVersion;
    expect(body.study).toMatchObject({
      studyInstanceUid: STUDY_UID,
      modality: 'US',
      studyDate: daysBefore(200),
      objectId: OBJECT_ID,
    });
    const record = await recordOf('shuangbai.midwife', motherId);
    expect(record.pregnancies[0].imagingStudies).toEqual([
      expect.objectContaining({ studyInstanceUid: STUDY_UID, objectId: OBJECT_ID }),
    ]);
    const again = await refused(
      motherId,
      () =>
        call('lufeng.midwife', 'POST', route(), {
          studyInstanceUid: STUDY_UID,
          modality: 'US',
          studyDate: daysBefore(199),
        }),
      409,
    );
    expect(again.body.status).toBe('ALREADY_EXISTS');
  });

  it('refuses a bad UID, modality, date or object id with 400 naming each field, writing nothing', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ studyInstanceUid: '1.2.840.0113619', modality: 'US', studyDate: daysBefore(10) }, ['studyInstanceUid']],
      [{ studyInstanceUid: `1.${'2'.repeat(63)}`, modality: 'US', studyDate: daysBefore(10) }, ['studyInstanceUid']],
      [
        { studyInstanceUid: '1.2.3', modality: 'XRAY', studyDate: daysBefore(340), objectId: 'not-a-sha256' },
        ['modality', 'studyDate', 'objectId'],
      ],
    ];
    for (const [body, fields] of cases)
      await refused(motherId, () => call('lufeng.midwife', 'POST', route(), body), 400, fields);
  });

  it('refuses an object id the object store does not hold for her (absent, or stored for another woman) with 400 objectId', async () => {
    const other = await newMother('1991-03-04');
    const hers = await uploadFor('lufeng.midwife', other);
    const absent = 'c'.repeat(64);
    for (const objectId of [absent, hers]) {
      // Both ids are well-formed: only the object store's answer can refuse them.
      await refused(
        motherId,
        () =>
          call('lufeng.midwife', 'POST', route(), {
            studyInstanceUid: `2.25.${Date.now()}`,
            modality: 'US',
            studyDate: daysBefore(20),
            objectId,
          }),
        400,
        ['objectId'],
      );
    }
  });

  it('a stale version is 409 ABORTED; a repeated key replays the first answer', async () => {
    const stale = await refused(
      motherId,
      () =>
        call('lufeng.midwife', 'POST', route(), {
          studyInstanceUid: '1.2.3.4',
          modality: 'US',
          studyDate: daysBefore(100),
          expectedVersion: version - 1,
        }),
      409,
    );
    expect(stale.body.status).toBe('ABORTED');
    const key = { 'idempotency-key': `imaging-${pregnancyId}` };
    const body = {
      studyInstanceUid: '2.25.329800735698586629295641978511506172918',
      modality: 'MR',
      studyDate: daysBefore(90),
    };
    const first = await ok(call('lufeng.midwife', 'POST', route(), body, key));
    expect(await ok(call('lufeng.midwife', 'POST', route(), body, key))).toEqual(first);
    version = first.recordVersion;
    expect((await recordOf('lufeng.midwife', motherId)).pregnancies[0].imagingStudies).toHaveLength(2);
  });
});

describe('record reads', () => {
  it('come from the cache under (patient, version, visibility, day); a read after a write sees it; every read is audited', async () => {
    const readsBefore = (await recordsAuditOf(motherId)).filter((e) => e.action.startsWith('record.read')).length;
    const first = await recordOf('lufeng.midwife', motherId);
    const redis = new Redis(platform.redisUrl);
    const keys = await redis.keys(`records:record:${motherId}:v${first.version}:full:${today}:*`);
    expect(keys).toHaveLength(1);
    // Plant a marker in the cached entry: the next read returns it, so it came from Redis.
    const cached = GetPatientRecordResponse.decode((await redis.getBuffer(keys[0] as string)) as Buffer);
    const marked = {
      ...cached,
      record: {
        ...cached.record!,
        pregnancies: cached.record!.pregnancies.map((p) => ({ ...p, registeredOn: 'from-the-cache' })),
      },
    };
    await redis.set(keys[0] as string, Buffer.from(GetPatientRecordResponse.encode(marked).finish()), 'KEEPTTL');
    expect((await recordOf('lufeng.midwife', motherId)).pregnancies[0].registeredOn).toBe('from-the-cache');
    // An outsider's answer is another entry (sensitive parts withheld), never the treating team's.
    const outsider = await recordOf('shuangbai.midwife', motherId);
    expect(outsider.sensitiveWithheld).toBe(true);
    expect(outsider.pregnancies[0].registeredOn).not.toBe('from-the-cache');
    expect(await redis.keys(`records:record:${motherId}:v${first.version}:restricted:${today}:*`)).toHaveLength(1);
    redis.disconnect();

    const written = await ok(
      call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancyId}/postpartum-visits`, {
        kind: 'check-42-day',
        visitDate: today,
      }),
    );
    const after = await recordOf('lufeng.midwife', motherId);
    expect(after.version).toBe(written.recordVersion);
    expect(after.pregnancies[0].registeredOn).not.toBe('from-the-cache');
    expect(after.pregnancies[0].postpartumVisits.map((v: { id: string }) => v.id)).toContain(written.visit.id);
    const reads = (await recordsAuditOf(motherId)).filter((e) => e.action.startsWith('record.read'));
    // refused() reads twice per case; here: four reads in this test.
    expect(reads.length - readsBefore).toBe(4);
    expect(reads.filter((e) => e.action === 'record.read.non-sensitive').length).toBeGreaterThanOrEqual(2);
  });

  it('concurrent reads are each audited once (their events share group commits)', async () => {
    const before = (await recordsAuditOf(motherId)).filter((e) => e.action.startsWith('record.read')).length;
    const answers = await Promise.all(
      Array.from({ length: 25 }, () => call('lufeng.midwife', 'GET', `/v1/patients/${motherId}/record`)),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 25 }, () => 200));
    const after = (await recordsAuditOf(motherId)).filter((e) => e.action.startsWith('record.read'));
    expect(after.length - before).toBe(25);
    expect(new Set(after.slice(0, 25).map((e) => e.requestId)).size).toBe(25);
  });
});

describe('coverage statistics', () => {
  it('postpartum visit, child check and immunization coverage by county and month, with numerators and denominators', async () => {
    const month = daysBefore(50).slice(0, 7);
    let stats: any;
    const of = (indicator: string) => stats.values.filter((v: { indicator: string }) => v.indicator === indicator);
    // The rollups follow the writes within seconds.
    await waitFor(
      async () => {
        stats = await ok(
          call('lufeng.analyst', 'GET', `/v1/statistics?county=lufeng&from=${daysBefore(400).slice(0, 7)}`),
        );
        return (
          Number(of('postpartum_visit_coverage').find((v: { month: string }) => v.month === month)?.numerator ?? 0) >= 1
        );
      },
      20_000,
      'the postpartum visit in the statistics',
    );
    const postpartum = of('postpartum_visit_coverage').find((v: { month: string }) => v.month === month);
    expect(Number(postpartum.numerator)).toBeGreaterThanOrEqual(1);
    expect(Number(postpartum.numerator)).toBeLessThanOrEqual(Number(postpartum.denominator));
    expect(postpartum.definition).toContain('÷');
    const checkMonth = daysBefore(50 - 31).slice(0, 7);
    const checks = of('child_check_coverage').filter((v: { month: string }) => v.month <= checkMonth);
    expect(
      checks.reduce((n: number, v: { numerator?: string }) => n + Number(v.numerator ?? 0), 0),
    ).toBeGreaterThanOrEqual(1);
    expect(of('immunization_coverage').length).toBeGreaterThan(0);
    for (const value of [
      ...of('child_check_coverage'),
      ...of('immunization_coverage'),
      ...of('postpartum_42_day_check_coverage'),
    ]) {
      expect(value.county).toBe('lufeng');
      // Zero int64 values are left out of the JSON.
      expect(Number(value.numerator ?? 0)).toBeLessThanOrEqual(Number(value.denominator));
    }
    // Referral's indicators join when the referral service runs; without it the answer names what is missing.
    if (platform.serviceAddresses.referral !== undefined) expect(stats.unavailable ?? []).toEqual([]);
    else expect(stats.unavailable).toEqual([expect.stringContaining('referral')]);
  });

  it('national indicators: twins by caesarean add two live births, by county and by institution, with their definitions', async () => {
    const month = daysBefore(10).slice(0, 7);
    const query = (groupBy: string) =>
      `/v1/statistics?county=lufeng&from=${month}&to=${month}&groupBy=${groupBy}&indicators=live_births&indicators=caesarean_rate&indicators=antenatal_check_rate`;
    type Value = {
      indicator: string;
      institutionId?: string;
      numerator?: string;
      denominator?: string;
      unit?: string;
      confirmation?: string;
    };
    const sums = (values: Value[]): Record<string, [number, number]> => {
      const out: Record<string, [number, number]> = {};
      for (const v of values) {
        const sum = (out[v.indicator] ??= [0, 0]);
        sum[0] += Number(v.numerator ?? 0);
        sum[1] += Number(v.denominator ?? 0);
      }
      return out;
    };
    const before = sums((await ok(call('lufeng.analyst', 'GET', query('county')))).values ?? []);
    const mother = await newMother('1993-02-11');
    const pregnancy = (
      await ok(
        call('lufeng.midwife', 'POST', `/v1/patients/${mother}/pregnancies`, {
          lmp: daysBefore(280),
          registeredOn: daysBefore(200),
        }),
      )
    ).pregnancy.id;
    await ok(call('lufeng.midwife', 'POST', `/v1/pregnancies/${pregnancy}/visits`, { visitDate: daysBefore(150) }));
    await ok(
      call('pref.clinician', 'POST', `/v1/pregnancies/${pregnancy}/delivery`, {
        deliveryDate: daysBefore(10),
        mode: 'DELIVERY_MODE_CAESAREAN',
        outcome: 'PREGNANCY_OUTCOME_LIVE_BIRTH',
        placeOfDelivery: 'PLACE_OF_DELIVERY_COUNTY_HOSPITAL',
        newborns: [
          { sex: 'CHILD_SEX_FEMALE', birthCertificateNumber: certificate(), birthWeightGrams: 2300 },
          { sex: 'CHILD_SEX_MALE', birthCertificateNumber: certificate(), birthWeightGrams: 2450 },
        ],
      }),
    );
    const grown = (now: Record<string, [number, number]>, indicator: string): [number, number] => [
      (now[indicator]?.[0] ?? 0) - (before[indicator]?.[0] ?? 0),
      (now[indicator]?.[1] ?? 0) - (before[indicator]?.[1] ?? 0),
    ];
    let county: Value[] = [];
    await waitFor(
      async () => {
        county = (await ok(call('lufeng.analyst', 'GET', query('county')))).values ?? [];
        return grown(sums(county), 'live_births')[0] >= 2;
      },
      20_000,
      'the twins in the statistics',
    );
    const after = sums(county);
    // Hand-worked: two live births; the mother once in the numerator of antenatal checks over the two; both by caesarean.
    expect(grown(after, 'live_births')).toEqual([2, 0]);
    expect(grown(after, 'antenatal_check_rate')).toEqual([1, 2]);
    expect(grown(after, 'caesarean_rate')).toEqual([2, 2]);
    expect(county.find((v) => v.indicator === 'antenatal_check_rate')).toMatchObject({
      unit: '%',
      confirmation: 'confirmed',
    });
    // The answer's catalogue defines each indicator once, with its source.
    const catalogue = (await ok(call('lufeng.analyst', 'GET', query('county')))).catalogue as Array<{
      indicator: string;
      denominator: string;
      source: string;
    }>;
    expect(catalogue.map((d) => d.indicator).sort()).toEqual(['antenatal_check_rate', 'caesarean_rate', 'live_births']);
    expect(catalogue.find((d) => d.indicator === 'antenatal_check_rate')).toMatchObject({
      denominator: 'live births (活产数)',
      source: expect.stringContaining('卫统41'),
    });
    // By institution the same totals, split by where the care was given: the delivering institution has the births.
    const byInstitution = (await ok(call('lufeng.analyst', 'GET', query('institution')))).values as Value[];
    expect(sums(byInstitution)).toEqual(after);
    expect(
      byInstitution.filter((v) => v.indicator === 'live_births').every((v) => (v.institutionId ?? '') !== ''),
    ).toBe(true);
    // The reporting year holds the month.
    const year = await ok(
      call(
        'lufeng.analyst',
        'GET',
        `/v1/statistics?county=lufeng&from=${month}&to=${month}&period=year&indicators=live_births`,
      ),
    );
    expect(year.values.map((v: { period: string }) => v.period)).toEqual([
      String(Number(month.slice(5, 7)) >= 10 ? Number(month.slice(0, 4)) + 1 : Number(month.slice(0, 4))),
    ]);
  });

  it('refuses an unknown grouping, period or indicator with 400 naming the field', async () => {
    for (const [query, field] of [
      ['groupBy=town', 'groupBy'],
      ['period=week', 'period'],
      ['indicators=happiness', 'indicators[0]'],
    ] as const) {
      const answer = await call('lufeng.analyst', 'GET', `/v1/statistics?county=lufeng&${query}`);
      expect(answer.status).toBe(400);
      expect(fieldsOf(answer)).toContain(field);
    }
  });
});
