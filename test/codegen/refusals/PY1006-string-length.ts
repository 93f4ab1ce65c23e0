// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function size(s: string): number {
  return s.length;
}
