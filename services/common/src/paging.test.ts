import { InvalidArgumentError } from './errors';
import { checkPageSize, decodeOffsetToken, encodeOffsetToken, nextOffsetToken } from './paging';

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations[0]?.field;
    throw error;
  }
  return undefined;
};

describe('paging', () => {
  it('defaults and bounds the page size', () => {
    expect(checkPageSize(0, 100, 20)).toBe(20);
    expect(checkPageSize(100, 100, 20)).toBe(100);
    expect(fieldOf(() => checkPageSize(101, 100, 20))).toBe('pageSize');
    expect(fieldOf(() => checkPageSize(-1, 100, 20))).toBe('pageSize');
  });

  it('round-trips a token for the same filters and refuses it for others', () => {
    const token = encodeOffsetToken({ status: 'open' }, 40);
    expect(decodeOffsetToken(token, { status: 'open' })).toBe(40);
    expect(fieldOf(() => decodeOffsetToken(token, { status: 'merged' }))).toBe('pageToken');
    expect(fieldOf(() => decodeOffsetToken('garbage', {}))).toBe('pageToken');
    expect(fieldOf(() => decodeOffsetToken(Buffer.from('{"o":-1,"f":"x"}').toString('base64url'), {}))).toBe(
      'pageToken',
    );
    expect(decodeOffsetToken('', {})).toBe(0);
  });

  it('gives a next token only when a row beyond the page was fetched', () => {
    expect(nextOffsetToken({}, 0, 20, 20)).toBe('');
    expect(decodeOffsetToken(nextOffsetToken({}, 0, 20, 21), {})).toBe(20);
  });
});
