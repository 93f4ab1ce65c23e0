// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function put(values: number[], i: number): void {
  values[i] = 1;
}
