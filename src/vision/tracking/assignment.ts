/** Result of a gated assignment: matched [row, column] pairs and what was left unmatched. */
export interface Assignment {
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedColumns: number[];
}

const FORBIDDEN = 1e9;

/**
 * Hungarian algorithm (Kuhn–Munkres with potentials, O(n³)) on a square matrix: the column
 * assigned to each row with the least total cost.
 */
function hungarian(cost: number[][]): number[] {
  const n = cost.length;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j]: row matched to column j (1-based), 0 = none
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const current = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (current < minv[j]) {
          minv[j] = current;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const rowToColumn = new Array<number>(n).fill(-1);
  for (let j = 1; j <= n; j++) if (p[j]) rowToColumn[p[j] - 1] = j - 1;
  return rowToColumn;
}

/**
 * Minimum-cost assignment of rows to columns where no pair may cost more than `limit`; rows and
 * columns may stay unmatched. As lapjv's `cost_limit` (which ByteTrack uses): the matrix is extended
 * with dummy rows and columns at `limit / 2`, so any pair costing more than `limit` is worse than
 * leaving both sides unmatched. `columns` is given because a matrix with no rows cannot tell it.
 */
export function assign(cost: number[][], columns: number, limit: number): Assignment {
  const rows = cost.length;
  if (rows === 0 || columns === 0) {
    return { matches: [], unmatchedRows: [...Array(rows).keys()], unmatchedColumns: [...Array(columns).keys()] };
  }
  const n = rows + columns;
  const square: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(FORBIDDEN));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) if (cost[i][j] <= limit) square[i][j] = cost[i][j];
    square[i][columns + i] = limit / 2;
  }
  for (let j = 0; j < columns; j++) {
    square[rows + j][j] = limit / 2;
    for (let k = 0; k < rows; k++) square[rows + j][columns + k] = 0;
  }
  const solution = hungarian(square);
  const matches: Array<[number, number]> = [];
  const matchedColumns = new Set<number>();
  for (let i = 0; i < rows; i++) {
    const j = solution[i];
    if (j >= 0 && j < columns && square[i][j] < FORBIDDEN) {
      matches.push([i, j]);
      matchedColumns.add(j);
    }
  }
  const matchedRows = new Set(matches.map(([i]) => i));
  return {
    matches,
    unmatchedRows: [...Array(rows).keys()].filter((i) => !matchedRows.has(i)),
    unmatchedColumns: [...Array(columns).keys()].filter((j) => !matchedColumns.has(j)),
  };
}
