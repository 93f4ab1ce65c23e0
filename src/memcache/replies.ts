/**
 * The reply reader: memcached's replies parsed incrementally from the bytes of a socket.
 *
 * The caller feeds chunks as they arrive, split at any byte, and asks for the next reply of the kind its request
 * expects; a read returns null when the reply has not fully arrived (feed more, then read again). Cost is linear in
 * the bytes received: a line end is searched for only in bytes not searched yet, the chunks of a data block whose
 * length is known are joined once when the last one arrives, and a reply that is whole in one chunk is parsed in that
 * chunk without copies beyond the values themselves.
 *
 * ERROR, CLIENT_ERROR and SERVER_ERROR may come instead of any reply: the read consumes the line and throws an
 * ErrorReply (the reader stays usable). Anything that is not a reply of the expected kind throws a ProtocolError and
 * leaves the reader failed (close the connection).
 */
import {
  bytesConcat,
  bytesEqual,
  bytesFind,
  bytesSplit,
  bytesStartsWith,
  intToString,
  latin1Decode,
  parseAsciiDigits,
  utf8Encode,
  type Bytes,
} from '../ports/runtime';
import { parseMetadumpLine, type MetadumpEntry } from './metadump';
import { describeLine, errorReplyOf, ProtocolError, type ReplyError } from './reply-errors';
import { CRLF, isDecimalU64, MAX_CLIENT_FLAGS, MAX_KEY_LENGTH, parseSignedDigits, SPACE } from './tokens';

/** One item of a get or gets reply: its key, client flags, value, and CAS token (gets only, else null). */
export type ValueItem = [key: Bytes, flags: number, value: Bytes, cas: string | null];

/** The reply to set, add, replace, append, prepend and cas. */
export type StoreStatus = 'STORED' | 'NOT_STORED' | 'EXISTS' | 'NOT_FOUND';

/** The reply to delete. */
export type DeleteStatus = 'DELETED' | 'NOT_FOUND';

/** The reply to touch. */
export type TouchStatus = 'TOUCHED' | 'NOT_FOUND';

/** The reply to incr and decr: the new value (an unsigned 64-bit decimal), or not found. */
export interface CounterReply {
  found: boolean;
  value: string | null;
}

/** One STAT line: name and value, each byte read as the code point of the same number (latin-1, lossless). */
export type StatEntry = [name: string, value: string];

/** The status of a meta reply: HD done, VA value follows, EN miss, NF not found, NS not stored, EX CAS mismatch, MN no-op. */
export type MetaStatus = 'HD' | 'VA' | 'EN' | 'NF' | 'NS' | 'EX' | 'MN';

/** A reply to mg, ms, md, ma or mn, with the flags it returned (null or false when it did not return them). */
export interface MetaReply {
  status: MetaStatus;
  /** The data block of a VA reply (the value of mg, the number of ma), else null. */
  value: Bytes | null;
  /** c: CAS token. */
  cas: string | null;
  /** f: client flags. */
  clientFlags: number | null;
  /** t: remaining TTL in seconds, -1 when the item never expires. */
  ttl: number | null;
  /** s: size of the value. */
  size: number | null;
  /** k: the key (base64 when base64Key). */
  key: Bytes | null;
  /** b: the returned key is base64-encoded. */
  base64Key: boolean;
  /** O: the opaque token of the request. */
  opaque: Bytes | null;
  /** h: whether the item had been fetched before. */
  hit: boolean | null;
  /** l: seconds since the last access. */
  lastAccess: number | null;
  /** W: this client won the right to recache the item. */
  won: boolean;
  /** X: the item is stale. */
  stale: boolean;
  /** Z: another client already won the right to recache it. */
  winTokenSent: boolean;
}

/** How a metadump ends: END, or the crawler's refusals (BUSY: it is crawling; BADCLASS; NOTSTARTED: nothing to dump). */
export type MetadumpEnd = 'END' | 'BUSY' | 'BADCLASS' | 'NOTSTARTED';

/** A read of one kind of reply while a reply of another kind is partly read: a bug of the caller. */
export class ReadOrderError extends Error {}

/** memcached's item size limit (-I) cannot be set above 1 GiB. */
export const DEFAULT_MAX_VALUE_LENGTH = 1073741824;

/** Reply lines are short (memcached writes at most about 1 KB, a metadump line with a 250-byte key about 900 bytes). */
export const MAX_LINE_LENGTH = 8192;

