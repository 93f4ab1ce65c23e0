// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
export interface Dict {
  size: number;
}
export class Obj {
  size = 1;
}
export function size(v: Dict | Obj): number {
  return v.size;
}
