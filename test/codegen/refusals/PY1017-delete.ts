// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export interface Options {
  a?: number;
}
export function drop(o: Options): void {
  delete o.a;
}
