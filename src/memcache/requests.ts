/**
 * Request encoders of memcached's text protocol: each returns the exact bytes of one command, ready to write.
 *
 * Keys come in as UTF-8 bytes, already checked by src/keys.ts; the encoders still refuse, with InvalidRequestError,
 * anything that would break the framing of the line: a key that is empty, longer than 250 bytes or holds a control
 * byte, space or DEL, a number out of its range, a CAS token that is not an unsigned 64-bit decimal. Values are
 * arbitrary bytes (a data block is framed by its length, so it may hold CR LF).
 */
import {
  bytesConcat,
  bytesJoin,
  hasSpaceOrControl,
  intToAscii,
  intToString,
  utf8Encode,
  type Bytes,
} from '../ports/runtime';
import { CRLF, isDecimalU64, MAX_CLIENT_FLAGS, MAX_EXPTIME, MAX_KEY_LENGTH, MIN_EXPTIME, SPACE } from './tokens';

/** A request the encoders refuse to write; `reason` says why (it never quotes the key's bytes). */
export class InvalidRequestError extends Error {
  readonly reason: string;

  constructor(reason: string) {
    super(`invalid memcached request: ${reason}`);
    this.reason = reason;
  }
}

/** The classic storage commands that take flags and an expiration time (cas has its own encoder). */
export type StoreCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend';

/** How `ms` stores: its M flag (MS, ME, MR, MA, MP). */
export type MetaSetMode = 'set' | 'add' | 'replace' | 'append' | 'prepend';

/** How `ma` changes the number: its M flag (MI, MD). */
export type MetaArithmeticMode = 'incr' | 'decr';

/** The `stats` groups whose reply is STAT lines and END (what readStats reads). */
export type StatsGroup = 'settings' | 'items' | 'slabs' | 'sizes' | 'conns';

/** Flags of `mg`. Every property may be left out; the flags are written in the order of this list. */
export interface MetaGetOptions {
  /** v: the value (the reply is VA with a data block instead of HD). */
  returnValue?: boolean;
  /** c: the CAS token. */
  returnCas?: boolean;
  /** f: the client flags. */
  returnClientFlags?: boolean;
  /** t: the remaining TTL in seconds, -1 for an item that never expires. */
  returnTtl?: boolean;
  /** s: the value's size. */
  returnSize?: boolean;
  /** k: the key. */
  returnKey?: boolean;
  /** l: seconds since the last access. */
  returnLastAccess?: boolean;
  /** h: whether the item was fetched before. */
  returnHit?: boolean;
  /** u: do not bump the item in the LRU (nor mark it fetched). */
  noBump?: boolean;
  /** T: set the remaining TTL (like touch). */
  touchTtl?: number;
  /** N: on a miss, create an empty item with this TTL and answer W (won the right to fill it). */
  vivifyTtl?: number;
  /** R: answer W when the remaining TTL is below this one (recache before expiry). */
  recacheTtl?: number;
  /** O: an opaque token (1 to 31 bytes) copied into the reply, to match pipelined replies. */
  opaque?: Bytes;
  /** q: no reply on a miss (EN is suppressed); end a pipeline with mn. */
  quiet?: boolean;
}

/** Flags of `ms`. */
export interface MetaSetOptions {
  /** M: set (default), add, replace, append or prepend. */
  mode?: MetaSetMode;
  /** F: the client flags to store (0 when left out). */
  clientFlags?: number;
  /** T: the TTL (0, never expire, when left out). */
  ttl?: number;
  /** C: store only if the item's CAS token is this one (set and replace then act as cas). */
  compareCas?: string;
  /** I: with compareCas, a CAS token older than the item's marks the item stale instead of failing. */
  invalidate?: boolean;
  /** c: return the CAS token of the stored item. */
  returnCas?: boolean;
  /** k: return the key. */
  returnKey?: boolean;
  /** O: an opaque token copied into the reply. */
  opaque?: Bytes;
  /** q: no reply when stored (HD is suppressed). */
  quiet?: boolean;
}

/** Flags of `md`. */
export interface MetaDeleteOptions {
  /** C: delete only if the item's CAS token is this one. */
  compareCas?: string;
  /** I: mark the item stale (new CAS token, mg answers X and W) instead of removing it. */
  invalidate?: boolean;
  /** T: with invalidate, the TTL the stale item keeps. */
  ttl?: number;
  /** k: return the key. */
  returnKey?: boolean;
  /** O: an opaque token copied into the reply. */
  opaque?: Bytes;
  /** q: no reply when deleted (HD is suppressed). */
  quiet?: boolean;
}

