// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function makers(names: string[]): Array<() => string> {
  const out: Array<() => string> = [];
  for (const name of names) {
    out.push(() => name);
  }
  return out;
}
