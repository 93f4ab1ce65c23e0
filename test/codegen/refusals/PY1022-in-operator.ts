// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export class Box {
  size = 1;
}
export function has(b: Box): boolean {
  return 'size' in b;
}
