import { toFastifyPath } from './http-rules';

describe('toFastifyPath', () => {
  it('turns field variables into positional parameters', () => {
    const { path, params } = toFastifyPath('/v1/institutions/{id}/staff');
    expect(path).toBe('/v1/institutions/:p0/staff');
    expect([...params]).toEqual([['p0', 'id']]);
  });

  it('keeps nested field paths and several variables apart', () => {
    const { path, params } = toFastifyPath('/v1/parents/{parent_id}/notes/{note.id}');
    expect(path).toBe('/v1/parents/:p0/notes/:p1');
    expect([...params]).toEqual([
      ['p0', 'parent_id'],
      ['p1', 'note.id'],
    ]);
  });

  it("escapes a custom verb's colon", () => {
    expect(toFastifyPath('/v1/referrals/{id}:accept').path).toBe('/v1/referrals/:p0::accept');
  });

  it('refuses multi-segment variables it cannot serve', () => {
    expect(() => toFastifyPath('/v1/{name=shelves/*/books/*}')).toThrow(/single-segment/);
  });
});
