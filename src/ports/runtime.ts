// Runtime port, Node binding: the primitives whose behaviour differs between JavaScript and Python.
// The emitter maps `./ports/runtime` to the hand-written `pymcache_fdw._runtime` (python-out/pymcache_fdw/_runtime.py),
// which exports the same names in snake_case. Every function here has a twin there with the same results and the
// same error class names; test/runtime runs both on the same vectors.
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Raw bytes (Python `bytes`). */
export type Bytes = Uint8Array;
/** A number that is a Python `float`; plain `number` is a Python `int`. */
export type Float = number;
/** What jsonStringify accepts and jsonParse returns: numbers are integers (floats are refused on both sides). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * An argument a runtime function cannot take (a fraction where an integer is needed, a non-finite float, ...).
 * The Python twin subclasses ValueError; the name avoids shadowing Python's builtin in emitted imports.
 */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** intDiv by zero; the Python twin subclasses ZeroDivisionError. */
export class DivisionByZeroError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DivisionByZeroError';
  }
}

/** Bytes that are not valid UTF-8; `offset` is the byte offset where the first invalid sequence starts. */
export class InvalidUtf8Error extends InvalidArgumentError {
  readonly offset: number;
  constructor(offset: number, reason: string) {
    super(`invalid UTF-8 at byte offset ${offset}: ${reason}`);
    this.offset = offset;
  }
}

/** A string holding an unpaired UTF-16 surrogate, which has no UTF-8 encoding; `index` counts code points. */
export class LoneSurrogateError extends InvalidArgumentError {
  readonly index: number;
  constructor(index: number) {
    super(`string cannot be encoded as UTF-8: lone surrogate at code point index ${index}`);
    this.index = index;
  }
}

/** Text that is not JSON in the accepted subset (standard JSON, numbers limited to safe integers). */
export class InvalidJsonError extends InvalidArgumentError {}

function isLoneSurrogate(codePoint: string): boolean {
  const unit = codePoint.charCodeAt(0);
  return codePoint.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
}

function checkEncodable(s: string): void {
  let index = 0;
  for (const codePoint of s) {
    if (isLoneSurrogate(codePoint)) throw new LoneSurrogateError(index);
    index++;
  }
}

