/**
 * Byte strings and number rules of memcached's text protocol, shared by the request encoders and the reply reader.
 */
import { MAX_KEY_BYTES } from '../keys';
import { isAsciiDigits, parseAsciiDigits, utf8Encode, type Bytes } from '../ports/runtime';

export const CRLF: Bytes = utf8Encode('\r\n');
export const SPACE: Bytes = utf8Encode(' ');

/** memcached's limit on a key (KEY_MAX_LENGTH), the same as src/keys.ts's. */
export const MAX_KEY_LENGTH = MAX_KEY_BYTES;

/** Client flags are 32-bit unsigned in memcached 1.2.1 and later. */
export const MAX_CLIENT_FLAGS = 4294967295;

/** Expiration times and TTL tokens are read with safe_strtol into an int32 (negative ones expire at once). */
export const MIN_EXPTIME = -2147483648;
export const MAX_EXPTIME = 2147483647;

/** 2^64 - 1, the largest CAS token, delta and counter: compared digit by digit, as numbers cannot hold it. */
const MAX_U64_DIGITS: Bytes = utf8Encode('18446744073709551615');

/** Whether `digits` is the decimal text of an unsigned 64-bit integer: 1 to 20 ASCII digits, at most 2^64 - 1. */
export function isDecimalU64(digits: Bytes): boolean {
  if (!isAsciiDigits(digits) || digits.length > MAX_U64_DIGITS.length) return false;
  if (digits.length < MAX_U64_DIGITS.length) return true;
  for (let i = 0; i < MAX_U64_DIGITS.length; i++) {
    const digit = digits[i]!;
    const limit = MAX_U64_DIGITS[i]!;
    if (digit !== limit) return digit < limit;
  }
  return true;
}

const MINUS = 0x2d;

/** A decimal of 1 to 15 digits that may start with a minus sign (TTLs and expiration times are -1 for never), or null. */
export function parseSignedDigits(token: Bytes): number | null {
  const negative = token.length > 1 && token[0]! === MINUS;
  const value = parseAsciiDigits(negative ? token.slice(1) : token);
  if (value < 0) return null;
  return negative ? 0 - value : value; // 0 - value: never JavaScript's -0
}
