// The risk catalogue through the gateway: a midwife reads the form's orange lines page by page, with wording,
// codes and source; a bad filter is a 400 naming it; without a token it is 401 (residents: 403, the matrix).
import { api, call, fieldsOf, loginAll } from './support';

describe('GET /v1/risk-catalogue', () => {
  beforeAll(() => loginAll(['lufeng.midwife']));

  it('pages through the orange lines of the national form in force, each with its wording, codes and source', async () => {
    const first = await call('lufeng.midwife', 'GET', '/v1/risk-catalogue?colour=orange&pageSize=25');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ruleSetId: 'cn-2017-five-colour', effectiveFrom: '2017-11-06' });
    const items = [...first.body.items];
    expect(items).toHaveLength(25);
    const second = await call(
      'lufeng.midwife',
      'GET',
      `/v1/risk-catalogue?colour=orange&pageSize=25&pageToken=${encodeURIComponent(first.body.nextPageToken)}`,
    );
    expect(second.status).toBe(200);
    items.push(...second.body.items);
    expect(items).toHaveLength(first.body.totalItems);
    expect(items.every((item: { colour: string }) => item.colour === 'orange')).toBe(true);
    expect(items.find((item: { id: string }) => item.id === 'severe-pre-eclampsia')).toMatchObject({
      table: 'assessment',
      section: '橙色 3.7',
      wording: '重度子痫前期、慢性高血压合并子痫前期',
    });
  });

  it('answers a bad filter with 400 naming the field', async () => {
    const answer = await call('lufeng.midwife', 'GET', '/v1/risk-catalogue?colour=blue&table=x');
    expect(answer.status).toBe(400);
    expect(fieldsOf(answer).sort()).toEqual(['colour', 'table']);
  });

  it('needs a staff token', async () => {
    expect((await api.call('GET', '/v1/risk-catalogue')).status).toBe(401);
  });
});