/** UTF-8 encoding; throws LoneSurrogateError for strings that Python's str.encode('utf-8') refuses. */
export function utf8Encode(s: string): Bytes {
  checkEncodable(s);
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** The byte offset of the first invalid UTF-8 sequence (with the reason), or null when `b` is valid UTF-8. */
function findInvalidUtf8(b: Bytes): { offset: number; reason: string } | null {
  let i = 0;
  while (i < b.length) {
    const lead = b[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      need = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2;
      if (lead === 0xe0) low = 0xa0; // overlong
      if (lead === 0xed) high = 0x9f; // UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3;
      if (lead === 0xf0) low = 0x90; // overlong
      if (lead === 0xf4) high = 0x8f; // above U+10FFFF
    } else {
      return { offset: i, reason: 'invalid start byte' };
    }
    for (let k = 1; k <= need; k++) {
      if (i + k >= b.length) return { offset: i, reason: 'unexpected end of data' };
      const next = b[i + k]!;
      const min = k === 1 ? low : 0x80;
      const max = k === 1 ? high : 0xbf;
      if (next < min || next > max) return { offset: i, reason: 'invalid continuation byte' };
    }
    i += need + 1;
  }
  return null;
}

/** Strict UTF-8 decoding (no replacement characters); throws InvalidUtf8Error naming the byte offset. */
export function utf8Decode(b: Bytes): string {
  const invalid = findInvalidUtf8(b);
  if (invalid !== null) throw new InvalidUtf8Error(invalid.offset, invalid.reason);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** Length of the UTF-8 encoding; throws LoneSurrogateError like utf8Encode. */
export function utf8ByteLength(s: string): number {
  checkEncodable(s);
  return Buffer.byteLength(s, 'utf8');
}

/** The code points of `s` (Python `list(s)`); a lone surrogate is one element. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** The code point of a one-code-point string (Python `ord`); throws InvalidArgumentError otherwise. */
export function codePointOf(ch: string): number {
  const cp = ch.codePointAt(0);
  if (cp === undefined || Array.from(ch).length !== 1) {
    throw new InvalidArgumentError(`codePointOf expects exactly one code point, got ${Array.from(ch).length}`);
  }
  return cp;
}

/** Strings sorted by code point (Python `sorted(items)`); JS's default sort compares UTF-16 units instead. */
export function sortedStrings(items: readonly string[]): string[] {
  const compare = (a: string, b: string): number => {
    const left = Array.from(a);
    const right = Array.from(b);
    const common = Math.min(left.length, right.length);
    for (let i = 0; i < common; i++) {
      const difference = left[i]!.codePointAt(0)! - right[i]!.codePointAt(0)!;
      if (difference !== 0) return difference;
    }
    return left.length - right.length;
  };
  return [...items].sort(compare);
}

export function md5(b: Bytes): Bytes {
  return new Uint8Array(createHash('md5').update(b).digest());
}

/** CRC-32 (zlib's polynomial) as an unsigned 32-bit integer, like Python's zlib.crc32. */
export function crc32(b: Bytes): number {
  return zlibCrc32(b) >>> 0;
}

/** Lowercase hexadecimal, two digits per byte (Python `bytes.hex()`). */
export function bytesToHex(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** A number in an error message as Python's repr would show it, so that messages agree on both platforms. */
function describeNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && !Object.is(n, -0)) return BigInt(n).toString();
  return formatFloat(n);
}

function requireInteger(fn: string, n: number): void {
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${fn} expects an integer, got ${describeNumber(n)}`);
}

/** ToUint32: `n` modulo 2^32 for any integer `n` (negative ones wrap). */
export function u32(n: number): number {
  requireInteger('u32', n);
  return n >>> 0;
}

export function u32Add(a: number, b: number): number {
  return (u32(a) + u32(b)) >>> 0;
}

export function u32Mul(a: number, b: number): number {
  return Math.imul(u32(a), u32(b)) >>> 0;
}

export function u32Xor(a: number, b: number): number {
  return (u32(a) ^ u32(b)) >>> 0;
}

export function u32And(a: number, b: number): number {
  return (u32(a) & u32(b)) >>> 0;
}

export function u32Or(a: number, b: number): number {
  return (u32(a) | u32(b)) >>> 0;
}

function requireShift(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 31) {
    throw new InvalidArgumentError(`${fn} expects a shift count from 0 to 31, got ${describeNumber(n)}`);
  }
}

/** Left shift within 32 bits; the count must be 0..31 (JS would silently take it modulo 32, Python would not wrap). */
export function u32Shl(a: number, n: number): number {
  requireShift('u32Shl', n);
  return (u32(a) << n) >>> 0;
}

/** Logical right shift; the count must be 0..31. */
export function u32Shr(a: number, n: number): number {
  requireShift('u32Shr', n);
  return u32(a) >>> n;
}

/** Rotate left within 32 bits; the count must be 0..31. */
export function u32Rotl(a: number, n: number): number {
  requireShift('u32Rotl', n);
  const x = u32(a);
  return n === 0 ? x : ((x << n) | (x >>> (32 - n))) >>> 0;
}

const DECIMAL_INT = /^[+-]?[0-9]+$/;
const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;

/** Strict decimal integer: optional sign, ASCII digits only, within ±(2^53-1); null otherwise. */
export function parseDecimalInt(s: string): number | null {
  if (!DECIMAL_INT.test(s)) return null;
  const value = Number(s);
  if (!Number.isSafeInteger(value)) return null;
  return value === 0 ? 0 : value; // "-0" is the integer 0
}

/** Strict decimal number: optional sign, digits with an optional fraction; no exponent, inf or nan; null otherwise. */
export function parseDecimalFloat(s: string): Float | null {
  if (!DECIMAL_FLOAT.test(s)) return null;
  const value = Number(s);
  return Number.isFinite(value) ? value : null;
}

/** Decimal text of a safe integer; anything else (fractions, NaN, beyond 2^53-1) is an InvalidArgumentError. */
export function intToString(n: number): string {
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`intToString expects a safe integer, got ${describeNumber(n)}`);
  return String(n === 0 ? 0 : n);
}

/** Exactly Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16, always a '.0' or exponent. */
export function formatFloat(f: Float): string {
  if (!Number.isFinite(f))
    throw new InvalidArgumentError(`formatFloat expects a finite number, got ${describeNumber(f)}`);
  const negative = f < 0 || Object.is(f, -0);
  const [mantissa = '', exponentText = '0'] = Math.abs(f).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits[0]}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const pointPosition = exponent + 1; // digits before the decimal point
  if (pointPosition <= 0) return `${sign}0.${'0'.repeat(-pointPosition)}${digits}`;
  if (pointPosition >= digits.length) return `${sign}${digits}${'0'.repeat(pointPosition - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
}

/** Integer division truncating toward zero (JS Math.trunc semantics, not Python's floor `//`). */
export function intDiv(a: number, b: number): number {
  requireInteger('intDiv', a);
  requireInteger('intDiv', b);
  if (b === 0) throw new DivisionByZeroError('integer division by zero');
  const q = Math.trunc(a / b);
  return q === 0 ? 0 : q;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function stringifyValue(value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value === 'boolean') {
    out.push(value ? 'true' : 'false');
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(
        `jsonStringify accepts only safe integers as numbers, got ${describeNumber(value)}`,
      );
    }
    out.push(String(value === 0 ? 0 : value));
  } else if (typeof value === 'string') {
    out.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, index) => {
      if (index > 0) out.push(',');
      stringifyValue(item, out);
    });
    out.push(']');
  } else if (isPlainObject(value)) {
    out.push('{');
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      stringifyValue(item, out);
    }
    out.push('}');
  } else {
    throw new InvalidArgumentError(`jsonStringify cannot encode a value of type ${typeof value}`);
  }
}

