// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function mask(a: number, b: number): number {
  return a & b;
}
export function shift(a: number): number {
  return a >>> 1;
}
