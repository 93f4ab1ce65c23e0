// memcached key handling: validation against the text protocol's rules, and the per-table key prefix.
// Emitted to Python (pymcache_fdw/keys.py); written in the TS subset the emitter accepts (see docs/emitter.md).
import { codePointOf, codePoints, intDiv, intToString, utf8ByteLength } from './ports/runtime';

/** memcached's limit on a key, in bytes (the text protocol counts bytes; we send keys as UTF-8). */
export const MAX_KEY_BYTES = 250;

/** How many characters of an offending key an error message shows before eliding the rest. */
const SHOWN_CHARACTERS = 60;

const HEX_DIGITS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];

const KEY_RULE = `a key must be 1 to ${intToString(MAX_KEY_BYTES)} bytes of UTF-8 with no spaces or control characters`;

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

/**
 * Throws InvalidKeyError unless memcached's text protocol accepts `fullKey` as one key: 1 to 250 UTF-8 bytes, no
 * space, no C0 control character (U+0000-U+001F) and no DEL (U+007F). C1 controls (U+0080-U+009F) are allowed: in
 * UTF-8 they are bytes >= 0x80, which neither memcached nor pymemcache treat specially (see docs/memcache-client.md).
 * A lone surrogate is refused because it has no UTF-8 encoding.
 */
export function validateKey(fullKey: string): void {
  if (fullKey === '') {
    throw new InvalidKeyError(fullKey, 'it is empty');
  }
  let position = 0;
  for (const ch of codePoints(fullKey)) {
    position += 1;
    const codePoint = codePointOf(ch);
    if (ch === ' ') {
      throw new InvalidKeyError(fullKey, `it contains a space (character ${intToString(position)})`);
    }
    if (isControl(codePoint)) {
      throw new InvalidKeyError(
        fullKey,
        `it contains the control character \\x${hexDigits(codePoint, 2)} (character ${intToString(position)})`,
      );
    }
    if (isSurrogate(codePoint)) {
      throw new InvalidKeyError(
        fullKey,
        `it contains the lone surrogate \\u${hexDigits(codePoint, 4)} (character ${intToString(position)}), which has no UTF-8 encoding`,
      );
    }
  }
  const byteLength = utf8ByteLength(fullKey);
  if (byteLength > MAX_KEY_BYTES) {
    throw new InvalidKeyError(fullKey, `it is ${intToString(byteLength)} bytes long in UTF-8`);
  }
}

/**
 * The key sent to memcached for the user's `key` under `prefix`, validated as a whole (the prefix counts toward the
 * 250 bytes). An empty `key` is refused even when the prefix is not empty: it would address the bare prefix.
 */
export function prefixedKey(prefix: string, key: string): string {
  if (key === '') {
    throw new InvalidKeyError(key, 'it is empty');
  }
  const fullKey = prefix + key;
  validateKey(fullKey);
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
