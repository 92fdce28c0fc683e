import { cellKey, HierarchyRow, recoverableCells, suppressSmallCells } from './suppression';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A prefecture of counties of institutions with counts in each column, totals summed from the leaves. */
function prefecture(
  seed: number,
  columns: readonly string[],
): { rows: HierarchyRow[]; value: (row: string, column: string) => number } {
  const next = random(seed);
  const rows: HierarchyRow[] = [{ id: 'P' }];
  const leaves = new Map<string, Map<string, number>>();
  const counties = 1 + Math.floor(next() * 6);
  for (let c = 0; c < counties; c++) {
    rows.push({ id: `C${c}`, parent: 'P' });
    const institutions = 1 + Math.floor(next() * 5);
    for (let i = 0; i < institutions; i++) {
      const id = `C${c}I${i}`;
      rows.push({ id, parent: `C${c}` });
      // Mostly small counts, some zeros, a few large: the shape of a rural county's year.
      leaves.set(
        id,
        new Map(
          columns.map((column) => {
            const roll = next();
            return [column, roll < 0.2 ? 0 : roll < 0.7 ? 1 + Math.floor(next() * 6) : Math.floor(next() * 80)];
          }),
        ),
      );
    }
  }
  const value = (row: string, column: string): number => {
    const leaf = leaves.get(row);
    if (leaf) return leaf.get(column) ?? 0;
    return rows.filter((each) => each.parent === row).reduce((sum, child) => sum + value(child.id, column), 0);
  };
  return { rows, value };
}

describe('suppressSmallCells', () => {
  it('withholds 1–4, publishes zero and five, and complements a lone withheld part', () => {
    const rows: HierarchyRow[] = [
      { id: 'C' },
      { id: 'a', parent: 'C' },
      { id: 'b', parent: 'C' },
      { id: 'z', parent: 'C' },
    ];
    const counts: Record<string, number> = { C: 30, a: 3, b: 27, z: 0 };
    const result = suppressSmallCells({ rows, columns: ['births'], value: (row) => counts[row] ?? 0 });
    expect([...result.primary]).toEqual([cellKey('a', 'births')]);
    // a alone would be C − b − z; b (27) is the smallest positive part left.
    expect([...result.complementary]).toEqual([cellKey('b', 'births')]);
    expect(result.suppressed.has(cellKey('C', 'births'))).toBe(false);
    expect(result.suppressed.has(cellKey('z', 'births'))).toBe(false);
  });

  it('withholds the total when a withheld cell is its only part, and then a cell beside the total above', () => {
    const rows: HierarchyRow[] = [
      { id: 'P' },
      { id: 'C1', parent: 'P' },
      { id: 'C2', parent: 'P' },
      { id: 'a', parent: 'C1' },
      { id: 'b', parent: 'C2' },
    ];
    const counts: Record<string, number> = { P: 42, C1: 2, C2: 40, a: 2, b: 40 };
    const result = suppressSmallCells({ rows, columns: ['n'], value: (row) => counts[row] ?? 0 });
    // a and C1 are both 2 (primary); P = C1 + C2 then needs C2, and C2 = b needs b.
    expect([...result.suppressed].sort()).toEqual(['C1', 'C2', 'a', 'b'].map((row) => cellKey(row, 'n')).sort());
  });

  it('honours a configured threshold', () => {
    const rows: HierarchyRow[] = [{ id: 'C' }, { id: 'a', parent: 'C' }, { id: 'b', parent: 'C' }];
    const counts: Record<string, number> = { C: 17, a: 7, b: 10 };
    const value = (row: string): number => counts[row] ?? 0;
    expect(suppressSmallCells({ rows, columns: ['n'], value }).suppressed.size).toBe(0);
    expect(suppressSmallCells({ rows, columns: ['n'], value, threshold: 10 }).suppressed.size).toBe(2);
  });

  it('leaves no withheld cell that can be recomputed from the published totals (500 random prefectures)', () => {
    const columns = ['live_births', 'deaths', 'visited'];
    let withheldCells = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const table = prefecture(seed, columns);
      const result = suppressSmallCells({ rows: table.rows, columns, value: table.value });
      for (const column of columns) {
        const withheld = new Set(
          table.rows.map((row) => row.id).filter((row) => result.suppressed.has(cellKey(row, column))),
        );
        withheldCells += withheld.size;
        const recovered = recoverableCells(table.rows, withheld, (row) => table.value(row, column));
        expect({ seed, column, recovered: [...recovered] }).toEqual({ seed, column, recovered: [] });
        // Every primary cell is withheld.
        for (const row of table.rows) {
          const count = table.value(row.id, column);
          if (count > 0 && count < 5) expect(withheld.has(row.id)).toBe(true);
        }
      }
    }
    expect(withheldCells).toBeGreaterThan(500);
  });

  it('the recomputation finds cells withheld by the primary rule alone (the check can fail)', () => {
    let caught = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const table = prefecture(seed, ['n']);
      const primaryOnly = new Set(
        table.rows
          .map((row) => row.id)
          .filter((row) => {
            const count = table.value(row, 'n');
            return count > 0 && count < 5;
          }),
      );
      const recovered = recoverableCells(table.rows, primaryOnly, (row) => table.value(row, 'n'));
      for (const [row, count] of recovered) {
        expect(count).toBe(table.value(row, 'n'));
        caught++;
      }
    }
    expect(caught).toBeGreaterThan(10);
  });
});
