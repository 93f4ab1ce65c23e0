// Which keys a scan must fetch, from the quals Multicorn hands over: `key = x`, `key IN (...)` and `key = ANY(array)`
// (parameters and join values arrive already evaluated). Other conditions are left to PostgreSQL, which rechecks
// every qual on the rows we return.
import type { Qual } from './ports/host';
import type { SqlValue } from './values';

/** The distinct strings of `values`, first occurrence first; NULLs (which equal nothing) are dropped. */
function distinctKeys(values: SqlValue[]): string[] {
  const strings = values.filter((value): value is string => typeof value === 'string');
  return Array.from(new Set<string>(strings));
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
  // `key = ANY(NULL::text[])` matches no row.
  if (value === null) return [];
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
