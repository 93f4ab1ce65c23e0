// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function order(items: string[]): string[] {
  return items.sort();
}
