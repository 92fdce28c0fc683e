import { InvalidArgumentError } from '../../../common/src/errors';
import {
  encodePageToken,
  ListInstitutionsInput,
  MAX_PAGE_SIZE,
  parseListInstitutions,
  queryCacheKey,
} from './institutions';
import { fieldsOf } from '../../../common/test/violations';

const counties = new Set(['chuxiong', 'lufeng']);
const input = (overrides: Partial<ListInstitutionsInput> = {}): ListInstitutionsInput => ({
  county: '',
  level: '',
  capability: '',
  near: '',
  pageSize: 0,
  pageToken: '',
  ...overrides,
});

describe('parseListInstitutions', () => {
  it('defaults the page size and accepts friendly level names', () => {
    const query = parseListInstitutions(
      input({ level: 'County', county: 'LUFENG', capability: 'caesarean' }),
      counties,
    );
    expect(query).toMatchObject({
      level: 'COUNTY',
      county: 'lufeng',
      capability: 'caesarean',
      pageSize: 50,
      offset: 0,
    });
  });

  it('names every bad field at once', () => {
    const fields = fieldsOf(() =>
      parseListInstitutions(
        input({
          county: 'atlantis',
          level: 'hamlet',
          capability: 'teleport',
          near: 'abc',
          pageSize: MAX_PAGE_SIZE + 1,
        }),
        counties,
      ),
    );
    expect(fields.sort()).toEqual(['capability', 'county', 'level', 'near', 'pageSize']);
  });

  it('rejects negative page sizes', () => {
    expect(fieldsOf(() => parseListInstitutions(input({ pageSize: -1 }), counties))).toEqual(['pageSize']);
  });

  it('follows its own page tokens and refuses foreign or altered ones', () => {
    const first = parseListInstitutions(input({ county: 'lufeng', pageSize: 10 }), counties);
    const token = encodePageToken(first, 10);
    expect(parseListInstitutions(input({ county: 'lufeng', pageSize: 10, pageToken: token }), counties).offset).toBe(
      10,
    );
    expect(
      fieldsOf(() => parseListInstitutions(input({ county: 'chuxiong', pageSize: 10, pageToken: token }), counties)),
    ).toEqual(['pageToken']);
    expect(fieldsOf(() => parseListInstitutions(input({ pageToken: 'not-a-token' }), counties))).toEqual(['pageToken']);
    const forged = Buffer.from(JSON.stringify({ o: -5, f: 'x' })).toString('base64url');
    expect(fieldsOf(() => parseListInstitutions(input({ pageToken: forged }), counties))).toEqual(['pageToken']);
  });

  it('gives equal queries equal cache keys and different queries different ones', () => {
    const a = parseListInstitutions(input({ near: '25.03,101.55' }), counties);
    const b = parseListInstitutions(input({ near: '25.030,101.550' }), counties);
    const c = parseListInstitutions(input({ near: '25.03,101.56' }), counties);
    expect(queryCacheKey(a)).toBe(queryCacheKey(b));
    expect(queryCacheKey(a)).not.toBe(queryCacheKey(c));
  });
});
