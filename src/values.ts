// Conversions between memcached's bytes and the SQL values of a cache table's columns. Values are stored as plain
// bytes (text as UTF-8, integers as decimal text, json as its text, bytea as is), so every other client reads them.
import { raiseError } from './errors';
import { quoteForMessage } from './keys';
import { isJsonText } from './json-syntax';
import {
  codePointOf,
  codePoints,
  intDiv,
  InvalidUtf8Error,
  intToString,
  LoneSurrogateError,
  nowSeconds,
  parseDecimalInt,
  utf8Decode,
  utf8Encode,
  type Bytes,
} from './ports/runtime';
import type { FactKind, NumberKind, ValueKind } from './columns';
import { LATEST_EXPIRATION, LATEST_EXPIRATION_TEXT, MAX_EXPIRE, MAX_RELATIVE_EXPIRE } from './table-options';

/**
 * One SQL value as Multicorn hands it over for the types a cache table uses: text as str, int4 as int, bytea as
 * bytes, int2/int8/json/jsonb as their text.
 */
export type SqlScalar = string | number | boolean | Bytes | null;
/** A column or qual value: a scalar, or a list for `= ANY(array)` / `IN (...)`. */
export type SqlValue = SqlScalar | SqlScalar[];
/** A row: column name -> value. */
export type SqlRow = Record<string, SqlValue>;

/** The limit of an integer type as decimal digits: its largest value, or its most negative one without the sign. */
function limitDigits(kind: string, negative: boolean): string | null {
  if (kind === 'smallint') return negative ? '32768' : '32767';
  if (kind === 'integer') return negative ? '2147483648' : '2147483647';
  if (kind === 'bigint') return negative ? '9223372036854775808' : '9223372036854775807';
  return null;
}
const DIGITS: string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
/** memcached 1.6 keeps client flags as an unsigned 32-bit number. */
export const MAX_FLAGS = 4294967295;

/** Compares two strings of decimal digits (no leading zeros) as numbers: -1, 0 or 1. */
function compareDigits(left: string, right: string): number {
  const a = codePoints(left);
  const b = codePoints(right);
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const difference = codePointOf(a[i]!) - codePointOf(b[i]!);
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

/** An integer in canonical decimal form: sign only when negative, no leading zeros. */
export interface DecimalInteger {
  negative: boolean;
  /** The magnitude's digits, without leading zeros ('0' for zero). */
  digits: string;
}

/**
 * Parses decimal integer text as memcached's clients write it: optional sign, digits, and trailing spaces (memcached
 * pads a value that `decr` made shorter with spaces). Any size; null when it is not an integer.
 */
export function parseDecimalText(text: string): DecimalInteger | null {
  const chars = codePoints(text);
  let end = chars.length;
  while (end > 0 && chars[end - 1] === ' ') end -= 1;
  let start = 0;
  let negative = false;
  if (chars[0] === '-' || chars[0] === '+') {
    negative = chars[0] === '-';
    start = 1;
  }
  if (start >= end) return null;
  for (let i = start; i < end; i++) {
    if (!DIGITS.includes(chars[i]!)) return null;
  }
  while (start < end - 1 && chars[start] === '0') start += 1;
  const digits = chars.slice(start, end).join('');
  return { negative: negative && digits !== '0', digits: digits };
}

/** The decimal text of an integer (`-` only when negative). */
export function decimalText(value: DecimalInteger): string {
  return value.negative ? '-' + value.digits : value.digits;
}

/** True when `value` lies in the range of the SQL integer type `kind`. */
export function fitsIntegerType(value: DecimalInteger, kind: string): boolean {
  const limit = limitDigits(kind, value.negative);
  return limit !== null && compareDigits(value.digits, limit) <= 0;
}

/** The SQL integer column's value as decimal text: Multicorn hands int4 as an int, int2 and int8 as their text. */
function integerArgument(value: SqlValue, column: string, key: string): DecimalInteger {
  if (typeof value === 'number') return parseDecimalText(intToString(value))!;
  if (typeof value === 'string') {
    const parsed = parseDecimalText(value);
    if (parsed !== null) return parsed;
  }
  return raiseError(
    'column "' + column + '" of key ' + quoteForMessage(key) + ' does not hold an integer',
    'Give ' + column + ' as a whole number.',
  );
}

/** The bytes stored for a value column's SQL value. */
export function encodeValue(value: SqlValue, kind: ValueKind, key: string): Bytes {
  if (kind === 'bytea') {
    // Multicorn hands a bytea column's value over as bytes: whatever else arrived (a list, text, a number) is refused
    // rather than stored as something it is not.
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      typeof value === 'number' ||
      Array.isArray(value)
    ) {
      return raiseError(
        'the value of key ' + quoteForMessage(key) + ' did not arrive as bytes, although the value column is bytea',
        "Declare the value column as bytea and store bytea values (decode(..., 'hex') or '\\x...'::bytea).",
      );
    }
    return value;
  }
  if (kind === 'smallint' || kind === 'integer' || kind === 'bigint') {
    return utf8Encode(decimalText(integerArgument(value, 'value', key)));
  }
  if (typeof value !== 'string') {
    return raiseError('the value of key ' + quoteForMessage(key) + ' is not text', 'Declare the value column as text.');
  }
  try {
    return utf8Encode(value);
  } catch (error) {
    if (error instanceof LoneSurrogateError) {
      raiseError('the value of key ' + quoteForMessage(key) + ' cannot be encoded as UTF-8: ' + error.message);
    }
    throw error;
  }
}

