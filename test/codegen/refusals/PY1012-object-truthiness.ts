// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function anyItems(items: string[], m: Map<string, number> | undefined): boolean {
  if (items) return true;
  return !m;
}
