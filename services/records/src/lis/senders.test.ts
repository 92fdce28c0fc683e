import { lisSenders } from './senders';

const parse = (raw: string | undefined): unknown => lisSenders().parse(raw, 'MLLP_SENDERS');

describe('MLLP_SENDERS', () => {
  it('reads each sender with its default character set', () => {
    expect(
      parse(
        '[{"sendingApplication":"LIS","sendingFacility":"LUFENG_MCH","addresses":["10.20.0.7"],"defaultCharset":"GB18030"}]',
      ),
    ).toEqual([
      { sendingApplication: 'LIS', sendingFacility: 'LUFENG_MCH', addresses: ['10.20.0.7'], defaultCharset: 'gb18030' },
    ]);
    expect(parse(undefined)).toEqual([]);
  });

  it('names every bad entry at once', () => {
    expect(() =>
      parse(
        '[{"sendingApplication":"LIS","addresses":["lis.example"],"defaultCharset":"EBCDIC"},{"sendingApplication":"LIS","sendingFacility":"A","addresses":["10.0.0.1"]},{"sendingApplication":"LIS","sendingFacility":"A","addresses":["10.0.0.2"]}]',
      ),
    ).toThrow(
      '[0].sendingFacility is required (MSH-4); [0].addresses must list the sender\'s IP addresses; [0].defaultCharset "EBCDIC" is not a known MSH-18 value; [2] repeats MSH-3/MSH-4 LIS|A',
    );
    expect(() => parse('{"a":1}')).toThrow('must be a JSON array of senders');
  });
});
