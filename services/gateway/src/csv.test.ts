import protobuf from 'protobufjs';
import { csvRowsField, toCsv } from './csv';

const root = protobuf.parse(`
  syntax = "proto3";
  message Value { string indicator = 1; string county = 2; int64 numerator = 3; int64 denominator = 4; }
  message Answer { string source = 1; repeated Value values = 2; }
  message Nested { repeated Answer answers = 1; }
`).root;
root.resolveAll();

describe('CSV answers', () => {
  it('renders the repeated flat field with a header in proto order', () => {
    const field = csvRowsField(root.lookupType('Answer'));
    expect(field?.name).toBe('values');
    const csv = toCsv(field as protobuf.Field, {
      source: 'replica',
      values: [
        { indicator: 'anc5', county: 'lufeng', numerator: '12', denominator: '20' },
        { indicator: 'early,reg', county: 'say "hi"' },
      ],
    });
    expect(csv).toBe('indicator,county,numerator,denominator\r\nanc5,lufeng,12,20\r\n"early,reg","say ""hi""",,\r\n');
  });

  it('neutralises spreadsheet formulas but keeps negative numbers', () => {
    const field = csvRowsField(root.lookupType('Answer')) as protobuf.Field;
    expect(toCsv(field, { values: [{ indicator: '=HYPERLINK("x")', county: '-3' }] })).toContain(
      `"'=HYPERLINK(""x"")",-3`,
    );
  });

  it('finds no rows field in a message of nested lists', () => {
    expect(csvRowsField(root.lookupType('Nested'))).toBeUndefined();
  });
});
