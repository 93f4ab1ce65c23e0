// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export function count(): number {
  const args = arguments;
  return args.length;
}
