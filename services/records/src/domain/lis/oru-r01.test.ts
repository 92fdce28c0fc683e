import iconv from 'iconv-lite';
import { defaultRecordsDataDir, loadRiskRuleSets } from '../reference-data';
import { findRiskRuleSet } from '../risk/rule-set';
import { buildAck } from './ack';
import { decodeHl7Frame, Hl7DecodeError, rawMsh18 } from './charset';
import { Hl7MessageError, parseOruR01, problemLocation, residentIdChecks } from './oru-r01';
import { lisResultsAsVisits, regradingSuggestion } from './regrading';

const fiveColour = findRiskRuleSet(loadRiskRuleSets(`${defaultRecordsDataDir()}/risk-rules`), 'cn-2017-five-colour');

// A 楚雄 (532301) resident ID of 1990-03-07 with its GB 11643 check digit.
const NATIONAL_ID = '532301199003070020';

interface MessageParts {
  msh18?: string;
  type?: string;
  version?: string;
  pid3?: string;
  name?: string;
  obx?: string[];
  obr?: string | null;
}

function oru(parts: MessageParts = {}): string {
  const msh = `MSH|^~\\&|LIS|LUFENG_MCH|MCH|ALLIANCE|20261208083000||${parts.type ?? 'ORU^R01^ORU_R01'}|MSG0001|P|${parts.version ?? '2.5'}|||||CHN|${parts.msh18 ?? 'UNICODE UTF-8'}`;
  const pid = `PID|1||${parts.pid3 ?? `${NATIONAL_ID}^^^CHN^NNCHN~0012345^^^LUFENG_MCH^MR`}||${parts.name ?? '李^秀英'}||19900307|F`;
  const obr = parts.obr === null ? [] : [parts.obr ?? 'OBR|1||LAB-77|CBC^血常规^L|||20261207101500'];
  const obx = parts.obx ?? [
    'OBX|1|NM|HGB^血红蛋白^L||98|g/L|110-150|L|||F|||20261207101500',
    'OBX|2|NM|777-3^Platelets^LN||180|10*9/L|100-300|N|||F',
    'OBX|3|ST|HBsAg^乙肝表面抗原^L||阴性||阴性|N|||F',
  ];
  return [msh, pid, ...obr, ...obx].join('\r');
}

