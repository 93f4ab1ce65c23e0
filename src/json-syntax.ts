// A JSON syntax check (RFC 8259, what PostgreSQL's json input accepts), so a value that is not JSON can be reported
// with the key it came from, before PostgreSQL's own error (which cannot name it). Iterative: nesting depth is free.
import { codePointOf, codePoints } from './ports/runtime';

const WHITESPACE: string[] = [' ', '\t', '\n', '\r'];
const DIGITS: string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const HEX: string[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'a',
  'b',
  'c',
  'd',
  'e',
  'f',
  'A',
  'B',
  'C',
  'D',
  'E',
  'F',
];
const ESCAPES: string[] = ['"', '\\', '/', 'b', 'f', 'n', 'r', 't'];
const LITERALS: string[] = ['true', 'false', 'null'];

/** What the checker expects next. */
type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

/** The value of the four hex digits of a `\\u` escape whose backslash is at `start`, or -1 when they are not hex. */
function unicodeEscapeValue(chars: string[], start: number): number {
  let value = 0;
  for (let k = start + 2; k < start + 6; k++) {
    const digit = chars[k];
    if (digit === undefined || !HEX.includes(digit)) return -1;
    const code = codePointOf(digit);
    const digitValue = code <= 0x39 ? code - 0x30 : code <= 0x46 ? code - 0x41 + 10 : code - 0x61 + 10;
    value = value * 16 + digitValue;
  }
  return value;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * The index after the string starting at `start` (a '"'), or -1 when it is not a valid JSON string. For jsonb, whose
 * input decodes escapes, `\\u0000` and a surrogate escape that is not a high-low pair are refused too.
 */
function skipString(chars: string[], start: number, forJsonb: boolean): number {
  let i = start + 1;
  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === '"') return i + 1;
    if (ch === '\\') {
      const escaped = chars[i + 1];
      if (escaped === undefined) return -1;
      if (escaped === 'u') {
        const unit = unicodeEscapeValue(chars, i);
        if (unit < 0) return -1;
        i += 6;
        if (forJsonb) {
          if (unit === 0 || isLowSurrogate(unit)) return -1;
          if (isHighSurrogate(unit)) {
            if (chars[i] !== '\\' || chars[i + 1] !== 'u' || !isLowSurrogate(unicodeEscapeValue(chars, i))) return -1;
            i += 6;
          }
        }
      } else if (ESCAPES.includes(escaped)) {
        i += 2;
      } else {
        return -1;
      }
    } else if (codePointOf(ch) < 0x20) {
      return -1;
    } else {
      i += 1;
    }
  }
  return -1;
}

/** The index after the digits starting at `start`, which must hold at least one digit; -1 otherwise. */
function skipDigits(chars: string[], start: number): number {
  let i = start;
  while (i < chars.length && DIGITS.includes(chars[i]!)) i += 1;
  return i === start ? -1 : i;
}

/** The index after the number starting at `start`, or -1 when it is not a valid JSON number. */
function skipNumber(chars: string[], start: number): number {
  let i = start;
  if (chars[i] === '-') i += 1;
  if (chars[i] === '0') {
    i += 1;
  } else {
    i = skipDigits(chars, i);
    if (i < 0) return -1;
  }
  if (chars[i] === '.') {
    i = skipDigits(chars, i + 1);
    if (i < 0) return -1;
  }
  if (chars[i] === 'e' || chars[i] === 'E') {
    i += 1;
    if (chars[i] === '+' || chars[i] === '-') i += 1;
    i = skipDigits(chars, i);
  }
  return i;
}

/** The index after the literal (true, false, null) starting at `start`, or -1. */
function skipLiteral(chars: string[], start: number): number {
  for (const literal of LITERALS) {
    const letters = codePoints(literal);
    let matches = true;
    for (let k = 0; k < letters.length; k++) {
      if (chars[start + k] !== letters[k]!) {
        matches = false;
        break;
      }
    }
    if (matches) return start + letters.length;
  }
  return -1;
}

/**
 * True when `text` is one JSON value, surrounded by optional whitespace, as PostgreSQL's json input accepts it; with
 * `forJsonb`, as jsonb's input accepts it (no `\\u0000`, surrogate escapes only as high-low pairs).
 */
export function isJsonText(text: string, forJsonb: boolean): boolean {
  const chars = codePoints(text);
  const containers: string[] = [];
  let expect: Expect = 'value';
  let i = 0;
  while (true) {
    while (i < chars.length && WHITESPACE.includes(chars[i]!)) i += 1;
    if (i >= chars.length) return expect === 'end';
    const ch = chars[i]!;
    if (expect === 'end') return false;
    if (expect === 'colon') {
      if (ch !== ':') return false;
      expect = 'value';
      i += 1;
      continue;
    }
    if (expect === 'comma-or-close') {
      const container = containers[containers.length - 1]!;
      if (ch === ',') {
        expect = container === '{' ? 'key' : 'value';
        i += 1;
        continue;
      }
      if ((ch === '}' && container === '{') || (ch === ']' && container === '[')) {
        containers.pop();
        expect = containers.length === 0 ? 'end' : 'comma-or-close';
        i += 1;
        continue;
      }
      return false;
    }
    if (expect === 'key' || expect === 'key-or-close') {
      if (expect === 'key-or-close' && ch === '}') {
        containers.pop();
        expect = containers.length === 0 ? 'end' : 'comma-or-close';
        i += 1;
        continue;
      }
      if (ch !== '"') return false;
      i = skipString(chars, i, forJsonb);
      if (i < 0) return false;
      expect = 'colon';
      continue;
    }
    // expect is 'value' or 'value-or-close'
    if (expect === 'value-or-close' && ch === ']') {
      containers.pop();
      expect = containers.length === 0 ? 'end' : 'comma-or-close';
      i += 1;
      continue;
    }
    if (ch === '{' || ch === '[') {
      containers.push(ch);
      expect = ch === '{' ? 'key-or-close' : 'value-or-close';
      i += 1;
      continue;
    }
    if (ch === '"') {
      i = skipString(chars, i, forJsonb);
    } else if (ch === '-' || DIGITS.includes(ch)) {
      i = skipNumber(chars, i);
    } else {
      i = skipLiteral(chars, i);
    }
    if (i < 0) return false;
    expect = containers.length === 0 ? 'end' : 'comma-or-close';
  }
}
