// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(o: Record<string, number>): number {
  let n = 0;
  for (const k in o) n += 1;
  return n;
}