/** Flags of `ma`. */
export interface MetaArithmeticOptions {
  /** M: incr (default) or decr; decr stops at 0, incr wraps at 2^64. */
  mode?: MetaArithmeticMode;
  /** D: the amount, an unsigned 64-bit decimal (1 when left out). */
  delta?: string;
  /** N: on a miss, create the item with this TTL (autovivify). */
  vivifyTtl?: number;
  /** J: with vivifyTtl, the initial value, an unsigned 64-bit decimal (0 when left out). */
  initial?: string;
  /** T: set the TTL when the operation succeeds. */
  ttl?: number;
  /** C: change the number only if the item's CAS token is this one. */
  compareCas?: string;
  /** v: return the new value (the reply is VA with the number as its data block). */
  returnValue?: boolean;
  /** t: return the remaining TTL. */
  returnTtl?: boolean;
  /** c: return the new CAS token. */
  returnCas?: boolean;
  /** k: return the key. */
  returnKey?: boolean;
  /** O: an opaque token copied into the reply. */
  opaque?: Bytes;
  /** q: no reply on success (HD is suppressed). */
  quiet?: boolean;
}

/** memcached keeps an O token of up to 32 bytes including the O itself (MFLAG_MAX_OPAQUE_LENGTH). */
const MAX_OPAQUE_LENGTH = 31;

/** Slab classes are numbered 1 to 63 (POWER_SMALLEST to MAX_NUMBER_OF_SLAB_CLASSES - 1). */
const MAX_SLAB_CLASS = 63;

const NOREPLY: Bytes = utf8Encode(' noreply');
const GET: Bytes = utf8Encode('get');
const GETS: Bytes = utf8Encode('gets');
/** The command words of encodeStore, encoded once. */
const STORE_COMMANDS: Map<StoreCommand, Bytes> = new Map([
  ['set', utf8Encode('set')],
  ['add', utf8Encode('add')],
  ['replace', utf8Encode('replace')],
  ['append', utf8Encode('append')],
  ['prepend', utf8Encode('prepend')],
]);
const ZERO: Bytes = utf8Encode('0');
const CAS: Bytes = utf8Encode('cas');
const DELETE: Bytes = utf8Encode('delete');
const TOUCH: Bytes = utf8Encode('touch');
const INCR: Bytes = utf8Encode('incr');
const DECR: Bytes = utf8Encode('decr');
const STATS: Bytes = utf8Encode('stats');
const VERSION: Bytes = utf8Encode('version\r\n');
const FLUSH_ALL: Bytes = utf8Encode('flush_all\r\n');
const META_GET: Bytes = utf8Encode('mg');
const META_SET: Bytes = utf8Encode('ms');
const META_DELETE: Bytes = utf8Encode('md');
const META_ARITHMETIC: Bytes = utf8Encode('ma');
const META_NOOP: Bytes = utf8Encode('mn\r\n');
const METADUMP: Bytes = utf8Encode('lru_crawler metadump ');
const METADUMP_ALL: Bytes = utf8Encode('all');
const METADUMP_HASH: Bytes = utf8Encode('hash');
const COMMA: Bytes = utf8Encode(',');

/** The key itself, after checking that it is one token memcached accepts. */
function checkedKey(key: Bytes): Bytes {
  const length = key.length;
  if (length === 0) throw new InvalidRequestError('the key is empty');
  if (length > MAX_KEY_LENGTH) {
    throw new InvalidRequestError(
      `the key is ${intToString(length)} bytes long, more than ${intToString(MAX_KEY_LENGTH)}`,
    );
  }
  if (hasSpaceOrControl(key)) throw new InvalidRequestError('the key holds a control character, space or DEL byte');
  return key;
}

/** The decimal bytes of `value`, after checking that it is an integer from `min` to `max`. */
function checkedNumber(what: string, value: number, min: number, max: number): Bytes {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidRequestError(`${what} must be an integer from ${intToString(min)} to ${intToString(max)}`);
  }
  return intToAscii(value);
}

function checkedExptime(what: string, value: number): Bytes {
  return checkedNumber(what, value, MIN_EXPTIME, MAX_EXPTIME);
}

function checkedClientFlags(value: number): Bytes {
  return checkedNumber('the client flags', value, 0, MAX_CLIENT_FLAGS);
}

