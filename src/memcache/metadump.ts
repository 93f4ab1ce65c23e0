/**
 * The lines of `lru_crawler metadump`: one item each, `key=<percent-encoded key> exp=<n> la=<n> cas=<n> fetch=<yes|no>
 * cls=<n> size=<n>` and a bare LF (memcached 1.6.18's crawler.c), `flags=<n>` added in 1.6.24.
 */
import {
  bytesConcat,
  bytesEqual,
  bytesFind,
  bytesOf,
  bytesSplit,
  bytesStartsWith,
  latin1Decode,
  parseAsciiDigits,
  utf8Encode,
  type Bytes,
} from '../ports/runtime';
import { isDecimalU64, MAX_CLIENT_FLAGS, MAX_KEY_LENGTH, parseSignedDigits, SPACE } from './tokens';

/** One item of a metadump. Times are Unix times of the server's clock. */
export interface MetadumpEntry {
  /** The key's bytes (decoded from the line's percent-encoding). */
  key: Bytes;
  /** exp: when the item expires, -1 when it never does. */
  expiresAt: number;
  /** la: when it was last accessed. */
  lastAccess: number;
  /** cas: its CAS token. */
  cas: string;
  /** fetch: whether it was fetched since it was stored. */
  fetched: boolean;
  /** cls: its slab class (memcached 1.5.10 or later, else null). */
  slabClass: number | null;
  /** size: its size in memory, key and header included (memcached 1.5.10 or later, else null). */
  size: number | null;
  /** flags: its client flags (memcached 1.6.24 or later, else null). */
  clientFlags: number | null;
}

const PERCENT_SIGN: Bytes = utf8Encode('%');
const EQUALS: Bytes = utf8Encode('=');
const YES: Bytes = utf8Encode('yes');
const NO: Bytes = utf8Encode('no');

/** The value of one hexadecimal digit byte (either case), or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Each byte value as a one-byte string of bytes, made once: a decoded escape is one of them. */
const SINGLE_BYTES: Bytes[] = [];
for (let value = 0; value < 256; value++) SINGLE_BYTES.push(bytesOf([value]));

/**
 * The bytes `%XX` escapes stand for (memcached escapes every byte but letters, digits and `-._~`), or null. The runs
 * between escapes are copied whole: a listing decodes a key per item.
 */
export function percentDecode(encoded: Bytes): Bytes | null {
  let percent = bytesFind(encoded, PERCENT_SIGN, 0);
  if (percent < 0) return encoded;
  const parts: Bytes[] = [];
  let start = 0;
  while (percent >= 0) {
    if (percent + 2 >= encoded.length) return null;
    const high = hexDigit(encoded[percent + 1]!);
    const low = hexDigit(encoded[percent + 2]!);
    if (high < 0 || low < 0) return null;
    if (percent > start) parts.push(encoded.slice(start, percent));
    parts.push(SINGLE_BYTES[high * 16 + low]!);
    start = percent + 3;
    percent = bytesFind(encoded, PERCENT_SIGN, start);
  }
  if (start < encoded.length) parts.push(encoded.slice(start));
  return bytesConcat(parts);
}

/** A number of 1 to 15 digits, or null. */
function unsignedNumber(token: Bytes): number | null {
  const value = parseAsciiDigits(token);
  return value < 0 ? null : value;
}

/**
 * The entry a metadump line (without its line end) describes, or what is wrong with it. Fields the reader does not
 * know are skipped (later memcached versions add some); key, exp, la, cas and fetch must be there; a field given
 * twice counts with its last value.
 */
