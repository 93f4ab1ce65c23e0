// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function f(n: number): number {
  let out = 0;
  switch (n) {
    case 1:
      if (out === 0) break;
      out = 1;
      break;
    default:
      out = 2;
  }
  return out;
}