const CRLF_LENGTH = 2;
const CR_BYTE = 0x0d;
const LF_BYTE = 0x0a;
const LF: Bytes = utf8Encode('\n');
const CR: Bytes = utf8Encode('\r');
const END: Bytes = utf8Encode('END');
const VALUE: Bytes = utf8Encode('VALUE');
const ZERO: Bytes = utf8Encode('0');
const STAT_PREFIX: Bytes = utf8Encode('STAT ');
const STAT_PREFIX_LENGTH = 5;
const VERSION_PREFIX: Bytes = utf8Encode('VERSION ');
const OK: Bytes = utf8Encode('OK');
const NOT_FOUND: Bytes = utf8Encode('NOT_FOUND');
const METADUMP_KEY_FIELD: Bytes = utf8Encode('key=');
const EMPTY: Bytes = utf8Encode('');

/** scanWholeItems splits at most this many unread bytes at once (two socket reads' worth). */
const FAST_SCAN_BYTES = 524288;
/** `END` and its CRLF. */
const END_LINE_LENGTH = 5;

/** Words of fixed replies are at most this long; longer lines are not decoded to compare them. */
const LONGEST_WORD = 10;

const LINE_TOO_LONG = `a line longer than ${intToString(MAX_LINE_LENGTH)} bytes`;

/** What a read expects, as error messages name it. */
const GET_REPLY = 'get/gets';
const STORE_REPLY = 'a storage command';
const DELETE_REPLY = 'delete';
const TOUCH_REPLY = 'touch';
const COUNTER_REPLY = 'incr/decr';
const STATS_REPLY = 'stats';
const VERSION_REPLY = 'version';
const OK_REPLY = 'flush_all';
const META_REPLY = 'a meta command';
const METADUMP_REPLY = 'lru_crawler metadump';

/** scanValues: the reply is complete, or a whole line must arrive first (else: how many bytes from position). */
const REPLY_DONE = 0;
const LINE_NEEDED = -1;

/** The line as a word to compare with fixed replies, or '' when it is too long to be one. */
function wordOf(line: Bytes): string {
  return line.length <= LONGEST_WORD ? latin1Decode(line) : '';
}

function metaStatusOf(word: Bytes): MetaStatus | null {
  if (word.length !== 2) return null;
  const status = latin1Decode(word);
  if (
    status === 'HD' ||
    status === 'VA' ||
    status === 'EN' ||
    status === 'NF' ||
    status === 'NS' ||
    status === 'EX' ||
    status === 'MN'
  ) {
    return status;
  }
  return null;
}

function metadumpRefusalOf(line: Bytes): MetadumpEnd | null {
  const space = bytesFind(line, SPACE, 0);
  const word = wordOf(space < 0 ? line : line.slice(0, space));
  if (word === 'BUSY' || word === 'BADCLASS' || word === 'NOTSTARTED') return word;
  return null;
}

/** Whether every byte from `start` on is a space (memcached may pad an incr/decr result). */
function onlySpacesFrom(line: Bytes, start: number): boolean {
  for (let i = start; i < line.length; i++) {
    if (line[i]! !== SPACE[0]!) return false;
  }
  return true;
}

export class ReplyReader {
  /** Received bytes; those before `position` are consumed. */
  private buffer: Bytes = EMPTY;
  private position = 0;
  /** Chunks received after `buffer`, kept apart until a line end or enough bytes have arrived, then joined once. */
  private parts: Bytes[] = [];
  private partsLength = 0;
  /** The line end the search state below is about: 2 for CRLF, 1 for LF (metadump lines). */
  private searchedFor = 2;
  /** buffer[position:] and parts[:searchedParts] hold no line end. */
  private tailSearched = false;
  private searchedParts = 0;
  private failure: ProtocolError | null = null;
  /** The reply partly read across reads, or null. */
  private pending: string | null = null;
  /** What scanValues needs before it can go on: 0 nothing, LINE_NEEDED, or a byte count from position. */
  private valuesNeed = 0;
  private values: ValueItem[] = [];
  private stats: StatEntry[] = [];
  /** A VA line whose data block has not fully arrived, and the block's length. */
  private metaHeader: MetaReply | null = null;
  private metaValueLength = 0;
  private readonly maxValueLength: number;

