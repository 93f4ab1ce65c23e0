// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(n: number): number {
  const x = n;
  {
    const x = 2;
    n += x;
  }
  return x + n;
}