/** Compact JSON (`,` and `:` separators), non-ASCII kept as is, lone surrogates escaped, keys in insertion order. */
export function jsonStringify(v: JsonValue): string {
  const out: string[] = [];
  stringifyValue(v, out);
  return out.join('');
}

/** Checks the number tokens of `s` (outside strings): only integers are accepted, and only safe ones. */
function checkJsonNumbers(s: string): void {
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      i++;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let end = i + 1;
      while (end < s.length && /[0-9.eE+-]/.test(s[end]!)) end++;
      const token = s.slice(i, end);
      if (!/^-?(?:0|[1-9][0-9]*)$/.test(token)) {
        throw new InvalidJsonError(`invalid JSON: only integer numbers are accepted, got ${token} at offset ${i}`);
      }
      if (!Number.isSafeInteger(Number(token))) {
        throw new InvalidJsonError(`invalid JSON: integer ${token} at offset ${i} is beyond 2^53-1`);
      }
      i = end;
    } else {
      i++;
    }
  }
}

function normalizeNegativeZero(value: unknown): JsonValue {
  if (typeof value === 'number') return value === 0 ? 0 : value;
  if (Array.isArray(value)) return value.map(normalizeNegativeZero);
  if (value !== null && typeof value === 'object') {
    const result: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a "__proto__" key must stay an own property, as JSON.parse made it.
      Object.defineProperty(result, key, {
        value: normalizeNegativeZero(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value as JsonValue;
}

/** Standard JSON with integer numbers only (fractions, exponents, NaN/Infinity and unsafe integers are refused). */
export function jsonParse(s: string): JsonValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (error) {
    throw new InvalidJsonError(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  checkJsonNumbers(s);
  return normalizeNegativeZero(parsed);
}

/** Unix time in whole seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `a[i]` when 0 <= i < a.length, else undefined (Python would wrap negative indexes and raise past the end). */
export function arrayItem<T>(a: readonly T[], i: number): T | undefined {
  if (!Number.isInteger(i) || i < 0 || i >= a.length) return undefined;
  return a[i];
}

// ---- Bytes primitives for the memcached protocol (src/memcache/) ----
// Each does exactly what the Python expression or function of the same name in _runtime.py does, for every integer
// argument; the ones whose Python body is one expression with no error case are written inline by the emitter.

/** A view of `b` with Buffer's search methods; never copies. */
function bufferView(b: Bytes): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Python's reading of a slice start: negative counts from the end, and below 0 is 0. */
function sliceStart(start: number, length: number): number {
  return start < 0 ? Math.max(start + length, 0) : start;
}

/** Index of the first `needle` in `haystack` at or after `start`, or -1 (Python `haystack.find(needle, start)`). */
export function bytesFind(haystack: Bytes, needle: Bytes, start: number): number {
  const from = sliceStart(start, haystack.length);
  if (from > haystack.length) return -1;
  if (needle.length === 0) return from;
  return bufferView(haystack).indexOf(needle, from);
}

/** Whether `prefix` occurs in `data` at `position` (Python `data.startswith(prefix, position)`). */
export function bytesStartsWith(data: Bytes, prefix: Bytes, position: number): boolean {
  const from = sliceStart(position, data.length);
  if (from > data.length || from + prefix.length > data.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (data[from + i] !== prefix[i]) return false;
  }
  return true;
}

/** The parts one after the other, copied once (Python `bytes().join(parts)`). */
export function bytesConcat(parts: readonly Bytes[]): Bytes {
  let total = 0;
  for (const part of parts) total += part.length;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** The parts one after the other with `separator` between each two, copied once (Python `separator.join(parts)`). */
export function bytesJoin(parts: readonly Bytes[], separator: Bytes): Bytes {
  const pieces: Bytes[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) pieces.push(separator);
    pieces.push(parts[i]!);
  }
  return bytesConcat(pieces);
}

/** Same length and same bytes (Python `a == b`; `===` on Uint8Arrays compares identity). */
export function bytesEqual(a: Bytes, b: Bytes): boolean {
  return a.length === b.length && bufferView(a).equals(b);
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` byte by byte (a prefix first): Python's bytes order. */
export function bytesCompare(a: Bytes, b: Bytes): number {
  return Buffer.compare(bufferView(a), bufferView(b));
}

/**
 * The pieces of `data` between occurrences of `separator`, empty pieces kept (Python `data.split(separator)`); each
 * piece is a copy. An empty separator is an InvalidArgumentError.
 */
export function bytesSplit(data: Bytes, separator: Bytes): Bytes[] {
  if (separator.length === 0) throw new InvalidArgumentError('bytesSplit expects a non-empty separator');
  const view = bufferView(data);
  const pieces: Bytes[] = [];
  let start = 0;
  for (;;) {
    const found = view.indexOf(separator, start);
    if (found < 0) break;
    pieces.push(Uint8Array.prototype.slice.call(data, start, found));
    start = found + separator.length;
  }
  pieces.push(Uint8Array.prototype.slice.call(data, start));
  return pieces;
}

const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;

/** One or more bytes, all ASCII digits 0-9 (Python `bytes.isdigit()`). */
export function isAsciiDigits(b: Bytes): boolean {
  if (b.length === 0) return false;
  for (const byte of b) {
    if (byte < DIGIT_ZERO || byte > DIGIT_NINE) return false;
  }
  return true;
}

/** Longest digit string parseAsciiDigits reads: every 15-digit number is below 2^53. */
const MAX_PARSED_DIGITS = 15;

/**
 * The value of 1 to 15 ASCII digits (leading zeros allowed), else -1: no sign, no spaces, no underscores, no other
 * digits than 0-9 (Python's int() would accept all of those).
 */
export function parseAsciiDigits(b: Bytes): number {
  if (b.length > MAX_PARSED_DIGITS || !isAsciiDigits(b)) return -1;
  let value = 0;
  for (const byte of b) value = value * 10 + (byte - DIGIT_ZERO);
  return value;
}

/** Each byte as the code point of the same value (Python `b.decode('latin-1')`); never fails. */
export function latin1Decode(b: Bytes): string {
  return bufferView(b).toString('latin1');
}

/** Decimal ASCII of a safe integer (Python `b'%d' % n`); anything else is an InvalidArgumentError. */
export function intToAscii(n: number): Bytes {
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`intToAscii expects a safe integer, got ${describeNumber(n)}`);
  return new Uint8Array(Buffer.from(String(n === 0 ? 0 : n), 'latin1'));
}

const SPACE_BYTE = 0x20;
const DEL_BYTE = 0x7f;

/** Whether `b` holds a byte that ends or splits a text-protocol token: a C0 control, space (0x20) or DEL (0x7f). */
export function hasSpaceOrControl(b: Bytes): boolean {
  for (const byte of b) {
    if (byte <= SPACE_BYTE || byte === DEL_BYTE) return true;
  }
  return false;
}

/** Bytes with the given values, each an integer from 0 to 255 (Python `bytes(values)`); others are an InvalidArgumentError. */
export function bytesOf(values: readonly number[]): Bytes {
  for (const value of values) {
    if (!Number.isInteger(value) || value < 0 || value > 255) {
      throw new InvalidArgumentError(`bytesOf expects byte values from 0 to 255, got ${describeNumber(value)}`);
    }
  }
  return Uint8Array.from(values);
}
