// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function before(a: string, b: string): boolean {
  return a < b;
}
