// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function run(code: string): unknown {
  return eval(code);
}