const BYTEA_HINT = 'Declare the value column as bytea to read values that are not UTF-8 text.';

/**
 * The SQL value of a stored value, for the value column's kind; an unreadable value is an ERROR naming the key. Text
 * kinds need valid UTF-8 without NUL. (One function, no helpers: it runs once per row of every scan.)
 */
export function decodeValue(stored: Bytes, kind: ValueKind, key: string): SqlValue {
  if (kind === 'bytea') return stored;
  let text: string;
  try {
    text = utf8Decode(stored);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) {
      return raiseError(
        'the value of key ' + quoteForMessage(key) + ' is not valid UTF-8 and cannot be read as ' + kind,
        BYTEA_HINT,
        error.message,
      );
    }
    throw error;
  }
  if (text.includes('\u0000')) {
    raiseError(
      'the value of key ' + quoteForMessage(key) + ' contains a NUL byte, which ' + kind + ' cannot hold',
      BYTEA_HINT,
    );
  }
  if (kind === 'text') return text;
  if (kind === 'json' || kind === 'jsonb') {
    if (!isJsonText(text, kind === 'jsonb')) {
      if (kind === 'jsonb' && isJsonText(text, false)) {
        raiseError(
          'the value of key ' +
            quoteForMessage(key) +
            ' holds a \\u0000 or unpaired surrogate escape, which jsonb cannot store',
          'Declare the value column as json (or text) to read it as it is.',
        );
      }
      raiseError(
        'the value of key ' + quoteForMessage(key) + ' is not valid JSON',
        'Declare the value column as text (or bytea) to read values that are not JSON.',
      );
    }
    return text;
  }
  const parsed = parseDecimalText(text);
  if (parsed === null || !fitsIntegerType(parsed, kind)) {
    // The stored value is not shown: it may be anything, and messages reach the server log.
    const what = parsed === null ? 'bytes that are not an integer' : 'bytes of an integer out of its range';
    return raiseError(
      `the value of key ${quoteForMessage(key)} cannot be read as ${kind}: memcached holds ${intToString(stored.length)} ${what}`,
      'Declare the value column as text (or a wider integer type) to read it.',
    );
  }
  // Handed to PostgreSQL as text: bigint's range is beyond a JS number, and Multicorn parses text for every type.
  return decimalText(parsed);
}

/**
 * The SQL value of a stored value when it is readable as `kind`, else null. For a column the query did not ask for:
 * multicorn2 leaves out of its column list the columns a query uses only through a whole-row reference
 * (`SELECT c FROM cache c`), so rows carry every readable column, and a value no query asked for never fails one.
 */
export function decodeValueIfReadable(stored: Bytes, kind: ValueKind): SqlValue {
  if (kind === 'bytea') return stored;
  let text: string;
  try {
    text = utf8Decode(stored);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) return null;
    throw error;
  }
  if (text.includes('\u0000')) return null;
  if (kind === 'text') return text;
  if (kind === 'json' || kind === 'jsonb') return isJsonText(text, kind === 'jsonb') ? text : null;
  const parsed = parseDecimalText(text);
  if (parsed === null || !fitsIntegerType(parsed, kind)) return null;
  return decimalText(parsed);
}

/**
 * A whole number from an expire or flags column (integer types, or text holding digits); null when the column is NULL.
 * Out-of-range or non-numeric text is an ERROR naming the column and the key.
 */
export function integerColumnValue(value: SqlValue, kind: NumberKind, column: string, key: string): number | null {
  if (value === null) return null;
  const parsed = integerArgument(value, column, key);
  const asNumber = codePoints(parsed.digits).length <= 15 ? parseDecimalInt(decimalText(parsed)) : null;
  if (asNumber === null) {
    return raiseError(
      'column "' + column + '" of key ' + quoteForMessage(key) + ' is out of range: ' + decimalText(parsed),
      kind === 'text' ? 'Give ' + column + ' as a whole number of seconds.' : null,
    );
  }
  return asNumber;
}

/**
 * The expiration memcached is sent for `seconds` from now: 0 (never) and up to 30 days as is; beyond that memcached
 * would read the number as an absolute unix time, so it is sent as now + seconds, which must not pass
 * LATEST_EXPIRATION (memcached would wrap it around and expire the item at once). Negative is an ERROR.
 */