const problemsOf = (run: () => unknown): { ack: string; where: string[] } => {
  try {
    run();
  } catch (error) {
    if (error instanceof Hl7MessageError) return { ack: error.ackCode, where: error.problems.map(problemLocation) };
    if (error instanceof Hl7DecodeError) return { ack: 'decode', where: [error.field] };
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('resident ID check digit', () => {
  it('accepts a valid number and refuses one with a wrong check digit', () => {
    expect(residentIdChecks(NATIONAL_ID)).toBe(true);
    expect(residentIdChecks(`${NATIONAL_ID.slice(0, 17)}1`)).toBe(false);
    expect(residentIdChecks('12345')).toBe(false);
  });
});

describe('ORU^R01 mapping', () => {
  it('maps the header, both identifiers, the name and every result with units and reference ranges', () => {
    const message = parseOruR01(oru());
    expect(message.header).toMatchObject({
      sendingApplication: 'LIS',
      sendingFacility: 'LUFENG_MCH',
      controlId: 'MSG0001',
    });
    expect(message.identifiers).toEqual([
      { kind: 'national', value: NATIONAL_ID },
      { kind: 'institution', assigningAuthority: 'LUFENG_MCH', value: '0012345', type: 'MR' },
    ]);
    expect(message.patientName).toBe('李秀英');
    expect(message.birthDate).toBe('1990-03-07');
    expect(message.observations).toHaveLength(3);
    expect(message.observations[0]).toMatchObject({
      code: 'HGB',
      name: '血红蛋白',
      numericValue: 98,
      units: 'g/L',
      referenceRange: '110-150',
      abnormalFlags: ['L'],
      observedOn: '2026-12-07',
      orderCode: 'CBC',
      grading: { metric: 'haemoglobin', value: 98 },
    });
    // OBX-14 empty: the order's OBR-7 dates it.
    expect(message.observations[1]).toMatchObject({
      observedOn: '2026-12-07',
      grading: { metric: 'plateletCount', value: 180 },
    });
    expect(message.observations[2]?.grading).toEqual({ lab: 'HBsAg', result: 'negative' });
  });

  it('converts g/dL haemoglobin and reads dipstick protein and qualitative results', () => {
    const message = parseOruR01(
      oru({
        obx: [
          'OBX|1|NM|718-7^Hemoglobin^LN||9.8|g/dL|11-15|L|||F',
          'OBX|2|ST|PRO^尿蛋白^L||2+||-|A|||C',
          'OBX|3|CWE|5196-1^HBsAg^LN||POS^阳性^L||NEG|A|||F',
        ],
      }),
    );
    expect(message.observations.map((observation) => observation.grading)).toEqual([
      { metric: 'haemoglobin', value: 98 },
      { metric: 'proteinuria', value: 2 },
      { lab: 'HBsAg', result: 'positive' },
    ]);
  });

  it('stores unknown codes as results that no rule reads', () => {
    const message = parseOruR01(oru({ obx: ['OBX|1|NM|GLU^葡萄糖^L||5.1|mmol/L|3.9-6.1|N|||F'] }));
    expect(message.observations[0]).toMatchObject({ code: 'GLU', numericValue: 5.1, units: 'mmol/L' });
    expect(message.observations[0]?.grading).toBeUndefined();
  });

  it('refuses another message type, event or version with AR naming the MSH field', () => {
    expect(problemsOf(() => parseOruR01(oru({ type: 'ADT^A01' })))).toEqual({ ack: 'AR', where: ['MSH-9.1'] });
    expect(problemsOf(() => parseOruR01(oru({ type: 'ORU^R30' })))).toEqual({ ack: 'AR', where: ['MSH-9.2'] });
    expect(problemsOf(() => parseOruR01(oru({ version: '2.3' })))).toEqual({ ack: 'AR', where: ['MSH-12'] });
  });

  it('refuses bad content with AE naming each segment and field, and keeps none of the message', () => {
    expect(problemsOf(() => parseOruR01(oru({ pid3: `${NATIONAL_ID.slice(0, 17)}1^^^CHN^NNCHN` })))).toEqual({
      ack: 'AE',
      where: ['PID-3.1'],
    });
    expect(problemsOf(() => parseOruR01(oru({ pid3: '0012345^^^^MR' })))).toEqual({ ack: 'AE', where: ['PID-3.4'] });
    expect(problemsOf(() => parseOruR01(oru({ name: '' })))).toEqual({ ack: 'AE', where: ['PID-5'] });
    expect(
      problemsOf(() =>
        parseOruR01(
          oru({
            obx: [
              'OBX|1|NM|HGB^Hb^L||98|g/L|||||F',
              'OBX|2|NM|PLT^PLT^L||many|10*9/L|||||F',
              'OBX|3|NM|HGB^Hb^L||98|mmol/L|||||F',
            ],
          }),
        ),
      ),
    ).toEqual({ ack: 'AE', where: ['OBX[2]-5', 'OBX[3]-6'] });
    expect(problemsOf(() => parseOruR01(oru({ obx: ['OBX|1|ST|HIV^HIV^L||maybe||||||F'] })))).toEqual({
      ack: 'AE',
      where: ['OBX-5'],
    });
    expect(problemsOf(() => parseOruR01(oru({ obx: ['OBX|1|NM|HGB^Hb^L||98|g/L|||||P'] })))).toEqual({
      ack: 'AE',
      where: ['OBX-11'],
    });
    expect(problemsOf(() => parseOruR01(oru({ obr: null })))).toEqual({
      ack: 'AE',
      where: ['OBX-1', 'OBX[2]-1', 'OBX[3]-1', 'OBR-1'],
    });
  });
});

describe('MSH-18 character sets', () => {
  const gbFrame = (text: string): Buffer => iconv.encode(text, 'gb18030');

  it('decodes GB18030 and UTF-8 to the same Chinese name and result text', () => {
    const fromGb = parseOruR01(
      decodeHl7Frame(gbFrame(oru({ msh18: 'GB 18030-2000', name: '䶮^彝族·阿依' })), 'utf-8').text,
    );
    const fromUtf8 = parseOruR01(decodeHl7Frame(Buffer.from(oru({ name: '䶮^彝族·阿依' }), 'utf8'), 'utf-8').text);
    expect(fromGb.patientName).toBe('䶮彝族·阿依');
    expect(fromUtf8.patientName).toBe('䶮彝族·阿依');
    expect(fromGb.observations[0]?.name).toBe('血红蛋白');
    expect(decodeHl7Frame(gbFrame(oru({ msh18: 'GBK' })), 'utf-8').charset).toBe('gbk');
  });

  it('reads MSH-18 from the raw bytes and uses the sender default when it is empty', () => {
    expect(rawMsh18(gbFrame(oru({ msh18: 'GB18030' })))).toBe('GB18030');
    const text = oru({ msh18: '' });
    expect(decodeHl7Frame(gbFrame(text), 'gb18030').text).toBe(text);
  });

  it('refuses GB18030 bytes declared as UTF-8, UTF-8 bytes declared as GB18030, and unknown sets, naming MSH-18', () => {
    expect(problemsOf(() => decodeHl7Frame(gbFrame(oru()), 'utf-8'))).toEqual({ ack: 'decode', where: ['MSH-18'] });
    expect(problemsOf(() => decodeHl7Frame(Buffer.from(oru({ msh18: 'GB18030' }), 'utf8'), 'utf-8'))).toEqual({
      ack: 'decode',
      where: ['MSH-18'],
    });
    expect(problemsOf(() => decodeHl7Frame(Buffer.from(oru({ msh18: 'EBCDIC' })), 'utf-8'))).toEqual({
      ack: 'decode',
      where: ['MSH-18'],
    });
    const broken = Buffer.concat([Buffer.from(oru({ msh18: 'GB18030', name: 'X' }).replace('X', ''), 'latin1')]);
    const withStray = Buffer.concat([
      broken.subarray(0, broken.indexOf('||19900307')),
      Buffer.from([0x81, 0x20]),
      broken.subarray(broken.indexOf('||19900307')),
    ]);
    expect(problemsOf(() => decodeHl7Frame(withStray, 'utf-8'))).toEqual({ ack: 'decode', where: ['MSH-18'] });
  });

  it('refuses a decoded name with characters no name has', () => {
    expect(problemsOf(() => parseOruR01(oru({ name: '李^秀\u0001英' })))).toEqual({ ack: 'AE', where: ['PID-5'] });
  });
});

describe('acknowledgement', () => {
  const fields = {
    sendingApplication: 'LIS',
    sendingFacility: 'LUFENG_MCH',
    receivingApplication: 'MCH',
    receivingFacility: 'ALLIANCE',
    controlId: 'MSG0001',
    version: '2.5',
    processingId: 'P',
    charsetName: 'GB18030',
  };

  it('answers AA with the review id in MSA-3, and AE with one ERR per problem', () => {
    const now = new Date('2026-12-08T03:00:00Z');
    expect(buildAck(fields, 'AA', { text: 'review:42', ackControlId: 'A1', now })).toBe(
      'MSH|^~\\&|MCH|ALLIANCE|LIS|LUFENG_MCH|20261208030000||ACK^R01^ACK|A1|P|2.5||||||GB18030\rMSA|AA|MSG0001|review:42',
    );
    const error = problemsOf(() => parseOruR01(oru({ name: '' })));
    expect(error.where).toEqual(['PID-5']);
    const ack = buildAck(fields, 'AE', {
      ackControlId: 'A2',
      now,
      problems: [
        { segment: 'OBX', sequence: 2, field: 6, component: 1, code: 103, description: 'unit "mmol/L" | not accepted' },
      ],
    });
    expect(ack.split('\r')[2]).toBe(
      'ERR||OBX^2^6^1^1|103^Table value not found^HL70357|E||||unit "mmol/L" \\F\\ not accepted',
    );
  });
});

describe('re-grading suggestion', () => {
  const pregnancy = { edd: '2027-05-01', findings: [] as string[] };
  const visit = { visitDate: '2026-11-01', haemoglobin: 120, plateletCount: 200, findings: [] as string[], labs: [] };

  it('suggests a new grade when a result raises the proposal above her confirmed grade', () => {
    const results = parseOruR01(oru({ obx: ['OBX|1|NM|HGB^Hb^L||55|g/L|110-150|LL|||F'] })).observations;
    const suggestion = regradingSuggestion(fiveColour, pregnancy, [visit], results, {
      colour: 'green',
      besideColours: [],
    });
    expect(suggestion?.previousProposal.colour).toBe('green');
    expect(suggestion?.proposal.colour).toBe('orange');
    expect(suggestion?.newRuleIds).toContain('anaemia-severe');
  });

  it('suggests purple beside her colour for a positive HBsAg, HIV or syphilis test', () => {
    for (const obx of [
      'OBX|1|ST|HBsAg^HBsAg^L||阳性||||||F',
      'OBX|1|ST|HIV^HIV^L||阳性||||||F',
      'OBX|1|ST|TPPA^TPPA^L||阳性||||||F',
    ]) {
      const results = parseOruR01(oru({ obx: [obx] })).observations;
      const suggestion = regradingSuggestion(fiveColour, pregnancy, [visit], results, {
        colour: 'green',
        besideColours: [],
      });
      expect(suggestion?.proposal.besideColours).toContain('purple');
    }
  });

  it('stays quiet when the results change nothing, or when she is already graded as proposed', () => {
    const normal = parseOruR01(oru({ obx: ['OBX|1|NM|HGB^Hb^L||125|g/L|||||F'] })).observations;
    expect(
      regradingSuggestion(fiveColour, pregnancy, [visit], normal, { colour: 'green', besideColours: [] }),
    ).toBeUndefined();
    const low = parseOruR01(oru({ obx: ['OBX|1|NM|HGB^Hb^L||55|g/L|||||F'] })).observations;
    expect(
      regradingSuggestion(fiveColour, pregnancy, [visit], low, { colour: 'orange', besideColours: [] }),
    ).toBeUndefined();
  });

  it('reads proteinuria as the picture reads a dipstick', () => {
    expect(lisResultsAsVisits([{ observedOn: '2026-12-07', grading: { metric: 'proteinuria', value: 2 } }])).toEqual([
      { visitDate: '2026-12-07', findings: [], labs: [], proteinuria: 4 },
    ]);
  });
});