  /** `maxValueLength`: a longer data block announced by the server is a ProtocolError (memory is not reserved). */
  constructor(maxValueLength: number = DEFAULT_MAX_VALUE_LENGTH) {
    this.maxValueLength = maxValueLength;
  }

  /**
   * Takes the next bytes received. The chunk is kept, not copied, so it must not change afterwards (in Node, pass a
   * Uint8Array rather than a Buffer: Buffer's slice is a view, and replies would share its memory).
   */
  feed(chunk: Bytes): void {
    if (chunk.length === 0) return;
    if (this.parts.length === 0 && this.position === this.buffer.length) {
      this.buffer = chunk;
      this.position = 0;
      this.tailSearched = false;
    } else {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
    }
  }

  /** Bytes received and not consumed by a read yet (0 between replies when nothing was pipelined). */
  get bufferedLength(): number {
    return this.buffer.length - this.position + this.partsLength;
  }

  /** The reply to get or gets: every VALUE item until END (an empty list when nothing was found). */
  readValues(): ValueItem[] | null {
    // start(GET_REPLY), written out: this read is the hot path of every lookup.
    if (this.failure !== null) throw this.failure;
    if (this.pending !== null && this.pending !== GET_REPLY) this.start(GET_REPLY);
    while (true) {
      const need = this.valuesNeed;
      if (need !== REPLY_DONE) {
        const arrived = need === LINE_NEEDED ? this.findLineEnd(CRLF, GET_REPLY) >= 0 : this.bytesArrived(need);
        if (!arrived) {
          this.pending = GET_REPLY;
          return null;
        }
        this.valuesNeed = REPLY_DONE;
      }
      const status = this.scanValues();
      if (status === REPLY_DONE) {
        const values = this.values;
        this.values = [];
        this.pending = null;
        return values;
      }
      this.valuesNeed = status;
    }
  }

  /**
   * The hot path of get: VALUE items parsed straight from the buffer until END, or until the buffer ends inside an
   * item, which is left unconsumed. Returns REPLY_DONE, LINE_NEEDED, or the bytes the item needs from `position`.
   * Each line is split once (a VALUE line is `VALUE`, key, flags, length and an optional CAS token): CPython spends
   * more on a call with a position argument (find, startswith) than on a slice, so the loop makes as few as it can.
   */
  private scanValues(): number {
    if (this.buffer.length - this.position <= FAST_SCAN_BYTES && this.scanWholeItems()) return REPLY_DONE;
    const buffer = this.buffer;
    const bufferLength = buffer.length;
    const values = this.values;
    const maxValueLength = this.maxValueLength;
    let position = this.position;
    while (true) {
      const lineEnd = bytesFind(buffer, CRLF, position);
      if (lineEnd < 0) {
        this.position = position;
        return LINE_NEEDED;
      }
      if (lineEnd - position > MAX_LINE_LENGTH) throw this.fail(GET_REPLY, LINE_TOO_LONG);
      const fields = bytesSplit(buffer.slice(position, lineEnd), SPACE);
      const fieldCount = fields.length;
      if (fieldCount < 2 || !bytesEqual(fields[0]!, VALUE)) {
        this.position = position;
        const line = this.takeLine(lineEnd, CRLF_LENGTH, GET_REPLY);
        if (bytesEqual(line, END)) return REPLY_DONE;
        throw this.unexpected(line, GET_REPLY, 'VALUE, END or an error');
      }
      const key = fields[1]!;
      const keyLength = key.length;
      // Most items have flags 0.
      const flagsField = fieldCount === 4 || fieldCount === 5 ? fields[2]! : EMPTY;
      const flags = bytesEqual(flagsField, ZERO) ? 0 : parseAsciiDigits(flagsField);
      const lengthField = flags < 0 ? EMPTY : fields[3]!;
      const length = parseAsciiDigits(lengthField);
      if (length < 0 || flags > MAX_CLIENT_FLAGS || keyLength === 0 || keyLength > MAX_KEY_LENGTH) {
        throw this.fail(
          GET_REPLY,
          `a VALUE line of ${intToString(lineEnd - position)} bytes that is not VALUE <key> <flags> <bytes> [<cas>]`,
        );
      }
      if (length > maxValueLength) throw this.fail(GET_REPLY, this.tooLong(length));
      const cas = fieldCount === 5 ? this.casToken(fields[4]!, GET_REPLY) : null;
      const dataStart = lineEnd + 2;
      const dataEnd = dataStart + length;
      if (dataEnd + 2 > bufferLength) {
        this.position = position;
        return dataEnd + 2 - position;
      }
      // Both bytes are in the buffer (checked above): two reads, no slice.
      if (buffer[dataEnd]! !== CR_BYTE || buffer[dataEnd + 1]! !== LF_BYTE) {
        throw this.fail(GET_REPLY, `a data block of ${intToString(length)} bytes not followed by CRLF`);
      }
      values.push([key, flags, buffer.slice(dataStart, dataEnd), cas]);
      position = dataEnd + 2;
    }
  }

