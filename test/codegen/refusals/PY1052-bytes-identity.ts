// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)
import { utf8Encode, type Bytes } from './ports/runtime';

export function same(a: Bytes, key: string): boolean {
  const b = utf8Encode(key);
  return a === b;
}

export function pair(p: [string, number], q: [string, number] | null): boolean {
  return p !== q;
}

export function kind(value: Bytes): number {
  switch (value) {
    case utf8Encode('a'):
      return 1;
    default:
      return 0;
  }
}

export function missing(value: Bytes | null): boolean {
  return value === null;
}
