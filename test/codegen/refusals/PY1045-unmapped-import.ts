// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
// @file node_modules/left-pad/index.d.ts
export declare function pad(text: string): string;
// @file src/PY1045-unmapped-import.ts
import { pad } from 'left-pad';

export function padded(p: string): string {
  return pad(p);
}