/** The ASCII bytes of an unsigned 64-bit decimal (a CAS token, delta or initial value), after checking them. */
function checkedU64(what: string, digits: string): Bytes {
  const encoded = utf8Encode(digits);
  if (!isDecimalU64(encoded))
    throw new InvalidRequestError(`${what} must be the decimal digits of an unsigned 64-bit integer`);
  return encoded;
}

function checkedOpaque(opaque: Bytes): Bytes {
  if (opaque.length === 0 || opaque.length > MAX_OPAQUE_LENGTH || hasSpaceOrControl(opaque)) {
    throw new InvalidRequestError(
      `an opaque token must be 1 to ${intToString(MAX_OPAQUE_LENGTH)} bytes without control characters, spaces or DEL`,
    );
  }
  return opaque;
}

/**
 * `get <key>*` / `gets <key>*`: one line for all the keys (memcached reads multiget lines of any length). The keys are
 * checked all at once (one search of their bytes for a space or control byte, and each length); when that finds a
 * problem, checking them one by one names the first key's.
 */
function retrieval(command: Bytes, keys: readonly Bytes[]): Bytes {
  const keyCount = keys.length;
  if (keyCount === 0) throw new InvalidRequestError(`no keys to ask for`);
  if (keyCount === 1) return bytesConcat([command, SPACE, checkedKey(keys[0]!), CRLF]);
  let plain = !hasSpaceOrControl(bytesConcat(keys));
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) plain = false;
  }
  if (!plain) {
    for (const key of keys) checkedKey(key);
  }
  return bytesConcat([command, SPACE, bytesJoin(keys, SPACE), CRLF]);
}

/** `get <key>*\r\n`: the values of the keys found (read with readValues). */
export function encodeGet(keys: readonly Bytes[]): Bytes {
  return retrieval(GET, keys);
}

/** `gets <key>*\r\n`: the values with their CAS tokens (read with readValues). */
export function encodeGets(keys: readonly Bytes[]): Bytes {
  return retrieval(GETS, keys);
}

/** `<command> <key> <flags> <exptime> <bytes>[ <cas>][ noreply]\r\n<value>\r\n` */
function storage(
  command: Bytes,
  key: Bytes,
  flags: number,
  exptime: number,
  value: Bytes,
  cas: Bytes | null,
  noreply: boolean,
): Bytes {
  // Flags and expiration time are most often 0, which needs no check.
  const flagsToken = flags === 0 ? ZERO : checkedClientFlags(flags);
  const exptimeToken = exptime === 0 ? ZERO : checkedExptime('the expiration time', exptime);
  const parts: Bytes[] = [
    command,
    SPACE,
    checkedKey(key),
    SPACE,
    flagsToken,
    SPACE,
    exptimeToken,
    SPACE,
    intToAscii(value.length),
  ];
  if (cas !== null) parts.push(SPACE, cas);
  if (noreply) parts.push(NOREPLY);
  parts.push(CRLF, value, CRLF);
  return bytesConcat(parts);
}

/**
 * `set`/`add`/`replace`/`append`/`prepend <key> <flags> <exptime> <bytes>[ noreply]` and the value (read with
 * readStored). append and prepend ignore flags and exptime, as memcached does.
 */
export function encodeStore(
  command: StoreCommand,
  key: Bytes,
  flags: number,
  exptime: number,
  value: Bytes,
  noreply = false,
): Bytes {
  return storage(STORE_COMMANDS.get(command)!, key, flags, exptime, value, null, noreply);
}

/** `cas <key> <flags> <exptime> <bytes> <cas>[ noreply]` and the value (read with readStored); `cas` as from gets. */
export function encodeCas(
  key: Bytes,
  flags: number,
  exptime: number,
  value: Bytes,
  cas: string,
  noreply = false,
): Bytes {
  return storage(CAS, key, flags, exptime, value, checkedU64('the CAS token', cas), noreply);
}

/** `delete <key>[ noreply]\r\n` (read with readDeleted). */
export function encodeDelete(key: Bytes, noreply = false): Bytes {
  const parts: Bytes[] = [DELETE, SPACE, checkedKey(key)];
  if (noreply) parts.push(NOREPLY);
  parts.push(CRLF);
  return bytesConcat(parts);
}

/** `touch <key> <exptime>[ noreply]\r\n` (read with readTouched). */
export function encodeTouch(key: Bytes, exptime: number, noreply = false): Bytes {
  const parts: Bytes[] = [TOUCH, SPACE, checkedKey(key), SPACE, checkedExptime('the expiration time', exptime)];
  if (noreply) parts.push(NOREPLY);
  parts.push(CRLF);
  return bytesConcat(parts);
}

