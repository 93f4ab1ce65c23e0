// Test keys: every test gets its own prefix so that runs and files never see each other's keys on the shared fleet.
import { randomBytes } from 'node:crypto';

/** A prefix unique to this call, e.g. "ketama-3s-1f2e3d4c:". */
export function uniquePrefix(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}:`;
}

// Scripts chosen for their UTF-8 lengths (2, 3 and 4 bytes per character) and for mixing ASCII with them.
const SAMPLES = ['user', 'ключ', '日本語', 'ß', '🐘', 'ελληνικά', 'עברית', 'x'];

/**
 * `count` distinct keys after `prefix`. With `nonAscii` one key in two mixes Cyrillic, Greek, Hebrew, CJK or
 * astral-plane characters into it (keys stay well under memcached's 250-byte limit and contain no space).
 */
export function makeKeys(prefix: string, count: number, nonAscii: boolean): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const pair = Math.floor(i / 2);
    const sample =
      nonAscii && i % 2 === 1 ? SAMPLES[pair % SAMPLES.length]! + SAMPLES[(pair * 3 + 1) % SAMPLES.length]! : 'key';
    keys.push(`${prefix}${sample}:${i}`);
  }
  return keys;
}
