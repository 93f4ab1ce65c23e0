// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(n: number): number {
  let m = 0;
  const k = (m = n);
  return k + m;
}
