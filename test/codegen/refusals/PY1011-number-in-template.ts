// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function label(n: number, ok: boolean): string {
  return `${n} ${ok}`;
}