export function memcachedExpire(seconds: number, key: string): number {
  if (seconds < 0 || seconds > MAX_EXPIRE) {
    raiseError(
      'expire of key ' +
        quoteForMessage(key) +
        ' is ' +
        intToString(seconds) +
        ', outside 0 to ' +
        intToString(MAX_EXPIRE),
      'expire is the number of seconds until the item expires; 0 means never. To remove an item, DELETE it.',
    );
  }
  if (seconds <= MAX_RELATIVE_EXPIRE) return seconds;
  const at = nowSeconds() + seconds;
  if (at > LATEST_EXPIRATION) {
    raiseError(
      'expire of key ' +
        quoteForMessage(key) +
        ' is ' +
        intToString(seconds) +
        ' seconds, which ends after ' +
        LATEST_EXPIRATION_TEXT +
        ', the latest expiration memcached can hold',
      'expire counts seconds from now: give at most the seconds left until then, or 0 for an item that never expires.',
    );
  }
  return at;
}

/** Client flags from a flags column: memcached keeps them as an unsigned 32-bit number. */
export function checkedFlags(flags: number, key: string): number {
  if (flags < 0 || flags > MAX_FLAGS) {
    raiseError(
      'flags of key ' + quoteForMessage(key) + ' is ' + intToString(flags) + ', outside 0 to ' + intToString(MAX_FLAGS),
      'memcached client flags are an unsigned 32-bit number.',
    );
  }
  return flags;
}

/** Flags read from memcached, for a flags column of `kind`: a value beyond the column's type is an ERROR. */
export function flagsColumnValue(flags: number, kind: NumberKind, key: string): SqlValue {
  const parsed = parseDecimalText(intToString(flags))!;
  if (kind !== 'text' && !fitsIntegerType(parsed, kind)) {
    raiseError(
      'flags of key ' + quoteForMessage(key) + ' is ' + intToString(flags) + ', beyond the range of ' + kind,
      'Declare the flags column as bigint: memcached flags go up to 4294967295.',
    );
  }
  return intToString(flags);
}

/** Flags for a flags column the query did not ask for (see decodeValueIfReadable): null beyond the column's range. */
export function flagsIfReadable(flags: number, kind: NumberKind): SqlValue {
  const parsed = parseDecimalText(intToString(flags))!;
  if (kind !== 'text' && !fitsIntegerType(parsed, kind)) return null;
  return intToString(flags);
}

/**
 * The expire column of a row read with its facts, as expire is written: 0 for an item that never expires (memcached's
 * -1), else the seconds left, at least 1 (an item in its last second must not read as one that never expires, or an
 * UPDATE writing the row back would keep it forever). Beyond the column's type it is an ERROR naming the key.
 */
export function ttlColumnValue(ttl: number | null, kind: NumberKind, key: string): SqlValue {
  if (ttl === null) return null;
  if (ttl === -1) return '0';
  const seconds = ttl < 1 ? 1 : ttl;
  if (kind !== 'text' && !fitsIntegerType(parseDecimalText(intToString(seconds))!, kind)) {
    return raiseError(
      'the expire of key ' +
        quoteForMessage(key) +
        ' is ' +
        intToString(seconds) +
        ' seconds, which does not fit the ' +
        kind +
        ' column',
      'Declare the expire column as integer.',
    );
  }
  return intToString(seconds);
}

/** `n` as at least two digits (four for years), for timestamps. */
function padded(n: number, width: number): string {
  let text = intToString(n);
  while (codePoints(text).length < width) text = '0' + text;
  return text;
}

/**
 * A unix time as PostgreSQL reads a timestamptz: `YYYY-MM-DD HH:MM:SS+00` (UTC). The date comes from the day count
 * with the civil calendar's 400-year cycle (the days-from-civil algorithm run backwards), in integers only.
 */
export function unixTimeText(seconds: number): string {
  const days = intDiv(seconds, 86400);
  const secondsOfDay = seconds - days * 86400;
  const shifted = days + 719468;
  const era = intDiv(shifted, 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = intDiv(dayOfEra - intDiv(dayOfEra, 1460) + intDiv(dayOfEra, 36524) - intDiv(dayOfEra, 146096), 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + intDiv(yearOfEra, 4) - intDiv(yearOfEra, 100));
  const monthFromMarch = intDiv(5 * dayOfYear + 2, 153);
  const day = dayOfYear - intDiv(153 * monthFromMarch + 2, 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = padded(intDiv(secondsOfDay, 3600), 2);
  const minutes = padded(intDiv(secondsOfDay % 3600, 60), 2);
  const date = `${padded(year, 4)}-${padded(month, 2)}-${padded(day, 2)}`;
  return `${date} ${hours}:${minutes}:${padded(secondsOfDay % 60, 2)}+00`;
}

/** The last_access column: a timestamptz (or its text), or the unix time for a bigint column. */
export function lastAccessColumnValue(unixTime: number | null, kind: FactKind): SqlValue {
  if (unixTime === null) return null;
  return kind === 'bigint' ? intToString(unixTime) : unixTimeText(unixTime);
}

/** The fetched column: a boolean, or its text. */
export function fetchedColumnValue(fetched: boolean | null, kind: FactKind): SqlValue {
  if (fetched === null) return null;
  if (kind === 'boolean') return fetched;
  return fetched ? 'true' : 'false';
}
