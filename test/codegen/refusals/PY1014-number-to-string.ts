// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function text(n: number): string {
  return String(n) + n.toString() + n.toFixed(2);
}
