// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(a: string): string;
export function f(a: number): number;
export function f(a: string | number): string | number {
  return a;
}
