// Which keys a scan must fetch, from the quals Multicorn hands over: `key = x`, `key IN (...)` and `key = ANY(array)`
// (parameters and join values arrive already evaluated). Other conditions are left to PostgreSQL, which rechecks
// every qual on the rows we return.
import { MAX_KEY_BYTES } from './keys';
import type { Qual } from './ports/host';
import { LoneSurrogateError, utf8Encode, type Bytes } from './ports/runtime';
import type { SqlValue } from './values';

/** The byte values memcached's text protocol refuses in a key: C0 controls, space (0x20) and DEL. */
const SPACE_BYTE = 0x20;
const DEL_BYTE = 0x7f;

/** The distinct strings of `values`, first occurrence first; NULLs (which equal nothing) are dropped. */
function distinctKeys(values: SqlValue[]): string[] {
  const keys: string[] = [];
  const seen: Set<string> = new Set<string>();
  for (const value of values) {
    if (typeof value === 'string' && !seen.has(value)) {
      seen.add(value);
      keys.push(value);
    }
  }
  return keys;
}

/** The keys one qual on the key column allows, or null when it is not an equality we can look up. */
function keysOfQual(qual: Qual): string[] | null {
  const operator = qual.operator;
  const value = qual.value;
  if (typeof operator === 'string') {
    if (operator !== '=') return null;
    // A NULL (key = NULL, or a NULL parameter) equals nothing.
    return typeof value === 'string' ? [value] : [];
  }
  // (operator, useOr): `key = ANY(array)` is what IN (...) becomes; `= ALL` is not a lookup.
  if (operator[0] !== '=' || !operator[1]) return null;
  if (!Array.isArray(value)) return null;
  return distinctKeys(value);
}

/**
 * The keys to fetch, in the order the query gives them and without duplicates, or null when no qual on `keyColumn`
 * is a lookup (the scan then has nothing to fetch by). Several lookups on the key combine as AND: the keys in all.
 */
export function lookupKeys(quals: Qual[], keyColumn: string): string[] | null {
  let keys: string[] | null = null;
  for (const qual of quals) {
    if (qual.fieldName !== keyColumn) continue;
    const allowed = keysOfQual(qual);
    if (allowed === null) continue;
    if (keys === null) {
      keys = allowed;
    } else {
      const both: string[] = [];
      for (const key of keys) {
        if (allowed.includes(key)) both.push(key);
      }
      keys = both;
    }
  }
  return keys;
}

/**
 * `prefix + key` when it plainly is a key memcached accepts, else null. A fast path for long key lists: it accepts
 * exactly what keys.ts's prefixedKey accepts (a non-empty key; 1 to 250 bytes of UTF-8; no space, C0 control or DEL,
 * which in UTF-8 are single bytes below 0x80) with one encode and one byte loop instead of a loop of calls per
 * character. On null the caller asks prefixedKey, which names what is wrong.
 */
export function plainFullKey(prefix: string, key: string): string | null {
  if (key === '') return null;
  const fullKey = prefix + key;
  let encoded: Bytes;
  try {
    encoded = utf8Encode(fullKey);
  } catch (error) {
    if (error instanceof LoneSurrogateError) return null;
    throw error;
  }
  if (encoded.length > MAX_KEY_BYTES) return null;
  for (const byte of encoded) {
    if (byte <= SPACE_BYTE || byte === DEL_BYTE) return null;
  }
  return fullKey;
}
