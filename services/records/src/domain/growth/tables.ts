// The WHO LMS tables as the records service holds them: parsing the tab-separated files of WHO's anthro and
// anthroplus packages (unchanged copies in services/records/data/who-growth/) and finding a row's L, M and S.
import { DataFileError } from '../data-file';
import { Lms } from './lms';

export type Sex = 'male' | 'female';

/** How a table is indexed: whole days, whole months, or length/height in 0.1 cm steps. */
export type TableIndex = 'age-days' | 'age-months' | 'length-cm';

export interface LmsTable {
  readonly file: string;
  readonly index: TableIndex;
  /** Rows per sex keyed by whole days, whole months, or tenths of a centimetre. */
  readonly rows: ReadonlyMap<Sex, ReadonlyMap<number, Lms>>;
  readonly range: ReadonlyMap<Sex, { readonly first: number; readonly last: number }>;
}

/** Each table file, the column that indexes it, and what that column counts. */
export const WHO_TABLE_FILES = {
  weightForAge2006: { file: 'weianthro.txt', column: 'age', index: 'age-days' },
  lengthHeightForAge2006: { file: 'lenanthro.txt', column: 'age', index: 'age-days' },
  bmiForAge2006: { file: 'bmianthro.txt', column: 'age', index: 'age-days' },
  headCircumferenceForAge2006: { file: 'hcanthro.txt', column: 'age', index: 'age-days' },
  weightForLength2006: { file: 'wflanthro.txt', column: 'length', index: 'length-cm' },
  weightForHeight2006: { file: 'wfhanthro.txt', column: 'height', index: 'length-cm' },
  weightForAge2007: { file: 'wfawho2007.txt', column: 'age', index: 'age-months' },
  heightForAge2007: { file: 'hfawho2007.txt', column: 'age', index: 'age-months' },
  bmiForAge2007: { file: 'bfawho2007.txt', column: 'age', index: 'age-months' },
} as const satisfies Record<string, { file: string; column: string; index: TableIndex }>;

export type WhoTableName = keyof typeof WHO_TABLE_FILES;

export type GrowthStandards = Readonly<Record<WhoTableName, LmsTable>>;

/** Tenths of a centimetre as an exact integer key, so 65.3 finds the 65.3 row despite binary fractions. */
export function tenthsOf(lengthCm: number): number {
  return Math.round(lengthCm * 10);
}

/** Parses one WHO table file (tab-separated, header `sex <index> l m s [...]`, sex 1 = boy, 2 = girl). */
export function parseLmsTable(file: string, text: string, column: string, index: TableIndex): LmsTable {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split('\t').map((name) => name.trim());
  const position = (name: string): number => {
    const at = header.indexOf(name);
    if (at < 0) throw new DataFileError(file, 'line 1', `missing column "${name}" (header: ${header.join(', ')})`);
    return at;
  };
  const [sexAt, keyAt, lAt, mAt, sAt] = [
    position('sex'),
    position(column),
    position('l'),
    position('m'),
    position('s'),
  ];
  const rows = new Map<Sex, Map<number, Lms>>([
    ['male', new Map()],
    ['female', new Map()],
  ]);
  lines.slice(1).forEach((line, offset) => {
    const where = `line ${offset + 2}`;
    const cells = line.split('\t');
    const number = (at: number, name: string): number => {
      const value = Number(cells[at]);
      if (cells[at] === undefined || cells[at]?.trim() === '' || !Number.isFinite(value))
        throw new DataFileError(file, where, `"${name}" is not a number`);
      return value;
    };
    const sexCode = number(sexAt, 'sex');
    if (sexCode !== 1 && sexCode !== 2) throw new DataFileError(file, where, `sex must be 1 or 2, not ${sexCode}`);
    const raw = number(keyAt, column);
    const key = index === 'length-cm' ? tenthsOf(raw) : raw;
    if (!Number.isInteger(key) || Math.abs(key - (index === 'length-cm' ? raw * 10 : raw)) > 1e-6) {
      throw new DataFileError(file, where, `"${column}" ${raw} is not on the table's step`);
    }
    const lms = { l: number(lAt, 'l'), m: number(mAt, 'm'), s: number(sAt, 's') };
    if (lms.m <= 0 || lms.s <= 0) throw new DataFileError(file, where, 'M and S must be positive');
    const bySex = rows.get(sexCode === 1 ? 'male' : 'female') as Map<number, Lms>;
    if (bySex.has(key)) throw new DataFileError(file, where, `"${column}" ${raw} appears twice for sex ${sexCode}`);
    bySex.set(key, lms);
  });
  const range = new Map<Sex, { first: number; last: number }>();
  for (const [sex, bySex] of rows) {
    const keys = [...bySex.keys()].sort((a, b) => a - b);
    const first = keys[0];
    const last = keys[keys.length - 1];
    if (first === undefined || last === undefined)
      throw new DataFileError(file, '', `no rows for ${sex === 'male' ? 'boys' : 'girls'}`);
    // Interpolation and exact lookups assume every step is present; a gap would silently misread a neighbour.
    if (keys.length !== last - first + 1)
      throw new DataFileError(file, '', `rows for sex ${sex} are not contiguous from ${first} to ${last}`);
    range.set(sex, { first, last });
  }
  return { file, index, rows, range };
}

/** The row at an exact key; undefined outside the table. */
export function rowAt(table: LmsTable, sex: Sex, key: number): Lms | undefined {
  return table.rows.get(sex)?.get(key);
}
