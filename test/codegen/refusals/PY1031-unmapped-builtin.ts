// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function when(n: number): number {
  return Math.round(n) + Date.now();
}
