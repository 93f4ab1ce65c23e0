// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(o: { a: number }): number {
  return o.a;
}