export function parseMetadumpLine(line: Bytes): MetadumpEntry | string {
  const fields = bytesSplit(line, SPACE);
  const usual = usualEntry(fields);
  if (usual !== null) return usual;
  let key: Bytes | null = null;
  let expiresAt: number | null = null;
  let lastAccess: number | null = null;
  let cas: string | null = null;
  let fetched: boolean | null = null;
  let slabClass: number | null = null;
  let size: number | null = null;
  let clientFlags: number | null = null;
  for (const field of fields) {
    const equals = bytesFind(field, EQUALS, 0);
    if (equals <= 0) return 'a field that is not name=value';
    const value = field.slice(equals + 1);
    const name = latin1Decode(field.slice(0, equals));
    if (name === 'key') {
      key = percentDecode(value);
      if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH)
        return 'a key that is not 1 to 250 percent-encoded bytes';
    } else if (name === 'exp') {
      expiresAt = parseSignedDigits(value);
      if (expiresAt === null) return 'an exp that is not a number';
    } else if (name === 'la') {
      lastAccess = unsignedNumber(value);
      if (lastAccess === null) return 'an la that is not a number';
    } else if (name === 'cas') {
      if (!isDecimalU64(value)) return 'a cas that is not an unsigned 64-bit number';
      cas = latin1Decode(value);
    } else if (name === 'fetch') {
      fetched = fetchedOf(value);
      if (fetched === null) return 'a fetch that is neither yes nor no';
    } else if (name === 'cls') {
      slabClass = unsignedNumber(value);
      if (slabClass === null) return 'a cls that is not a number';
    } else if (name === 'size') {
      size = unsignedNumber(value);
      if (size === null) return 'a size that is not a number';
    } else if (name === 'flags') {
      clientFlags = unsignedNumber(value);
      if (clientFlags === null || clientFlags > MAX_CLIENT_FLAGS) return 'flags that are not a 32-bit number';
    }
  }
  if (key === null || expiresAt === null || lastAccess === null || cas === null || fetched === null) {
    return 'one of the fields key, exp, la, cas and fetch missing';
  }
  return { key, expiresAt, lastAccess, cas, fetched, slabClass, size, clientFlags };
}

/** The fields memcached 1.5.10 to 1.6.x writes, in its order (1.6.24 adds `flags=` after them). */
const USUAL_FIELDS: Bytes[] = [
  utf8Encode('key='),
  utf8Encode('exp='),
  utf8Encode('la='),
  utf8Encode('cas='),
  utf8Encode('fetch='),
  utf8Encode('cls='),
  utf8Encode('size='),
];
const FLAGS_FIELD: Bytes = utf8Encode('flags=');

/**
 * The entry of a line holding exactly memcached's usual fields in its order, each well formed; null for any other
 * line, which the general reader then reads (and names what is wrong). A listing reads one line per item: this path
 * slices each field at its known place instead of searching it.
 */
function usualEntry(fields: Bytes[]): MetadumpEntry | null {
  const count = fields.length;
  if (count !== 7 && count !== 8) return null;
  for (let i = 0; i < 7; i++) {
    if (!bytesStartsWith(fields[i]!, USUAL_FIELDS[i]!, 0)) return null;
  }
  if (count === 8 && !bytesStartsWith(fields[7]!, FLAGS_FIELD, 0)) return null;
  const key = percentDecode(fields[0]!.slice(4));
  const expiresAt = parseSignedDigits(fields[1]!.slice(4));
  const lastAccess = unsignedNumber(fields[2]!.slice(3));
  const cas = fields[3]!.slice(4);
  const fetched = fetchedOf(fields[4]!.slice(6));
  const slabClass = unsignedNumber(fields[5]!.slice(4));
  const size = unsignedNumber(fields[6]!.slice(5));
  const clientFlags = count === 8 ? unsignedNumber(fields[7]!.slice(6)) : null;
  if (key === null || key.length === 0 || key.length > MAX_KEY_LENGTH || expiresAt === null || lastAccess === null)
    return null;
  if (!isDecimalU64(cas) || fetched === null || slabClass === null || size === null) return null;
  if (count === 8 && (clientFlags === null || clientFlags > MAX_CLIENT_FLAGS)) return null;
  return { key, expiresAt, lastAccess, cas: latin1Decode(cas), fetched, slabClass, size, clientFlags };
}

function fetchedOf(value: Bytes): boolean | null {
  if (bytesEqual(value, YES)) return true;
  if (bytesEqual(value, NO)) return false;
  return null;
}
