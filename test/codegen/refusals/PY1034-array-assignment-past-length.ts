// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function fill(values: number[]): void {
  for (let i = 0; i < values.length + 1; i++) values[i] = 0;
}
