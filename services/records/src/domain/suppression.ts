// Small-cell suppression of a public release (#31 §3): counts of 1 to threshold − 1 people are withheld (primary),
// and further cells are withheld (complementary) until no withheld cell can be worked out from what is published.
// A table here is a hierarchy of rows per count column: every row with children is published as their sum
// (institutions → county → prefecture), so each parent and its children make one equation. A withheld cell is
// recoverable from one equation when it is the only withheld member; the rule below leaves no equation with exactly
// one, and because the hierarchy is a tree (each row is a child of at most one equation and the total of at most
// one) no combination of equations isolates a cell either (the unit test checks that by elimination).
// Zero is published: it is not a small count of people, and withholding it would hide most of a rural table.

export interface HierarchyRow {
  readonly id: string;
  /** The row this one adds into ('' or undefined: a top total). */
  readonly parent?: string;
}

/** A cell: row id and column (a counted quantity). */
export type CellKey = `${string}\u0000${string}`;

export const cellKey = (row: string, column: string): CellKey => `${row}\u0000${column}`;

export interface SuppressionInput {
  readonly rows: readonly HierarchyRow[];
  readonly columns: readonly string[];
  /** Value of each (row, column); a missing cell counts 0. Parents must equal the sum of their children. */
  readonly value: (row: string, column: string) => number;
  /** Counts below this (and above zero) are withheld; 5 unless set. */
  readonly threshold?: number;
}

export interface SuppressionResult {
  readonly primary: ReadonlySet<CellKey>;
  readonly complementary: ReadonlySet<CellKey>;
  /** primary ∪ complementary. */
  readonly suppressed: ReadonlySet<CellKey>;
}

export const DEFAULT_SUPPRESSION_THRESHOLD = 5;

/** The equations of the hierarchy: each parent with its children. */
export function equationsOf(rows: readonly HierarchyRow[]): { total: string; parts: string[] }[] {
  const children = new Map<string, string[]>();
  const known = new Set(rows.map((row) => row.id));
  for (const row of rows) {
    if (!row.parent) continue;
    if (!known.has(row.parent)) throw new Error(`row ${row.id} adds into unknown row ${row.parent}`);
    children.set(row.parent, [...(children.get(row.parent) ?? []), row.id]);
  }
  return [...children].map(([total, parts]) => ({ total, parts }));
}

/** The cells a public release withholds. Deterministic: the same table always gives the same cells. */
export function suppressSmallCells(input: SuppressionInput): SuppressionResult {
  const threshold = input.threshold ?? DEFAULT_SUPPRESSION_THRESHOLD;
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error('threshold must be a positive integer');
  const equations = equationsOf(input.rows);
  const primary = new Set<CellKey>();
  const suppressed = new Set<CellKey>();
  for (const column of input.columns) {
    const value = (row: string): number => input.value(row, column);
    const withheld = new Set<string>();
    for (const row of input.rows) {
      const count = value(row.id);
      if (count > 0 && count < threshold) {
        withheld.add(row.id);
        primary.add(cellKey(row.id, column));
      }
    }
    // An equation with one withheld member gives it away: withhold another member, the smallest part first (the
    // least information lost), the total when no part is left. Withholding a total can expose its own equation
    // above, so repeat until no equation has exactly one.
    for (let changed = true; changed;) {
      changed = false;
      for (const { total, parts } of equations) {
        const members = [total, ...parts];
        if (members.filter((member) => withheld.has(member)).length !== 1) continue;
        const candidates = parts
          .filter((part) => !withheld.has(part))
          .sort((a, b) => complementRank(value(a)) - complementRank(value(b)) || a.localeCompare(b));
        const chosen = candidates[0] ?? total;
        withheld.add(chosen);
        changed = true;
      }
    }
    for (const row of withheld) suppressed.add(cellKey(row, column));
  }
  const complementary = new Set([...suppressed].filter((key) => !primary.has(key)));
  return { primary, complementary, suppressed };
}

/** Smallest positive count first; zeros last (withholding a zero protects nothing by itself being small). */
function complementRank(count: number): number {
  return count > 0 ? count : Number.MAX_SAFE_INTEGER;
}

/**
 * The withheld cells of one column that the published cells determine, by Gaussian elimination over the
 * hierarchy's equations: what an outsider can recompute from the published totals. Empty for a safe release.
 */
export function recoverableCells(
  rows: readonly HierarchyRow[],
  withheld: ReadonlySet<string>,
  value: (row: string) => number,
): Map<string, number> {
  const unknowns = [...withheld];
  const index = new Map(unknowns.map((row, i) => [row, i]));
  // Each equation: Σ coefficients × unknowns = constant (published members moved to the right).
  const system: { coefficients: number[]; constant: number }[] = equationsOf(rows).map(({ total, parts }) => {
    const coefficients = new Array<number>(unknowns.length).fill(0);
    let constant = 0;
    for (const [member, sign] of [[total, 1] as const, ...parts.map((part) => [part, -1] as const)]) {
      const at = index.get(member);
      if (at === undefined) constant -= sign * value(member);
      else coefficients[at] = (coefficients[at] ?? 0) + sign;
    }
    return { coefficients, constant };
  });
  // Reduced row echelon form; a row with a single non-zero coefficient determines that unknown.
  let pivotRow = 0;
  for (let column = 0; column < unknowns.length && pivotRow < system.length; column++) {
    const found = system.findIndex(
      (equation, i) => i >= pivotRow && Math.abs(equation.coefficients[column] ?? 0) > 1e-9,
    );
    if (found < 0) continue;
    [system[pivotRow], system[found]] = [system[found]!, system[pivotRow]!];
    const pivot = system[pivotRow]!;
    const scale = pivot.coefficients[column]!;
    pivot.coefficients = pivot.coefficients.map((c) => c / scale);
    pivot.constant /= scale;
    for (let i = 0; i < system.length; i++) {
      if (i === pivotRow) continue;
      const other = system[i]!;
      const factor = other.coefficients[column] ?? 0;
      if (Math.abs(factor) < 1e-9) continue;
      other.coefficients = other.coefficients.map((c, j) => c - factor * (pivot.coefficients[j] ?? 0));
      other.constant -= factor * pivot.constant;
    }
    pivotRow++;
  }
  const recovered = new Map<string, number>();
  for (const equation of system) {
    const nonZero = equation.coefficients.flatMap((c, i) => (Math.abs(c) > 1e-9 ? [i] : []));
    if (nonZero.length === 1) {
      const at = nonZero[0]!;
      recovered.set(unknowns[at]!, Math.round(equation.constant / equation.coefficients[at]!));
    }
  }
  return recovered;
}