  /**
   * The well-formed items at the start of the unread bytes, taken from one split of them at CRLF: while a line is
   * `VALUE <key> <flags> <bytes> [<cas>]` and the next is a data block of exactly that length followed by CRLF, the
   * item is what scanValues would read there. The first line that is anything else (END, an error reply, a bad CAS
   * token, a data block holding CRLF, an item not wholly arrived) is left to scanValues, which reads on from it. One
   * split per read instead of a search with a position per item: CPython's find and startswith spend more on
   * their arguments than on the search. When the line after the items is END, the reply is read (true).
   * Up to FAST_SCAN_BYTES unread bytes, so that a reply of many CRLFs is not cut into many pieces at once.
   */
  private scanWholeItems(): boolean {
    const start = this.position;
    const pieces = bytesSplit(this.buffer.slice(start), CRLF);
    const pieceCount = pieces.length;
    const values = this.values;
    const maxValueLength = this.maxValueLength;
    let consumed = 0;
    let i = 0;
    // pieces[i + 1] is followed by CRLF when it is not the last piece.
    while (i + 2 < pieceCount) {
      const line = pieces[i]!;
      const fields = bytesSplit(line, SPACE);
      const fieldCount = fields.length;
      if ((fieldCount !== 4 && fieldCount !== 5) || !bytesEqual(fields[0]!, VALUE)) break;
      const key = fields[1]!;
      const keyLength = key.length;
      const flagsField = fields[2]!;
      const flags = bytesEqual(flagsField, ZERO) ? 0 : parseAsciiDigits(flagsField);
      const lengthField = fields[3]!;
      const length = parseAsciiDigits(lengthField);
      const block = pieces[i + 1]!;
      // A line of five such fields is at most 309 bytes: MAX_LINE_LENGTH holds.
      if (
        length !== block.length ||
        flags < 0 ||
        flags > MAX_CLIENT_FLAGS ||
        keyLength === 0 ||
        keyLength > MAX_KEY_LENGTH ||
        length > maxValueLength
      )
        break;
      // A `gets` item's CAS token; one that is not a 64-bit number is left to scanValues, which names it.
      let cas: string | null = null;
      if (fieldCount === 5) {
        const token = fields[4]!;
        if (!isDecimalU64(token)) break;
        cas = latin1Decode(token);
      }
      values.push([key, flags, block, cas]);
      consumed += line.length + length + 4;
      i += 2;
    }
    // END next (a whole line: a CRLF follows it): the reply is complete, as scanValues would find reading on; what
    // follows it is the next reply's.
    if (i + 1 < pieceCount && bytesEqual(pieces[i]!, END)) {
      this.position = start + consumed + END_LINE_LENGTH;
      return true;
    }
    this.position = start + consumed;
    return false;
  }

  /** The reply to set, add, replace, append, prepend or cas. */
  readStored(): StoreStatus | null {
    this.start(STORE_REPLY);
    const line = this.readLine(STORE_REPLY);
    if (line === null) return null;
    const word = wordOf(line);
    if (word === 'STORED' || word === 'NOT_STORED' || word === 'EXISTS' || word === 'NOT_FOUND') return word;
    throw this.unexpected(line, STORE_REPLY, 'STORED, NOT_STORED, EXISTS, NOT_FOUND or an error');
  }

  /** The reply to delete. */
  readDeleted(): DeleteStatus | null {
    this.start(DELETE_REPLY);
    const line = this.readLine(DELETE_REPLY);
    if (line === null) return null;
    const word = wordOf(line);
    if (word === 'DELETED' || word === 'NOT_FOUND') return word;
    throw this.unexpected(line, DELETE_REPLY, 'DELETED, NOT_FOUND or an error');
  }

