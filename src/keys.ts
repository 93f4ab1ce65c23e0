// memcached key handling: validation against the text protocol's rules, and the per-table key prefix.
// Emitted to Python (pymcache_fdw/keys.py); written in the TS subset the emitter accepts (see docs/emitter.md).
import {
  bytesConcat,
  bytesSplit,
  codePointOf,
  codePoints,
  hasSpaceOrControl,
  intDiv,
  intToString,
  LoneSurrogateError,
  utf8ByteLength,
  utf8Encode,
  type Bytes,
} from './ports/runtime';

/** memcached's limit on a key, in bytes (the text protocol counts bytes; we send keys as UTF-8). */
export const MAX_KEY_BYTES = 250;

/** How many characters of an offending key an error message shows before eliding the rest. */
const SHOWN_CHARACTERS = 60;

const HEX_DIGITS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];

/** The rule every key follows, as error messages state it. */
export const KEY_RULE = `a key must be 1 to ${intToString(MAX_KEY_BYTES)} bytes of UTF-8 with no spaces or control characters`;
/** The HINT of an invalid key's ERROR: the same rule, and that a table's prefix counts toward the limit. */
export const KEY_HINT = `memcached keys are 1 to ${intToString(MAX_KEY_BYTES)} bytes of UTF-8 without spaces or control characters, prefix included.`;

const SPACE: Bytes = utf8Encode(' ');

/** A key memcached would refuse or misread; `key` is the full (prefixed) key, `reason` says what is wrong with it. */
export class InvalidKeyError extends Error {
  readonly key: string;
  readonly reason: string;

  constructor(key: string, reason: string) {
    super(`invalid memcached key ${quoteForMessage(key)}: ${reason}; ${KEY_RULE}`);
    this.key = key;
    this.reason = reason;
  }
}

function hexDigits(value: number, width: number): string {
  let text = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    const quotient = intDiv(rest, 16);
    text = HEX_DIGITS[rest - quotient * 16]! + text;
    rest = quotient;
  }
  return text;
}

function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || codePoint === 0x7f;
}

function isSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff;
}

/** How a character appears inside a quoted message: controls and lone surrogates escaped, so messages stay one line. */
function escapeCharacter(ch: string): string {
  const codePoint = codePointOf(ch);
  if (ch === '\\') return '\\\\';
  if (ch === '"') return '\\"';
  if (isControl(codePoint)) return `\\x${hexDigits(codePoint, 2)}`;
  if (isSurrogate(codePoint)) return `\\u${hexDigits(codePoint, 4)}`;
  return ch;
}

/**
 * `text` in double quotes for an error message, with backslash escapes for quotes, backslashes, control characters
 * and lone surrogates; past 60 characters the rest is elided and the total length given.
 */
export function quoteForMessage(text: string): string {
  const characters = codePoints(text);
  const shown: string[] = [];
  for (const ch of characters.slice(0, SHOWN_CHARACTERS)) {
    shown.push(escapeCharacter(ch));
  }
  if (characters.length > SHOWN_CHARACTERS) {
    return `"${shown.join('')}…" (${intToString(characters.length)} characters)`;
  }
  return `"${shown.join('')}"`;
}

/** Keys a message lists by name before it only counts the rest. */
const LISTED_KEYS = 10;

/** `"a", "b", "c" and 12 more`: the first LISTED_KEYS of `keys`, each quoted for a message. */
export function keyListText(keys: string[]): string {
  const shown: string[] = [];
  for (const key of keys.slice(0, LISTED_KEYS)) shown.push(quoteForMessage(key));
  const text = shown.join(', ');
  return keys.length > LISTED_KEYS ? `${text} and ${intToString(keys.length - LISTED_KEYS)} more` : text;
}

/** `key "k"` or `3 keys`, for messages. */
export function keyCountText(keys: string[]): string {
  return keys.length === 1 ? `key ${quoteForMessage(keys[0]!)}` : `${intToString(keys.length)} keys`;
}

