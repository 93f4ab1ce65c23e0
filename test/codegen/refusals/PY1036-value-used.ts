// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(m: Map<string, number>, a: number[]): number {
  m.set('a', 1).set('b', 2);
  return a.push(1);
}
