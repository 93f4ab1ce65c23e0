// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function find(grid: number[][]): number {
  outer: for (const row of grid) {
    for (const cell of row) {
      if (cell === 0) break outer;
    }
  }
  return 0;
}