function arithmetic(command: Bytes, key: Bytes, delta: string, noreply: boolean): Bytes {
  const parts: Bytes[] = [command, SPACE, checkedKey(key), SPACE, checkedU64('the delta', delta)];
  if (noreply) parts.push(NOREPLY);
  parts.push(CRLF);
  return bytesConcat(parts);
}

/** `incr <key> <delta>[ noreply]\r\n` (read with readCounter); `delta` is an unsigned 64-bit decimal. */
export function encodeIncr(key: Bytes, delta: string, noreply = false): Bytes {
  return arithmetic(INCR, key, delta, noreply);
}

/** `decr <key> <delta>[ noreply]\r\n` (read with readCounter); memcached stops at 0. */
export function encodeDecr(key: Bytes, delta: string, noreply = false): Bytes {
  return arithmetic(DECR, key, delta, noreply);
}

/** `stats[ <group>]\r\n` (read with readStats). */
export function encodeStats(group: StatsGroup | null = null): Bytes {
  return group === null ? bytesConcat([STATS, CRLF]) : bytesConcat([STATS, SPACE, utf8Encode(group), CRLF]);
}

/** `version\r\n` (read with readVersion). */
export function encodeVersion(): Bytes {
  return VERSION;
}

/** ` <flag><token>` for each flag, in the order given. */
class MetaFlags {
  readonly parts: Bytes[];

  constructor(command: Bytes, key: Bytes) {
    this.parts = [command, SPACE, checkedKey(key)];
  }

  flag(flag: string): void {
    this.parts.push(SPACE, utf8Encode(flag));
  }

  flagWith(flag: string, token: Bytes): void {
    this.parts.push(SPACE, utf8Encode(flag), token);
  }

  /** The command line; `data` is the data block that follows it (ms). */
  line(data: Bytes | null = null): Bytes {
    this.parts.push(CRLF);
    if (data !== null) this.parts.push(data, CRLF);
    return bytesConcat(this.parts);
  }
}

/**
 * `mg <key> <flags>*\r\n` (read with readMeta): HD on a hit (VA with the value when returnValue), EN on a miss
 * (nothing with quiet). memcached 1.6.10 or later; a bare `mg <key>` and O/k on EN need 1.6.18.
 */
export function encodeMetaGet(key: Bytes, options: MetaGetOptions): Bytes {
  const flags = new MetaFlags(META_GET, key);
  if (options.returnValue === true) flags.flag('v');
  if (options.returnCas === true) flags.flag('c');
  if (options.returnClientFlags === true) flags.flag('f');
  if (options.returnTtl === true) flags.flag('t');
  if (options.returnSize === true) flags.flag('s');
  if (options.returnKey === true) flags.flag('k');
  if (options.returnLastAccess === true) flags.flag('l');
  if (options.returnHit === true) flags.flag('h');
  if (options.noBump === true) flags.flag('u');
  if (options.touchTtl !== undefined) flags.flagWith('T', checkedExptime('the touch TTL', options.touchTtl));
  if (options.vivifyTtl !== undefined) flags.flagWith('N', checkedExptime('the vivify TTL', options.vivifyTtl));
  if (options.recacheTtl !== undefined) flags.flagWith('R', checkedExptime('the recache TTL', options.recacheTtl));
  if (options.opaque !== undefined) flags.flagWith('O', checkedOpaque(options.opaque));
  if (options.quiet === true) flags.flag('q');
  return flags.line();
}

const META_SET_MODES: Map<MetaSetMode, string> = new Map([
  ['set', 'S'],
  ['add', 'E'],
  ['replace', 'R'],
  ['append', 'A'],
  ['prepend', 'P'],
]);

/**
 * `ms <key> <datalen> <flags>*\r\n<value>\r\n` (read with readMeta): HD stored, NS not stored, EX CAS mismatch, NF
 * not found (CAS given, no item). memcached 1.6.10 or later (the datalen token); returnCas is right from 1.6.13.
 */
