// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function powers(a: number, n: number): number[] {
  let grown = a;
  grown **= 2;
  return [
    2 ** n, // computed exponent: 3 ** 40 rounds in JavaScript, not in Python
    a ** 2, // computed base
    3 ** 40, // literal, but beyond 2^53
    2 ** -1, // a fraction
    Math.pow(a, 3),
    Math.pow(-2, 53),
    grown,
    2 ** 52, // accepted: a literal power within 2^53
    (-1) ** 1000000000000, // accepted: |base| <= 1
  ];
}
