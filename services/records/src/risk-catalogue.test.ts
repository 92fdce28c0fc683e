import type { CallContext } from '../../common/src/grpc/context';
import { PermissionDeniedError, UnauthenticatedError } from '../../common/src/errors';
import { fieldsOf } from '../../common/test/violations';
import type { ListRiskCatalogueRequest } from '../../common/src/gen/mch/records/v1/records';
import { defaultRecordsDataDir, loadRecordsReferenceData } from './domain/reference-data';
import { findRiskRuleSet } from './domain/risk/rule-set';
import { catalogueItems, conditionCodes, conditionText, listRiskCatalogue } from './risk-catalogue';

const catalogue = loadRecordsReferenceData(defaultRecordsDataDir()).riskRuleSets;
const ruleSet = findRiskRuleSet(catalogue, 'cn-2017-five-colour');

function ctxOf(kind: 'staff' | 'resident' | undefined): CallContext {
  const principal = kind
    ? {
        subject: 'a',
        kind,
        roles: kind === 'staff' ? ['midwife'] : [],
        institutionId: undefined,
        analystScope: undefined,
        patientId: undefined,
        childPatientIds: [],
        tokenId: 't',
      }
    : undefined;
  return { principal } as unknown as CallContext;
}

const request = (fields: Partial<ListRiskCatalogueRequest> = {}): ListRiskCatalogueRequest => ({
  ruleSetId: '',
  table: '',
  colour: '',
  pageSize: 0,
  pageToken: '',
  ...fields,
});
const staff = ctxOf('staff');

describe('the risk catalogue', () => {
  it('lists every line of both tables once: one item per assessment line per colour, then the screening lines', () => {
    const items = catalogueItems(ruleSet);
    expect(items).toHaveLength(ruleSet.rules.length + ruleSet.screening.length);
    expect(new Set(items.map((item) => `${item.table}:${item.id}`)).size).toBe(items.length);
    const assessment = items.filter((item) => item.table === 'assessment');
    expect(assessment.map((item) => item.id)).toEqual(ruleSet.rules.map((rule) => rule.id));
    expect(items.filter((item) => item.table === 'screening').every((item) => item.colour === '')).toBe(true);
    for (const item of items) {
      expect(item.wording).not.toBe('');
      expect(item.source).not.toBe('');
      expect(item.codes.length).toBeGreaterThan(0);
    }
  });

  it('says what each line reads and its condition in words, with the source cited and whether it was confirmed', () => {
    const severe = catalogueItems(ruleSet).find((item) => item.id === 'severe-gestational-hypertension');
    expect(severe).toMatchObject({
      table: 'assessment',
      colour: 'orange',
      section: '橙色 3.7',
      codes: ['metric:systolicBp', 'metric:diastolicBp'],
      condition: 'systolicBp >= 160 or diastolicBp >= 110',
      confirmed: false,
    });
    expect(severe?.source).toMatch(/妊娠期高血压疾病诊治指南（2020）/);
    expect(
      conditionCodes({
        kind: 'all',
        conditions: [
          { kind: 'lab', lab: 'hiv', result: 'positive' } as never,
          { kind: 'finding', finding: 'x' } as never,
        ],
      }),
    ).toEqual(['lab:hiv=positive', 'finding:x']);
    expect(
      conditionText({
        kind: 'all',
        conditions: [
          { kind: 'metric', metric: 'haemoglobin', bounds: { gte: 60, lt: 70 } } as never,
          {
            kind: 'any',
            conditions: [{ kind: 'finding', finding: 'a' } as never, { kind: 'finding', finding: 'b' } as never],
          },
        ],
      }),
    ).toBe('haemoglobin >= 60 and haemoglobin < 70 and (finding:a or finding:b)');
  });

  it('filters by table and colour, and pages through every item without repeating one', () => {
    const orange = listRiskCatalogue(catalogue, request({ colour: 'Orange', pageSize: 200 }), staff);
    expect(orange.items.length).toBe(ruleSet.rules.filter((rule) => rule.colour === 'orange').length);
    expect(orange.items.every((item) => item.colour === 'orange')).toBe(true);
    const screening = listRiskCatalogue(catalogue, request({ table: 'screening', pageSize: 200 }), staff);
    expect(screening.totalItems).toBe(ruleSet.screening.length);

    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = listRiskCatalogue(catalogue, request({ pageSize: 50, pageToken }), staff);
      expect(page).toMatchObject({
        ruleSetId: 'cn-2017-five-colour',
        effectiveFrom: '2017-11-06',
        totalItems: ruleSet.rules.length + ruleSet.screening.length,
      });
      seen.push(...page.items.map((item) => `${item.table}:${item.id}`));
      pageToken = page.nextPageToken;
      pages += 1;
    } while (pageToken && pages < 20);
    expect(seen).toHaveLength(ruleSet.rules.length + ruleSet.screening.length);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('names the field of every bad filter', () => {
    expect(
      fieldsOf(() =>
        listRiskCatalogue(catalogue, request({ table: 'other', colour: 'blue', pageSize: 500 }), staff),
      ).sort(),
    ).toEqual(['colour', 'pageSize', 'table']);
    expect(fieldsOf(() => listRiskCatalogue(catalogue, request({ ruleSetId: 'nope' }), staff))).toEqual(['ruleSetId']);
    const token = listRiskCatalogue(catalogue, request({ pageSize: 10 }), staff).nextPageToken;
    expect(
      fieldsOf(() => listRiskCatalogue(catalogue, request({ pageSize: 10, colour: 'red', pageToken: token }), staff)),
    ).toEqual(['pageToken']);
  });

  it('is for staff accounts: no token is 401, a resident 403', () => {
    expect(() => listRiskCatalogue(catalogue, request(), ctxOf(undefined))).toThrow(UnauthenticatedError);
    expect(() => listRiskCatalogue(catalogue, request(), ctxOf('resident'))).toThrow(PermissionDeniedError);
  });
});
