// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function head(s: string): string {
  return s.slice(0, 2) + s.charAt(0) + s.substring(1);
}
