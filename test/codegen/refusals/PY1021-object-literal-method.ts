// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export const o = {
  get size(): number {
    return 1;
  },
  double(n: number): number {
    return n * 2;
  },
};
