// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(a: number, b: number): boolean {
  return a == b;
}
