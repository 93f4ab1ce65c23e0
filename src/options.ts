// Parsing of the foreign server / table options (all strings in PostgreSQL), with errors that name the option, the
// rejected value and what is accepted. Emitted to Python (pymcache_fdw/options.py); written in the emitter's TS subset.
import {
  codePointOf,
  codePoints,
  intToString,
  parseDecimalFloat,
  parseDecimalInt,
  sortedStrings,
} from './ports/runtime';
import type { Float } from './ports/runtime';
import { quoteForMessage } from './keys';

/** An option value or name that cannot be used; `option` is the option's name. */
export class OptionError extends Error {
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** One memcached server of a server list; `weight` is its relative share of the keys (1 when not given). */
export type ServerAddress = { host: string; port: number; weight: number };

/** The largest weight a server list accepts: far beyond any sensible ratio between a handful of servers. */
const MAX_SERVER_WEIGHT = 1000000;

const SERVER_LIST_FORMAT =
  'a comma-separated list of host:port or host:port:weight (IPv6 hosts in brackets, e.g. [::1]:11211), ' +
  'ports from 1 to 65535, weights from 1 to 1000000';

// ASCII-only case folding: JS toLowerCase and Python lower() disagree outside ASCII (e.g. U+0130).
const ASCII_LOWERCASE: Record<string, string> = {
  A: 'a',
  B: 'b',
  C: 'c',
  D: 'd',
  E: 'e',
  F: 'f',
  G: 'g',
  H: 'h',
  I: 'i',
  J: 'j',
  K: 'k',
  L: 'l',
  M: 'm',
  N: 'n',
  O: 'o',
  P: 'p',
  Q: 'q',
  R: 'r',
  S: 's',
  T: 't',
  U: 'u',
  V: 'v',
  W: 'w',
  X: 'x',
  Y: 'y',
  Z: 'z',
};

function asciiLowercase(text: string): string {
  const folded: string[] = [];
  for (const ch of codePoints(text)) {
    folded.push(ASCII_LOWERCASE[ch] ?? ch);
  }
  return folded.join('');
}

function invalidValue(name: string, raw: string, expected: string): OptionError {
  return new OptionError(name, `invalid value ${quoteForMessage(raw)} for option "${name}": expected ${expected}`);
}

function serverListError(name: string, raw: string, problem: string): OptionError {
  return new OptionError(
    name,
    `invalid value ${quoteForMessage(raw)} for option "${name}": ${problem}; expected ${SERVER_LIST_FORMAT}`,
  );
}

/** A decimal integer from `min` to `max` (optional sign, ASCII digits, nothing else: no spaces, no exponent). */
export function parseIntegerOption(name: string, raw: string, min: number, max: number): number {
  const value = parseDecimalInt(raw);
  if (value === null || value < min || value > max) {
    throw invalidValue(name, raw, `an integer from ${intToString(min)} to ${intToString(max)}`);
  }
  return value;
}

/**
 * A boolean spelled as PostgreSQL's parse_bool accepts it: case-insensitive true/false/yes/no or any unambiguous
 * prefix of them (t, fa, y, ...), on/off (at least two letters: on, of, off), 1 or 0.
 */
export function parseBooleanOption(name: string, raw: string): boolean {
  const folded = asciiLowercase(raw);
  if (folded !== '') {
    if ('true'.startsWith(folded) || 'yes'.startsWith(folded) || folded === 'on' || folded === '1') {
      return true;
    }
    if (
      'false'.startsWith(folded) ||
      'no'.startsWith(folded) ||
      folded === 'of' ||
      folded === 'off' ||
      folded === '0'
    ) {
      return false;
    }
  }
  throw invalidValue(name, raw, 'a boolean: true, false, on, off, yes, no, 1 or 0');
}

/** A non-negative decimal number of seconds such as 0.25 or 3 (no sign, no exponent, no inf/nan). */
export function parseSecondsOption(name: string, raw: string): Float {
  const value = parseDecimalFloat(raw);
  if (value === null || raw.startsWith('-') || raw.startsWith('+')) {
    throw invalidValue(name, raw, 'a non-negative number of seconds written in decimal, such as 0.5 or 2');
  }
  return value;
}

/** One of `allowed`, compared ASCII case-insensitively like PostgreSQL's enum settings; returns the spelling in `allowed`. */
export function parseEnumOption<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  const folded = asciiLowercase(raw);
  for (const candidate of allowed) {
    if (asciiLowercase(candidate) === folded) {
      return candidate;
    }
  }
  throw invalidValue(name, raw, `one of ${allowed.join(', ')}`);
}