/**
 * `prefix + key` when memcached's text protocol accepts it as one key, else null: the one statement of the key rule,
 * as one UTF-8 encode and one byte loop (the fast path of every key written or looked up). The key must not be empty
 * and the whole key is 1 to 250 bytes with no space (0x20), C0 control (below 0x20) or DEL (0x7f). Checking bytes is
 * exact: in UTF-8 those characters are single bytes and every byte of a multi-byte character is >= 0x80, so C1
 * controls (U+0080-U+009F) and non-ASCII spaces pass, as neither memcached nor pymemcache treat them specially (see
 * docs/memcache-client.md); a lone surrogate has no UTF-8 encoding and is refused. `keyProblem` names what is wrong
 * with a key this refuses.
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
  if (encoded.length > MAX_KEY_BYTES || hasSpaceOrControl(encoded)) return null;
  return fullKey;
}

/**
 * The full keys of `keys` under `prefix` when plainFullKey accepts every one, else null: one UTF-8 encode and one
 * search of all their bytes for a space or control byte, instead of a call per key. Plain keys hold no space, so the
 * full keys joined by spaces split back into one piece per key exactly when none holds one.
 */
export function plainFullKeys(prefix: string, keys: string[]): string[] | null {
  const keyCount = keys.length;
  if (keyCount === 0) return [];
  if (keyCount === 1) {
    const plain = plainFullKey(prefix, keys[0]!);
    return plain === null ? null : [plain];
  }
  if (keys.includes('')) return null;
  const fullKeys = prefix === '' ? keys.slice() : keys.map((key) => prefix + key);
  let pieces: Bytes[];
  try {
    pieces = bytesSplit(utf8Encode(fullKeys.join(' ')), SPACE);
  } catch (error) {
    if (error instanceof LoneSurrogateError) return null;
    throw error;
  }
  if (pieces.length !== fullKeys.length || hasSpaceOrControl(bytesConcat(pieces))) return null;
  for (const piece of pieces) {
    if (piece.length > MAX_KEY_BYTES) return null;
  }
  return fullKeys;
}

/**
 * What is wrong with `fullKey` as a memcached key, or null when nothing is: the first offending character and its
 * position, else the length. It accepts exactly what plainFullKey accepts (test/unit/keys.test.ts checks it on random
 * keys) but costs a loop of calls per character, so it only runs once the fast check has refused a key.
 */
export function keyProblem(fullKey: string): string | null {
  if (fullKey === '') return 'it is empty';
  let position = 0;
  for (const ch of codePoints(fullKey)) {
    position += 1;
    const codePoint = codePointOf(ch);
    if (ch === ' ') return `it contains a space (character ${intToString(position)})`;
    if (isControl(codePoint)) {
      return `it contains the control character \\x${hexDigits(codePoint, 2)} (character ${intToString(position)})`;
    }
    if (isSurrogate(codePoint)) {
      return `it contains the lone surrogate \\u${hexDigits(codePoint, 4)} (character ${intToString(position)}), which has no UTF-8 encoding`;
    }
  }
  const byteLength = utf8ByteLength(fullKey);
  if (byteLength > MAX_KEY_BYTES) return `it is ${intToString(byteLength)} bytes long in UTF-8`;
  return null;
}

/** Throws InvalidKeyError, naming the problem, unless memcached's text protocol accepts `fullKey` as one key. */
export function validateKey(fullKey: string): void {
  if (plainFullKey('', fullKey) !== null) return;
  const problem = keyProblem(fullKey);
  if (problem !== null) throw new InvalidKeyError(fullKey, problem);
}

/**
 * The key sent to memcached for the user's `key` under `prefix`, validated as a whole (the prefix counts toward the
 * 250 bytes). An empty `key` is refused even when the prefix is not empty: it would address the bare prefix.
 */
export function prefixedKey(prefix: string, key: string): string {
  const plain = plainFullKey(prefix, key);
  if (plain !== null) return plain;
  if (key === '') throw new InvalidKeyError(key, 'it is empty');
  const fullKey = prefix + key;
  const problem = keyProblem(fullKey);
  if (problem !== null) throw new InvalidKeyError(fullKey, problem);
  return fullKey;
}

/** The user's key inside `fullKey`, or null when `fullKey` does not start with `prefix` (compared by code points). */
export function stripPrefix(prefix: string, fullKey: string): string | null {
  const prefixCharacters = codePoints(prefix);
  const keyCharacters = codePoints(fullKey);
  if (keyCharacters.length < prefixCharacters.length) {
    return null;
  }
  for (let i = 0; i < prefixCharacters.length; i++) {
    if (keyCharacters[i]! !== prefixCharacters[i]!) {
      return null;
    }
  }
  return keyCharacters.slice(prefixCharacters.length).join('');
}
