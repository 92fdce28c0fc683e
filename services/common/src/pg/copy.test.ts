// COPY's text format: values that would break a row (tabs, newlines, backslashes, quotes in arrays) are escaped.
import { copyField, copyLine, json } from './copy';

describe('COPY text format', () => {
  it('escapes what would end a field or a row, and writes NULL as \\N', () => {
    expect(copyField('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField(true)).toBe('t');
    expect(copyField(12.5)).toBe('12.5');
    expect(() => copyField(Number.NaN)).toThrow('non-finite');
  });

  it('writes text arrays as array literals and json(...) values as JSON, an empty one too', () => {
    expect(copyField(['scarred_uterus', 'say "x"', 'back\\slash'])).toBe(
      '{"scarred_uterus","say \\\\"x\\\\"","back\\\\\\\\slash"}',
    );
    expect(copyField([])).toBe('{}');
    expect(copyField(json({ a: 'b\tc' }))).toBe('{"a":"b\\\\tc"}');
    expect(copyField(json([]))).toBe('[]');
    expect(copyField(json(['a']))).toBe('["a"]');
    expect(copyLine(['x', null, 3])).toBe('x\t\\N\t3\n');
  });
});
