// Which of a server's items a scan without a key condition keeps, decided from the table's prefix and the quals
// while memcached lists its keys: `key LIKE 'abc%'` and `key ^@ 'abc'` keep the keys starting with their literal
// prefix, `key >= ... AND key < ...` the keys in range. PostgreSQL rechecks every qual on the rows returned, so the
// filter only has to keep every key that can match: a LIKE prefix holds whatever the collation, a range only when
// PostgreSQL compares bytewise (C collation), as the wrapper does; otherwise the range is left to PostgreSQL.
import { quoteForMessage } from './keys';
import type { Qual } from './ports/host';
import { bytesCompare, bytesStartsWith, codePoints, utf8Encode, type Bytes } from './ports/runtime';

/** PostgreSQL's names for LIKE and starts_with (`^@`). */
const LIKE_OPERATOR = '~~';
const STARTS_WITH_OPERATOR = '^@';

/** The literal start of a LIKE pattern: up to its first unescaped `%` or `_` (backslash is LIKE's default escape). */
export function likePrefix(pattern: string): string {
  const characters = codePoints(pattern);
  const prefix: string[] = [];
  let i = 0;
  while (i < characters.length) {
    const character = characters[i]!;
    if (character === '%' || character === '_') break;
    if (character === '\\') {
      // A trailing backslash is an error in PostgreSQL; the literal start stops before it.
      if (i + 1 >= characters.length) break;
      prefix.push(characters[i + 1]!);
      i += 2;
    } else {
      prefix.push(character);
      i += 1;
    }
  }
  return prefix.join('');
}

/** One end of a key range: the bound as the full key's bytes (table prefix included), and whether it is included. */
class RangeEnd {
  readonly key: string;
  readonly fullKey: Bytes;
  readonly inclusive: boolean;

  constructor(key: string, fullKey: Bytes, inclusive: boolean) {
    this.key = key;
    this.fullKey = fullKey;
    this.inclusive = inclusive;
  }
}

/** What a scan keeps of the listed items (all of the table's prefix group when the quals say nothing more). */
export class ScanFilter {
  /** The start every kept user key has (from LIKE or ^@), '' for none. */
  readonly keyPrefix: string;
  /** The start every kept full key has: the table's prefix and keyPrefix, as bytes. */
  readonly fullPrefix: Bytes;
  readonly lower: RangeEnd | null;
  readonly upper: RangeEnd | null;
  /** A range was given but PostgreSQL does not compare bytewise: it is left to PostgreSQL. */
  readonly rangeLeftToPostgres: boolean;

  constructor(
    keyPrefix: string,
    fullPrefix: Bytes,
    lower: RangeEnd | null,
    upper: RangeEnd | null,
    rangeLeftToPostgres: boolean,
  ) {
    this.keyPrefix = keyPrefix;
    this.fullPrefix = fullPrefix;
    this.lower = lower;
    this.upper = upper;
    this.rangeLeftToPostgres = rangeLeftToPostgres;
  }

  /** Whether the item with full key `fullKey` (its bytes) may match the query. */
  admits(fullKey: Bytes): boolean {
    if (!bytesStartsWith(fullKey, this.fullPrefix, 0)) return false;
    const lower = this.lower;
    if (lower !== null) {
      const order = bytesCompare(fullKey, lower.fullKey);
      if (order < 0 || (order === 0 && !lower.inclusive)) return false;
    }
    const upper = this.upper;
    if (upper !== null) {
      const order = bytesCompare(fullKey, upper.fullKey);
      if (order > 0 || (order === 0 && !upper.inclusive)) return false;
    }
    return true;
  }

  /** What EXPLAIN says the listing keeps, or null when it keeps every item of the table's prefix group. */
  describe(keyColumn: string): string | null {
    const parts: string[] = [];
    if (this.keyPrefix !== '') parts.push(keyColumn + ' starting with ' + quoteForMessage(this.keyPrefix));
    const lower = this.lower;
    const upper = this.upper;
    if (lower !== null || upper !== null) {
      let range = keyColumn;
      if (lower !== null) range = quoteForMessage(lower.key) + (lower.inclusive ? ' <= ' : ' < ') + range;
      if (upper !== null) range = range + (upper.inclusive ? ' <= ' : ' < ') + quoteForMessage(upper.key);
      parts.push(range + ' (bytewise)');
    }
    if (parts.length === 0) return null;
    return parts.join(', ');
  }
}

/** The tighter of two lower (or, with `upperEnd`, upper) ends. */
function tighter(current: RangeEnd | null, candidate: RangeEnd, upperEnd: boolean): RangeEnd {
  if (current === null) return candidate;
  const order = bytesCompare(candidate.fullKey, current.fullKey);
  if (order === 0) return candidate.inclusive ? current : candidate;
  return order > 0 !== upperEnd ? candidate : current;
}

/**
 * The filter of a scan without a key condition on `keyColumn` of a table whose keys start with `tablePrefix`.
 * `bytewise` says whether PostgreSQL compares text bytewise in this query (only then is a range applied).
 */
export function scanFilterOf(quals: Qual[], keyColumn: string, tablePrefix: string, bytewise: boolean): ScanFilter {
  let keyPrefix = '';
  let lower: RangeEnd | null = null;
  let upper: RangeEnd | null = null;
  let rangeGiven = false;
  for (const qual of quals) {
    const operator = qual.operator;
    const value = qual.value;
    if (qual.fieldName !== keyColumn || typeof operator !== 'string' || typeof value !== 'string') continue;
    if (operator === LIKE_OPERATOR || operator === STARTS_WITH_OPERATOR) {
      const start = operator === LIKE_OPERATOR ? likePrefix(value) : value;
      // Every such condition holds for a kept key: the longest literal start is the strictest.
      if (codePoints(start).length > codePoints(keyPrefix).length) keyPrefix = start;
      continue;
    }
    const isLower = operator === '>' || operator === '>=';
    const isUpper = operator === '<' || operator === '<=';
    if (!isLower && !isUpper) continue;
    rangeGiven = true;
    if (!bytewise) continue;
    const end = new RangeEnd(value, utf8Encode(tablePrefix + value), operator === '>=' || operator === '<=');
    if (isLower) {
      lower = tighter(lower, end, false);
    } else {
      upper = tighter(upper, end, true);
    }
  }
  return new ScanFilter(keyPrefix, utf8Encode(tablePrefix + keyPrefix), lower, upper, rangeGiven && !bytewise);
}
