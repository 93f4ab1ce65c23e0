// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
import { MemcacheClient } from './ports/memcache';

export function connect(): MemcacheClient {
  const options = { noDelay: true };
  return new MemcacheClient(['localhost', 11211], options);
}
