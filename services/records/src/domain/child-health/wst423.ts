// A loader for WS/T 423-2022 (7岁以下儿童生长标准) SD tables, for when the standard's tables are obtained: they are
// NOT shipped (not obtainable here, and never to be reconstructed). Each row must carry its source: table number and
// page. The format is the standard's SD layout as one CSV row per sex and age: −3SD … +3SD around the median.
import { DataFileError } from '../data-file';

export interface Wst423Row {
  readonly sex: 'male' | 'female';
  /** Age in months, or length/height in cm for the weight-for-length/height tables. */
  readonly key: number;
  /** −3SD, −2SD, −1SD, median, +1SD, +2SD, +3SD. */
  readonly sd: readonly [number, number, number, number, number, number, number];
  readonly table: string;
  readonly page: number;
}

export const WST423_HEADER = 'sex,key,-3SD,-2SD,-1SD,median,+1SD,+2SD,+3SD,table,page';

/** Parses one indicator's table; every row names its table and page, and the SD values must rise. */
export function parseWst423Table(file: string, text: string): Wst423Row[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
  if (lines[0]?.trim() !== WST423_HEADER) throw new DataFileError(file, 'line 1', `header must be "${WST423_HEADER}"`);
  return lines.slice(1).map((line, i) => {
    const where = `line ${i + 2}`;
    const cells = line.split(',').map((cell) => cell.trim());
    if (cells.length !== 11) throw new DataFileError(file, where, 'needs 11 cells');
    const [sex, key, ...rest] = cells as [string, string, ...string[]];
    if (sex !== 'male' && sex !== 'female') throw new DataFileError(file, where, 'sex must be male or female');
    const numbers = [key, ...rest.slice(0, 7)].map(Number);
    if (numbers.some((n) => !Number.isFinite(n))) throw new DataFileError(file, where, 'key and SD values are numbers');
    const sd = numbers.slice(1) as unknown as Wst423Row['sd'];
    for (let k = 1; k < sd.length; k++)
      if (!((sd[k] as number) > (sd[k - 1] as number)))
        throw new DataFileError(file, where, 'SD values must rise from −3SD to +3SD');
    const table = rest[7] ?? '';
    const page = Number(rest[8]);
    if (!table) throw new DataFileError(file, where, 'names its table (the source of every row)');
    if (!Number.isInteger(page) || page <= 0) throw new DataFileError(file, where, 'names its page');
    return { sex, key: numbers[0] as number, sd, table, page };
  });
}

/** The SD band a value falls in, as the standard's tables are read (e.g. "< -2SD"), for display only. */
export function wst423Band(row: Wst423Row, value: number): string {
  const labels = ['-3SD', '-2SD', '-1SD', 'median', '+1SD', '+2SD', '+3SD'];
  if (value < row.sd[0]) return '< -3SD';
  if (value >= row.sd[6]) return '>= +3SD';
  let k = 0;
  while (k < 6 && value >= (row.sd[k + 1] as number)) k++;
  return `${labels[k]} to ${labels[k + 1]}`;
}