  /** The reply to touch. */
  readTouched(): TouchStatus | null {
    this.start(TOUCH_REPLY);
    const line = this.readLine(TOUCH_REPLY);
    if (line === null) return null;
    const word = wordOf(line);
    if (word === 'TOUCHED' || word === 'NOT_FOUND') return word;
    throw this.unexpected(line, TOUCH_REPLY, 'TOUCHED, NOT_FOUND or an error');
  }

  /** The reply to incr or decr. */
  readCounter(): CounterReply | null {
    this.start(COUNTER_REPLY);
    const line = this.readLine(COUNTER_REPLY);
    if (line === null) return null;
    const space = bytesFind(line, SPACE, 0);
    const digits = space < 0 ? line : line.slice(0, space);
    if (isDecimalU64(digits) && (space < 0 || onlySpacesFrom(line, space)))
      return { found: true, value: latin1Decode(digits) };
    if (bytesEqual(line, NOT_FOUND)) return { found: false, value: null };
    throw this.unexpected(line, COUNTER_REPLY, 'a number, NOT_FOUND or an error');
  }

  /** The reply to stats (with or without a group): every STAT line until END, in the server's order. */
  readStats(): StatEntry[] | null {
    this.start(STATS_REPLY);
    while (true) {
      const line = this.readLine(STATS_REPLY);
      if (line === null) {
        this.pending = STATS_REPLY;
        return null;
      }
      if (bytesStartsWith(line, STAT_PREFIX, 0)) {
        const nameEnd = bytesFind(line, SPACE, STAT_PREFIX_LENGTH);
        if (nameEnd <= STAT_PREFIX_LENGTH)
          throw this.fail(STATS_REPLY, `${describeLine(line)} that is not STAT <name> <value>`);
        this.stats.push([latin1Decode(line.slice(STAT_PREFIX_LENGTH, nameEnd)), latin1Decode(line.slice(nameEnd + 1))]);
      } else if (bytesEqual(line, END)) {
        const stats = this.stats;
        this.stats = [];
        this.pending = null;
        return stats;
      } else {
        throw this.unexpected(line, STATS_REPLY, 'STAT, END or an error');
      }
    }
  }

  /** The reply to version: the version text (`1.6.18`), read as latin-1. */
  readVersion(): string | null {
    this.start(VERSION_REPLY);
    const line = this.readLine(VERSION_REPLY);
    if (line === null) return null;
    if (bytesStartsWith(line, VERSION_PREFIX, 0)) return latin1Decode(line.slice(VERSION_PREFIX.length));
    throw this.unexpected(line, VERSION_REPLY, 'VERSION or an error');
  }

  /** The reply to flush_all: OK. */
  readOk(): boolean | null {
    this.start(OK_REPLY);
    const line = this.readLine(OK_REPLY);
    if (line === null) return null;
    if (bytesEqual(line, OK)) return true;
    throw this.unexpected(line, OK_REPLY, 'OK or an error');
  }

  /**
   * The next reply to a meta command (mg, ms, md, ma, mn). With quiet flags some commands send no reply: pipeline
   * them with opaque tokens, end the pipeline with mn, and read until the MN reply.
   */
  readMeta(): MetaReply | null {
    this.start(META_REPLY);
    let reply = this.metaHeader;
    if (reply === null) {
      const line = this.readLine(META_REPLY);
      if (line === null) return null;
      reply = this.metaReplyOf(line);
      if (reply.status !== 'VA') return reply;
      this.metaHeader = reply;
    }
    const length = this.metaValueLength;
    if (!this.bytesArrived(length + 2)) {
      this.pending = META_REPLY;
      return null;
    }
    const dataEnd = this.position + length;
    if (!bytesStartsWith(this.buffer, CRLF, dataEnd))
      throw this.fail(META_REPLY, `a data block of ${intToString(length)} bytes not followed by CRLF`);
    reply.value = this.buffer.slice(this.position, dataEnd);
    this.position = dataEnd + 2;
    this.metaHeader = null;
    this.pending = null;
    return reply;
  }

