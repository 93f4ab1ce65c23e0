// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
// @ts-nocheck
export interface Options {
  a: number;
}
export function f(o: Options): number {
  with (o) {
    return a;
  }
}
