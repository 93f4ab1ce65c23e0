// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function half(n: number): number {
  return n / 2;
}