  /** A meta reply line: its status, the size of a VA's data block (into metaValueLength), and its return flags. */
  private metaReplyOf(line: Bytes): MetaReply {
    const fields = bytesSplit(line, SPACE);
    const status = metaStatusOf(fields[0]!);
    if (status === null) throw this.unexpected(line, META_REPLY, 'HD, VA, EN, NF, NS, EX, MN or an error');
    const reply: MetaReply = {
      status,
      value: null,
      cas: null,
      clientFlags: null,
      ttl: null,
      size: null,
      key: null,
      base64Key: false,
      opaque: null,
      hit: null,
      lastAccess: null,
      won: false,
      stale: false,
      winTokenSent: false,
    };
    let firstFlag = 1;
    if (status === 'VA') {
      const length = fields.length > 1 ? parseAsciiDigits(fields[1]!) : -1;
      if (length < 0) throw this.fail(META_REPLY, `a VA line of ${intToString(line.length)} bytes without a size`);
      if (length > this.maxValueLength) throw this.fail(META_REPLY, this.tooLong(length));
      this.metaValueLength = length;
      firstFlag = 2;
    }
    for (let i = firstFlag; i < fields.length; i++) {
      const field = fields[i]!;
      // memcached 1.6.10 to 1.6.17 wrote a space too many in some replies ("HD \r\n").
      if (field.length > 0) this.metaFlag(reply, latin1Decode(field.slice(0, 1)), field.slice(1));
    }
    return reply;
  }

  /** Records one return flag; flags the reader does not know are skipped (later versions may add some). */
  private metaFlag(reply: MetaReply, flag: string, token: Bytes): void {
    let valid = true;
    if (flag === 'c') {
      reply.cas = this.casToken(token, META_REPLY);
    } else if (flag === 'f') {
      const clientFlags = parseAsciiDigits(token);
      valid = clientFlags >= 0 && clientFlags <= MAX_CLIENT_FLAGS;
      reply.clientFlags = clientFlags;
    } else if (flag === 't') {
      reply.ttl = parseSignedDigits(token);
      valid = reply.ttl !== null;
    } else if (flag === 's') {
      const size = parseAsciiDigits(token);
      valid = size >= 0;
      reply.size = size;
    } else if (flag === 'l') {
      const lastAccess = parseAsciiDigits(token);
      valid = lastAccess >= 0;
      reply.lastAccess = lastAccess;
    } else if (flag === 'h') {
      const hit = parseAsciiDigits(token);
      valid = token.length === 1 && (hit === 0 || hit === 1);
      reply.hit = hit === 1;
    } else if (flag === 'k') {
      valid = token.length > 0;
      reply.key = token;
    } else if (flag === 'O') {
      reply.opaque = token;
    } else if (flag === 'b' || flag === 'W' || flag === 'X' || flag === 'Z') {
      valid = token.length === 0;
      if (flag === 'b') reply.base64Key = true;
      if (flag === 'W') reply.won = true;
      if (flag === 'X') reply.stale = true;
      if (flag === 'Z') reply.winTokenSent = true;
    }
    if (!valid)
      throw this.fail(
        META_REPLY,
        `a ${flag} flag whose token of ${intToString(token.length)} bytes is not what memcached sends`,
      );
  }

  /**
   * The next line of a metadump: an entry, or how the dump ended (END, or the crawler's BUSY, BADCLASS or
   * NOTSTARTED). Read until it returns a string; only the entry being parsed is held in memory.
   */
  readMetadump(): MetadumpEntry | MetadumpEnd | null {
    this.start(METADUMP_REPLY);
    // Entry lines end with a bare LF; END and the refusals with CRLF.
    const lineFeed = this.findLineEnd(LF, METADUMP_REPLY);
    if (lineFeed < 0) return null;
    const withCr = lineFeed > this.position && bytesStartsWith(this.buffer, CR, lineFeed - 1);
    const line = this.takeLine(withCr ? lineFeed - 1 : lineFeed, withCr ? 2 : 1, METADUMP_REPLY);
    if (bytesStartsWith(line, METADUMP_KEY_FIELD, 0)) {
      const entry = parseMetadumpLine(line);
      if (typeof entry === 'string') throw this.fail(METADUMP_REPLY, `${describeLine(line)} with ${entry}`);
      return entry;
    }
    if (bytesEqual(line, END)) return 'END';
    const refusal = metadumpRefusalOf(line);
    if (refusal !== null) return refusal;
    throw this.unexpected(line, METADUMP_REPLY, 'key=..., END, BUSY, BADCLASS, NOTSTARTED or an error');
  }

  // ---- bytes ----

