import { InvalidArgumentError } from '../errors';
import { checkRequestText, requestProblem } from './request-text';

const nulCharacterPath = (value: unknown): string | undefined => requestProblem(value)?.path;

describe('unusable values in requests', () => {
  it('names a time outside what a Date holds (a Timestamp of huge seconds decodes to an Invalid Date)', () => {
    expect(requestProblem({ slot: { start: new Date(Number.NaN) } })).toEqual({
      path: 'slot.start',
      description: 'is not a time that can be represented',
    });
    expect(requestProblem({ start: new Date('2026-11-25T00:00:00Z') })).toBeUndefined();
  });

  it('names the field that holds one, however deep', () => {
    expect(nulCharacterPath({ username: 'a\u0000b' })).toBe('username');
    expect(nulCharacterPath({ delivery: { newborns: [{ name: 'ok' }, { name: '\u0000' }] } })).toBe(
      'delivery.newborns[1].name',
    );
    expect(nulCharacterPath({ tags: ['x', 'y\u0000'] })).toBe('tags[1]');
  });

  it('passes ordinary text, bytes, dates and numbers', () => {
    const request = {
      name: '𠮷野家 ǅ \ud83d\ude00',
      data: new Uint8Array([0, 0, 0]),
      at: new Date(0),
      n: 0,
      nested: { empty: '' },
    };
    expect(nulCharacterPath(request)).toBeUndefined();
    expect(checkRequestText(request)).toBe(request);
  });

  it('refuses with INVALID_ARGUMENT and a field violation', () => {
    try {
      checkRequestText({ username: 'x\u0000' });
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).violations).toEqual([
        { field: 'username', description: 'must not contain the NUL character (U+0000)' },
      ]);
    }
  });
});
