import { InvalidArgumentError } from '../../../common/src/errors';
import { checkChildCheck, checkImagingStudy, checkPostpartumVisit, isDicomUid, withFieldPrefix } from './entry-inputs';
import { defaultRecordsDataDir, loadRecordsReferenceData } from './reference-data';
import { scheduleInForce } from './schedules/schedule';
import { fieldsOf } from '../../../common/test/violations';

const reference = loadRecordsReferenceData(defaultRecordsDataDir());
const postpartum = scheduleInForce(reference.schedules, 'cn-bphs-postpartum', '2026-03-01');
const childHealth = scheduleInForce(reference.schedules, 'cn-bphs-child-health', '2026-03-01');

describe('checkPostpartumVisit', () => {
  const delivery = { deliveryDate: '2026-03-01', dischargeDate: '2026-03-04', schedule: postpartum };
  const base = {
    kind: 'home-visit',
    visitDate: '2026-03-06',
    breastfeeding: 1,
    uterineInvolution: 1,
    lochia: 1,
    wound: 3,
    findings: [] as string[],
    notes: '',
  };

  it('accepts a home visit after discharge and a 42-day check, with the schedule item service and days after delivery', () => {
    expect(checkPostpartumVisit(base, delivery, '2026-03-10')).toMatchObject({
      kind: 'home-visit',
      service: 'postpartum-home-visit',
      daysAfterDelivery: 5,
    });
    expect(
      checkPostpartumVisit({ ...base, kind: 'check-42-day', visitDate: '2026-04-12' }, delivery, '2026-04-20'),
    ).toMatchObject({ service: 'postpartum-check', daysAfterDelivery: 42 });
  });

  it('refuses a visit before the delivery, a home visit before discharge, a future date', () => {
    expect(
      fieldsOf(() =>
        checkPostpartumVisit({ ...base, kind: 'check-42-day', visitDate: '2026-02-28' }, delivery, '2026-03-10'),
      ),
    ).toEqual(['visitDate']);
    expect(fieldsOf(() => checkPostpartumVisit({ ...base, visitDate: '2026-03-02' }, delivery, '2026-03-10'))).toEqual([
      'visitDate',
    ]);
    expect(fieldsOf(() => checkPostpartumVisit({ ...base, visitDate: '2026-03-11' }, delivery, '2026-03-10'))).toEqual([
      'visitDate',
    ]);
  });

  it('names every bad field: unknown kind, negative blood pressure, temperature, enum, finding, notes', () => {
    const fields = fieldsOf(() =>
      checkPostpartumVisit(
        {
          ...base,
          kind: 'antenatal',
          systolicBp: -120,
          diastolicBp: 80.5,
          temperatureC: 50,
          lochia: 9,
          findings: ['mastitis', 'nope'],
          notes: 'x'.repeat(2001),
        },
        delivery,
        '2026-03-10',
      ),
    );
    expect(fields).toEqual(['kind', 'systolicBp', 'diastolicBp', 'temperatureC', 'lochia', 'findings[1]', 'notes']);
  });
});

describe('checkChildCheck', () => {
  it('counts as a child health check unless it names another service of the schedule', () => {
    expect(checkChildCheck({ service: '', development: 1, feeding: 1, notes: '' }, childHealth).service).toBe(
      'child-health-check',
    );
    expect(
      checkChildCheck({ service: 'newborn-home-visit', development: 0, feeding: 0, notes: '' }, childHealth).service,
    ).toBe('newborn-home-visit');
    expect(
      fieldsOf(() =>
        checkChildCheck({ service: 'dental', development: 7, feeding: -1, haemoglobin: -5, notes: '' }, childHealth),
      ),
    ).toEqual(['service', 'development', 'feeding', 'haemoglobin']);
  });

  it('prefixes the fields of a nested message', () => {
    expect(
      fieldsOf(() =>
        withFieldPrefix('growth.', () =>
          checkChildCheck({ service: '', development: 0, feeding: 0, haemoglobin: 0, notes: '' }, childHealth),
        ),
      ),
    ).toEqual(['growth.haemoglobin']);
  });
});

describe('checkImagingStudy', () => {
  const base = {
    studyInstanceUid: '1.2.840.113619.2.55.3.604688119.969.1268071029.320',
    modality: 'us',
    studyDate: '2026-02-01',
    objectId: '',
    findings: '',
  };
  const pregnancy = { lmp: '2026-01-01' };

  it('accepts a DICOM UID, normalises the modality and the object id', () => {
    const id = 'AB'.repeat(32);
    expect(checkImagingStudy({ ...base, objectId: id }, pregnancy, '2026-03-01')).toEqual({
      studyInstanceUid: base.studyInstanceUid,
      modality: 'US',
      studyDate: '2026-02-01',
      objectId: id.toLowerCase(),
    });
    expect(checkImagingStudy(base, pregnancy, '2026-03-01').objectId).toBeUndefined();
  });

  it('validates UID syntax: root 0-2, no leading zeros, no empty component, at most 64 characters', () => {
    expect(isDicomUid('1.2.840.10008.1.2.1')).toBe(true);
    expect(isDicomUid('2.25.0')).toBe(true);
    for (const uid of ['3.1', '1', '1.02.3', '1..2', '1.2.', '1.2.a', ` 1.2`, `1.${'2'.repeat(63)}`])
      expect(isDicomUid(uid)).toBe(false);
    expect(isDicomUid(`1.${'2'.repeat(62)}`)).toBe(true);
  });

  it('names every bad field', () => {
    const fields = fieldsOf(() =>
      checkImagingStudy(
        { studyInstanceUid: '1.2.03', modality: 'XRAY', studyDate: '2025-12-01', objectId: 'abc', findings: '' },
        pregnancy,
        '2026-03-01',
      ),
    );
    expect(fields).toEqual(['studyInstanceUid', 'modality', 'studyDate', 'objectId']);
    expect(
      fieldsOf(() =>
        checkImagingStudy(
          { ...base, studyInstanceUid: `1.${'2'.repeat(63)}`, studyDate: '2026-03-02' },
          pregnancy,
          '2026-03-01',
        ),
      ),
    ).toEqual(['studyInstanceUid', 'studyDate']);
  });
});