  /** Index where the next `terminator` (CRLF, or LF) starts at or after `position`, or -1 when it has not arrived. */
  private findLineEnd(terminator: Bytes, expected: string): number {
    if (this.searchedFor !== terminator.length) {
      this.searchedFor = terminator.length;
      this.tailSearched = false;
      this.searchedParts = 0;
    }
    if (!this.tailSearched) {
      const found = bytesFind(this.buffer, terminator, this.position);
      if (found >= 0) return found;
      this.tailSearched = true;
    }
    while (this.searchedParts < this.parts.length) {
      const part = this.parts[this.searchedParts]!;
      // A CRLF may be split between two chunks.
      const split = terminator.length === 2 && bytesStartsWith(part, LF, 0) && this.crBefore(this.searchedParts);
      this.searchedParts += 1;
      if (split || bytesFind(part, terminator, 0) >= 0) {
        this.mergeParts();
        return bytesFind(this.buffer, terminator, this.position);
      }
    }
    // Without a line end, the line is at least all but the last byte (which may be the CR of a CRLF): the same
    // verdict takeLine gives once the line is whole, however the bytes were split.
    if (this.bufferedLength > MAX_LINE_LENGTH + 1) throw this.fail(expected, LINE_TOO_LONG);
    return -1;
  }

  /** Whether the byte received just before parts[index] (and not consumed) is a CR. */
  private crBefore(index: number): boolean {
    if (index > 0) {
      const previous = this.parts[index - 1]!;
      return bytesStartsWith(previous, CR, previous.length - 1);
    }
    return this.buffer.length > this.position && bytesStartsWith(this.buffer, CR, this.buffer.length - 1);
  }

  /** Whether `count` bytes from `position` have arrived; if so they are in `buffer` (the parts joined once). */
  private bytesArrived(count: number): boolean {
    if (this.buffer.length - this.position >= count) return true;
    if (this.bufferedLength < count) return false;
    this.mergeParts();
    return true;
  }

  private mergeParts(): void {
    this.buffer = bytesConcat([this.buffer.slice(this.position), ...this.parts]);
    this.position = 0;
    this.parts = [];
    this.partsLength = 0;
    this.tailSearched = false;
    this.searchedParts = 0;
  }

  /** The next line without its CRLF, consumed; null when it has not fully arrived. */
  private readLine(expected: string): Bytes | null {
    const end = this.findLineEnd(CRLF, expected);
    if (end < 0) return null;
    return this.takeLine(end, CRLF_LENGTH, expected);
  }

  /** The line from `position` to `end`, consumed with the `terminatorLength` bytes of its line end. */
  private takeLine(end: number, terminatorLength: number, expected: string): Bytes {
    if (end - this.position > MAX_LINE_LENGTH) throw this.fail(expected, LINE_TOO_LONG);
    const line = this.buffer.slice(this.position, end);
    this.position = end + terminatorLength;
    return line;
  }

  // ---- state and errors ----

  private start(reply: string): void {
    if (this.failure !== null) throw this.failure;
    if (this.pending !== null && this.pending !== reply) {
      throw new ReadOrderError(`a read of the reply to ${reply} while the reply to ${this.pending} is partly read`);
    }
  }

  private casToken(token: Bytes, expected: string): string {
    if (!isDecimalU64(token))
      throw this.fail(
        expected,
        `a CAS token of ${intToString(token.length)} bytes that is not an unsigned 64-bit number`,
      );
    return latin1Decode(token);
  }

  private tooLong(length: number): string {
    return `a data block of ${intToString(length)} bytes, more than the ${intToString(this.maxValueLength)} bytes allowed`;
  }

  /** Forgets the reply partly read (after an error reply, the next read starts a new one). */
  private resetReply(): void {
    this.pending = null;
    this.valuesNeed = REPLY_DONE;
    this.values = [];
    this.stats = [];
    this.metaHeader = null;
  }

  /** A ProtocolError, which every later read throws again. */
  private fail(expected: string, problem: string): ProtocolError {
    this.resetReply();
    const error = new ProtocolError(expected, problem);
    this.failure = error;
    return error;
  }

  /** The error reply `line` holds, or a ProtocolError saying it is not one of the `wanted` lines. */
  private unexpected(line: Bytes, expected: string, wanted: string): ReplyError {
    const error = errorReplyOf(line);
    if (error === null) return this.fail(expected, `${describeLine(line)} where ${wanted} was expected`);
    this.resetReply();
    return error;
  }
}
