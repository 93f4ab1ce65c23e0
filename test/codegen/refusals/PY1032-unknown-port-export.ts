// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
import { takeLoggedMessages } from './ports/host';

export function count(): number {
  return takeLoggedMessages().length;
}