function isSpaceOrTab(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

/** `text` without leading and trailing spaces and tabs (JS trim and Python strip disagree on what whitespace is). */
function trimSpaces(text: string): string {
  const characters = codePoints(text);
  let start = 0;
  let end = characters.length;
  while (start < end && isSpaceOrTab(characters[start]!)) {
    start += 1;
  }
  while (end > start && isSpaceOrTab(characters[end - 1]!)) {
    end -= 1;
  }
  return characters.slice(start, end).join('');
}

/** Digits only: parseDecimalInt alone would also take a sign. */
function isUnsignedDecimal(text: string): boolean {
  return text !== '' && !text.startsWith('+') && !text.startsWith('-') && parseDecimalInt(text) !== null;
}

/** A host name or address must be non-empty and hold no spaces, control characters, brackets or commas. */
export function isPlausibleHost(host: string): boolean {
  if (host === '') {
    return false;
  }
  for (const ch of codePoints(host)) {
    const codePoint = codePointOf(ch);
    if (codePoint <= 0x20 || codePoint === 0x7f || ch === '[' || ch === ']' || ch === ',') {
      return false;
    }
  }
  return true;
}

function parseServerEntry(name: string, raw: string, entry: string, position: number): ServerAddress {
  const where = `server ${intToString(position)} (${quoteForMessage(entry)})`;
  let host: string;
  let fields: string[];
  if (entry.startsWith('[')) {
    const parts = entry.split(']');
    const bracketed = parts[0]!;
    const rest = parts.length === 2 ? parts[1]! : '';
    if (parts.length !== 2 || !rest.startsWith(':')) {
      throw serverListError(name, raw, `${where} has an unclosed or misplaced bracket`);
    }
    host = codePoints(bracketed).slice(1).join('');
    fields = codePoints(rest).slice(1).join('').split(':');
  } else {
    const parts = entry.split(':');
    host = parts[0]!;
    fields = parts.slice(1);
  }
  if (!isPlausibleHost(host)) {
    throw serverListError(name, raw, `${where} has no usable host`);
  }
  if (fields.length === 0 || fields.length > 2) {
    throw serverListError(name, raw, `${where} is not host:port or host:port:weight`);
  }
  const portText = fields[0]!;
  const port = isUnsignedDecimal(portText) ? parseDecimalInt(portText) : null;
  if (port === null || port < 1 || port > 65535) {
    throw serverListError(name, raw, `${where} has an invalid port`);
  }
  let weight = 1;
  if (fields.length === 2) {
    const weightText = fields[1]!;
    const parsedWeight = isUnsignedDecimal(weightText) ? parseDecimalInt(weightText) : null;
    if (parsedWeight === null || parsedWeight < 1 || parsedWeight > MAX_SERVER_WEIGHT) {
      throw serverListError(name, raw, `${where} has an invalid weight`);
    }
    weight = parsedWeight;
  }
  return { host: host, port: port, weight: weight };
}

/**
 * memcached servers as `host:port[:weight]`, comma-separated (spaces around entries ignored), IPv6 hosts in brackets.
 * The same host (ASCII case-insensitive) and port may appear only once.
 */
export function parseServerList(name: string, raw: string): ServerAddress[] {
  const servers: ServerAddress[] = [];
  const seen: string[] = [];
  const entries = raw.split(',');
  for (let i = 0; i < entries.length; i++) {
    const entry = trimSpaces(entries[i]!);
    if (entry === '') {
      throw serverListError(name, raw, `server ${intToString(i + 1)} is empty`);
    }
    const server = parseServerEntry(name, raw, entry, i + 1);
    const identity = `${asciiLowercase(server.host)} ${intToString(server.port)}`;
    if (seen.includes(identity)) {
      throw serverListError(name, raw, `server ${intToString(i + 1)} (${quoteForMessage(entry)}) is listed twice`);
    }
    seen.push(identity);
    servers.push(server);
  }
  return servers;
}

/** Throws OptionError naming every option of `options` not in `known`, and listing the valid ones, sorted. */
export function rejectUnknownOptions(options: Record<string, string>, known: readonly string[]): void {
  const unknown: string[] = [];
  for (const option of Object.keys(options)) {
    if (!known.includes(option)) {
      unknown.push(option);
    }
  }
  if (unknown.length === 0) {
    return;
  }
  const sortedUnknown = sortedStrings(unknown);
  const quoted: string[] = [];
  for (const option of sortedUnknown) {
    quoted.push(quoteForMessage(option));
  }
  const noun = unknown.length === 1 ? 'option' : 'options';
  throw new OptionError(
    sortedUnknown[0]!,
    `unknown ${noun} ${quoted.join(', ')}; valid options are: ${sortedStrings(known).join(', ')}`,
  );
}
