// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function lambda(from: number): number {
  return from;
}
export const len = 3;