export function encodeMetaSet(key: Bytes, value: Bytes, options: MetaSetOptions): Bytes {
  const flags = new MetaFlags(META_SET, key);
  flags.parts.push(SPACE, intToAscii(value.length));
  if (options.mode !== undefined && options.mode !== 'set') flags.flag(`M${META_SET_MODES.get(options.mode)!}`);
  if (options.clientFlags !== undefined) flags.flagWith('F', checkedClientFlags(options.clientFlags));
  if (options.ttl !== undefined) flags.flagWith('T', checkedExptime('the TTL', options.ttl));
  if (options.compareCas !== undefined) flags.flagWith('C', checkedU64('the CAS token to compare', options.compareCas));
  if (options.invalidate === true) flags.flag('I');
  if (options.returnCas === true) flags.flag('c');
  if (options.returnKey === true) flags.flag('k');
  if (options.opaque !== undefined) flags.flagWith('O', checkedOpaque(options.opaque));
  if (options.quiet === true) flags.flag('q');
  return flags.line(value);
}

/** `md <key> <flags>*\r\n` (read with readMeta): HD deleted, NF not found, EX CAS mismatch. memcached 1.6.10 or later. */
export function encodeMetaDelete(key: Bytes, options: MetaDeleteOptions): Bytes {
  const flags = new MetaFlags(META_DELETE, key);
  if (options.compareCas !== undefined) flags.flagWith('C', checkedU64('the CAS token to compare', options.compareCas));
  if (options.invalidate === true) flags.flag('I');
  if (options.ttl !== undefined) flags.flagWith('T', checkedExptime('the TTL', options.ttl));
  if (options.returnKey === true) flags.flag('k');
  if (options.opaque !== undefined) flags.flagWith('O', checkedOpaque(options.opaque));
  if (options.quiet === true) flags.flag('q');
  return flags.line();
}

/**
 * `ma <key> <flags>*\r\n` (read with readMeta): HD (VA with the number when returnValue), NF not found, NS not
 * created, EX CAS mismatch. memcached 1.6.10 or later.
 */
export function encodeMetaArithmetic(key: Bytes, options: MetaArithmeticOptions): Bytes {
  const flags = new MetaFlags(META_ARITHMETIC, key);
  if (options.mode === 'decr') flags.flag('MD');
  if (options.delta !== undefined) flags.flagWith('D', checkedU64('the delta', options.delta));
  if (options.vivifyTtl !== undefined) flags.flagWith('N', checkedExptime('the vivify TTL', options.vivifyTtl));
  if (options.initial !== undefined) flags.flagWith('J', checkedU64('the initial value', options.initial));
  if (options.ttl !== undefined) flags.flagWith('T', checkedExptime('the TTL', options.ttl));
  if (options.compareCas !== undefined) flags.flagWith('C', checkedU64('the CAS token to compare', options.compareCas));
  if (options.returnValue === true) flags.flag('v');
  if (options.returnTtl === true) flags.flag('t');
  if (options.returnCas === true) flags.flag('c');
  if (options.returnKey === true) flags.flag('k');
  if (options.opaque !== undefined) flags.flagWith('O', checkedOpaque(options.opaque));
  if (options.quiet === true) flags.flag('q');
  return flags.line();
}

/** `mn\r\n` (read with readMeta, status MN): ends a pipeline of quiet meta commands. memcached 1.6.0 or later. */
export function encodeMetaNoop(): Bytes {
  return META_NOOP;
}

/**
 * `lru_crawler metadump all\r\n`, or the slab classes `1,2,...` (read with readMetadump until it returns a status).
 * memcached 1.4.31 or later; refused by a server started with -X (dumping disabled) or without the LRU crawler.
 */
export function encodeMetadump(slabClasses: readonly number[] | null = null): Bytes {
  if (slabClasses === null) return bytesConcat([METADUMP, METADUMP_ALL, CRLF]);
  if (slabClasses.length === 0) throw new InvalidRequestError('no slab classes to dump');
  const parts: Bytes[] = [METADUMP];
  for (const slabClass of slabClasses) {
    if (parts.length > 1) parts.push(COMMA);
    parts.push(checkedNumber('a slab class', slabClass, 1, MAX_SLAB_CLASS));
  }
  parts.push(CRLF);
  return bytesConcat(parts);
}

/**
 * `lru_crawler metadump hash\r\n`: every item, found by walking the hash table rather than the LRUs, so an item the
 * LRU maintainer moves between LRUs meanwhile is not missed (memcached's own tests count a full dump across a hash
 * table expansion). memcached 1.6.18 has it; a server without it answers BADCLASS (read with readMetadump).
 */
export function encodeMetadumpHash(): Bytes {
  return bytesConcat([METADUMP, METADUMP_HASH, CRLF]);
}

/** `flush_all\r\n` (read with readOk): every item of the server is invalidated at once. */
export function encodeFlushAll(): Bytes {
  return FLUSH_ALL;
}
