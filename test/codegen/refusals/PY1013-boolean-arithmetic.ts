// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function bad(flag: boolean, n: number): number {
  // @ts-expect-error: boolean arithmetic is what this fixture is about
  return flag * n;
}
