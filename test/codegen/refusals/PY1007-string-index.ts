// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function first(s: string): string | undefined {
  return s[0];
}
