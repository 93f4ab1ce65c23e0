// Memcache port, Node binding: a small memcached text-protocol client with exactly the API and behaviour of
// pymemcache 3.5.2's `pymemcache.client.base.Client`, which is what the emitted Python calls (the emitter maps
// `MemcacheClient` to that class, the error classes to `pymemcache.exceptions`, and `TransportError` to OSError).
// Why our own client rather than an npm one: docs/memcache-client.md.
//
// Behaviour copied from pymemcache, on purpose: one connection opened lazily and closed after any error (the next
// call reopens it); `*Many` commands write every request before reading any reply; keys checked (and the optional
// key prefix added) before anything is sent; noreply on by default for set/add/replace/append/prepend/delete/touch/
// flush_all and off for cas/incr/decr; the same return values; error messages built from the same pieces
// (str() of a Python exception holding bytes reads b'...', so ours read the same).
import { connect, type Socket } from 'node:net';
import type { Bytes, Float } from './runtime';

// ---- errors (pymemcache.exceptions) -----------------------------------------------------------------------------

export class MemcacheError extends Error {
  constructor(message = '') {
    super(message);
    this.name = new.target.name;
  }
}
/** memcached answered CLIENT_ERROR (bad key, bad value, non-numeric incr, ...). */
export class MemcacheClientError extends MemcacheError {}
/** memcached answered ERROR: it does not know the command. */
export class MemcacheUnknownCommandError extends MemcacheClientError {}
/** A key, value or number refused before anything was sent. */
export class MemcacheIllegalInputError extends MemcacheClientError {}
/** memcached answered SERVER_ERROR (e.g. object too large for cache, out of memory). */
export class MemcacheServerError extends MemcacheError {}
/** memcached answered something the client cannot parse. */
export class MemcacheUnknownError extends MemcacheError {}
/** The server closed the connection in the middle of a reply. */
export class MemcacheUnexpectedCloseError extends MemcacheServerError {}

/** A socket failure or timeout (Python: OSError, including socket.timeout and ConnectionRefusedError). */
export class TransportError extends Error {
  /** The Node error code (ECONNREFUSED, ETIMEDOUT, ...), when there is one. */
  readonly code: string | null;
  constructor(message: string, code: string | null) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

// ---- types --------------------------------------------------------------------------------------------------------

/** `(host, port)` as pymemcache takes it. */
export type ServerSpec = readonly [string, number];

/**
 * pymemcache's serde protocol. Pass a class instance (emitted as a Python object with methods), never an object
 * literal (emitted as a dict). Like pymemcache, `serialize` receives the checked key as sent (bytes, prefix
 * included) and `deserialize` the key the caller asked for (a string).
 */
export type Serde<V> = {
  serialize(key: Bytes, value: V): [Bytes, number];
  deserialize(key: string, value: Bytes, flags: number): V;
};

/** Constructor options; the emitter passes them as keyword arguments (connect_timeout=..., no_delay=...). */
export type MemcacheClientOptions<V> = {
  serde?: Serde<V> | null;
  /** Seconds to wait for the connection; null/absent: forever. */
  connectTimeout?: Float | null;
  /** Seconds to wait for each read from the server; null/absent: forever. */
  timeout?: Float | null;
  noDelay?: boolean;
  /** get/gets/getMany/getsMany/stats treat any error as a miss (return the default / an empty map). */
  ignoreExc?: boolean;
  /** Prepended to every key (and, as in pymemcache, to stats arguments); ASCII. */
  keyPrefix?: string;
  defaultNoreply?: boolean;
  /** Send keys as UTF-8; without it, non-ASCII keys are refused (pymemcache's default). */
  allowUnicodeKeys?: boolean;
};

/** A converted `stats` value: int (number), float (number), bool, or the raw bytes when no conversion applies. */
export type StatValue = number | boolean | Bytes;

// ---- Python-compatible text helpers -------------------------------------------------------------------------------

const ASCII_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function reprQuote(hasSingle: boolean, hasDouble: boolean): string {
  return hasSingle && !hasDouble ? '"' : "'";
}

/** Python's repr() of a bytes object. */
export function pythonBytesRepr(data: Uint8Array): string {
  const quote = reprQuote(data.includes(0x27), data.includes(0x22));
  let out = `b${quote}`;
  for (const byte of data) {
    if (byte === quote.charCodeAt(0) || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${hex2(byte)}`;
    else out += String.fromCharCode(byte);
  }
  return out + quote;
}

const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's repr() of a str (printable per Unicode categories C* and Z*, as str.isprintable decides). */
export function pythonStrRepr(text: string): string {
  const quote = reprQuote(text.includes("'"), text.includes('"'));
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex2(cp)}`;
    else if (cp < 0x7f || ch === ' ' || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex2(cp)}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Python's repr() of a number that arrived where an int was expected (so the message matches pymemcache's). */
function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && !Object.is(value, -0)) return BigInt(value).toString();
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const point = exponent + 1;
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** str() of a value pymemcache encodes with the 'ascii' codec (values without a serde, stats arguments). */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pythonNumberRepr(value);
  return String(value);
}

/** UnicodeEncodeError's message for the 'ascii' codec, which pymemcache embeds in its own messages. */
function asciiEncodeErrorMessage(text: string): string | null {
  const characters = Array.from(text);
  const first = characters.findIndex((ch) => ch.codePointAt(0)! > 0x7f);
  if (first < 0) return null;
  let end = first;
  while (end < characters.length && characters[end]!.codePointAt(0)! > 0x7f) end++;
  if (end - first === 1) {
    const repr = pythonStrRepr(characters[first]!);
    const inner = repr.slice(1, -1);
    // UnicodeEncodeError always shows the character escaped (\x.., \u...., \U........).
    const cp = characters[first]!.codePointAt(0)!;
    const escaped = inner.startsWith('\\') ? inner : cp <= 0xff ? `\\x${hex2(cp)}` : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    return `'ascii' codec can't encode character '${escaped}' in position ${first}: ordinal not in range(128)`;
  }
  return `'ascii' codec can't encode characters in position ${first}-${end - 1}: ordinal not in range(128)`;
}

function asciiBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const INT_TEXT = /^[+-]?[0-9]+(?:_[0-9]+)*$/;
const OCTAL_TEXT = /^([+-]?)(?:0[oO]_?)?([0-7]+(?:_[0-7]+)*)$/;
const FLOAT_TEXT = /^[+-]?(?:(?:[0-9]+(?:_[0-9]+)*)?\.?[0-9]+(?:_[0-9]+)*|[0-9]+(?:_[0-9]+)*\.)(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?$/;
const FLOAT_WORDS = /^([+-]?)(inf|infinity|nan)$/i;

function stripAsciiWhitespace(data: Buffer): string {
  let start = 0;
  let end = data.length;
  while (start < end && ASCII_WHITESPACE.has(data[start]!)) start++;
  while (end > start && ASCII_WHITESPACE.has(data[end - 1]!)) end--;
  return data.subarray(start, end).toString('latin1');
}

/** Python int(bytes): null where Python raises ValueError. Beyond 2^53 the Node number is rounded. */
function pythonInt(data: Buffer): number | null {
  const text = stripAsciiWhitespace(data);
  if (!INT_TEXT.test(text)) return null;
  return Number(BigInt(text.replace(/_/g, '')));
}

/** Python int(bytes, 8). */
function pythonOctal(data: Buffer): number | null {
  const match = OCTAL_TEXT.exec(stripAsciiWhitespace(data));
  if (match === null) return null;
  const magnitude = Number(BigInt(`0o${match[2]!.replace(/_/g, '')}`));
  return match[1] === '-' ? -magnitude : magnitude;
}

/** Python float(bytes). */
function pythonFloat(data: Buffer): number | null {
  const text = stripAsciiWhitespace(data);
  const word = FLOAT_WORDS.exec(text);
  if (word !== null) {
    if (word[2]!.toLowerCase() === 'nan') return Number.NaN;
    return word[1] === '-' ? -Infinity : Infinity;
  }
  if (!FLOAT_TEXT.test(text)) return null;
  return Number(text.replace(/_/g, ''));
}

/** pymemcache's STAT_TYPES: how each stat is converted; every other stat goes through int(). */
const STAT_CONVERTERS: ReadonlyMap<string, (value: Buffer) => StatValue | null> = new Map<string, (value: Buffer) => StatValue | null>([
  ['version', (v) => new Uint8Array(v)],
  ['rusage_user', (v) => pythonFloat(Buffer.from(v.toString('latin1').replace(/:/g, '.'), 'latin1'))],
  ['rusage_system', (v) => pythonFloat(Buffer.from(v.toString('latin1').replace(/:/g, '.'), 'latin1'))],
  ['hash_is_expanding', boolInt],
  ['slab_reassign_running', boolInt],
  ['inter', (v) => new Uint8Array(v)],
  ['growth_factor', pythonFloat],
  ['stat_key_prefix', (v) => new Uint8Array(v)],
  ['umask', pythonOctal],
  ['detail_enabled', boolInt],
  ['cas_enabled', boolInt],
  ['auth_enabled_sasl', (v) => v.equals(Buffer.from('yes'))],
  ['maxconns_fast', boolInt],
  ['slab_reassign', boolInt],
  ['slab_automove', boolInt],
]);

function boolInt(value: Buffer): boolean | null {
  const n = pythonInt(value);
  return n === null ? null : n !== 0;
}

function convertStat(name: Buffer, value: Buffer): StatValue {
  const converter = STAT_CONVERTERS.get(name.toString('latin1')) ?? pythonInt;
  const converted = converter(value);
  return converted === null ? new Uint8Array(value) : converted;
}

/**
 * A Map keyed by bytes compared by content, as a Python dict keyed by bytes is: `get(utf8Encode('pid'))` finds the
 * entry whatever Uint8Array instance the caller holds. Iteration yields the keys in insertion (server) order.
 */
export class BytesKeyedMap<V> extends Map<Bytes, V> {
  #canonical: Map<string, Bytes> = new Map<string, Bytes>();

  #keyOf(key: Bytes): Bytes | undefined {
    return this.#canonical.get(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1'));
  }

  override get(key: Bytes): V | undefined {
    const canonical = this.#keyOf(key);
    return canonical === undefined ? undefined : super.get(canonical);
  }

  override has(key: Bytes): boolean {
    return this.#keyOf(key) !== undefined;
  }

  override set(key: Bytes, value: V): this {
    // Map's constructor calls set() before our fields exist; only the empty constructor is used here.
    const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const canonical = this.#canonical.get(text);
    if (canonical !== undefined) return super.set(canonical, value);
    this.#canonical.set(text, key);
    return super.set(key, value);
  }

  override delete(key: Bytes): boolean {
    const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    const canonical = this.#canonical.get(text);
    if (canonical === undefined) return false;
    this.#canonical.delete(text);
    return super.delete(canonical);
  }

  override clear(): void {
    this.#canonical.clear();
    super.clear();
  }
}

// ---- the connection -----------------------------------------------------------------------------------------------

/** One TCP connection with a read buffer; reads wait for data with an optional per-read timeout like socket.settimeout. */
class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly readTimeoutMs: number | null,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= new TransportError(error.message, error.code ?? null);
      this.notify();
    });
  }

  static open(host: string, port: number, noDelay: boolean, connectTimeoutMs: number | null, readTimeoutMs: number | null): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const socket = connect({ host, port, noDelay });
      let timer: NodeJS.Timeout | null = null;
      const fail = (error: Error): void => {
        if (timer !== null) clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onError = (error: NodeJS.ErrnoException): void => fail(new TransportError(error.message, error.code ?? null));
      socket.once('error', onError);
      if (connectTimeoutMs !== null) {
        timer = setTimeout(() => fail(new TransportError('timed out', 'ETIMEDOUT')), connectTimeoutMs);
      }
      socket.once('connect', () => {
        if (timer !== null) clearTimeout(timer);
        socket.off('error', onError);
        resolve(new Connection(socket, readTimeoutMs));
      });
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits for more data, the end of the stream or an error; a read timeout is a TransportError like socket.timeout. */
  private waitForData(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      if (this.readTimeoutMs !== null) {
        timer = setTimeout(() => {
          this.wake = null;
          reject(new TransportError('timed out', 'ETIMEDOUT'));
        }, this.readTimeoutMs);
      }
      this.wake = () => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      };
    });
  }

  private checkReadable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new MemcacheUnexpectedCloseError();
  }

  /** One line without its \r\n. */
  async readLine(): Promise<Buffer> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end);
        this.buffer = this.buffer.subarray(end + 2);
        return line;
      }
      this.checkReadable();
      await this.waitForData();
    }
  }

  /** Exactly `size` bytes followed by \r\n (which is dropped, as pymemcache drops it without checking it). */
  async readValue(size: number): Promise<Buffer> {
    while (this.buffer.length < size + 2) {
      this.checkReadable();
      await this.waitForData();
    }
    const value = Buffer.from(this.buffer.subarray(0, size));
    this.buffer = this.buffer.subarray(size + 2);
    return value;
  }

  write(data: Buffer): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    // The server already closed this connection (e.g. it restarted while we were idle). Python's sendall into such
    // a socket succeeds and the following recv sees the end of the stream: do the same, so a reply-less (noreply)
    // command "succeeds" and any other reports MemcacheUnexpectedCloseError.
    if (this.ended) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.socket.write(data, (error) => {
        if (error !== undefined && error !== null) {
          const code = (error as NodeJS.ErrnoException).code;
          reject(this.failure ?? new TransportError(error.message, code ?? null));
        } else {
          resolve();
        }
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---- the client ---------------------------------------------------------------------------------------------------

const CRLF = Buffer.from('\r\n');
const VALID_STORE_RESULTS: Readonly<Record<string, readonly string[]>> = {
  set: ['STORED', 'NOT_STORED'],
  add: ['STORED', 'NOT_STORED'],
  replace: ['STORED', 'NOT_STORED'],
  append: ['STORED', 'NOT_STORED'],
  prepend: ['STORED', 'NOT_STORED'],
  cas: ['STORED', 'EXISTS', 'NOT_FOUND'],
};
const STORE_RESULT_VALUE: Readonly<Record<string, boolean | null>> = { STORED: true, NOT_STORED: false, NOT_FOUND: null, EXISTS: false };

function secondsToMs(seconds: Float | null | undefined): number | null {
  return seconds === null || seconds === undefined ? null : Math.max(0, seconds * 1000);
}

/** bytes.split() on ASCII whitespace, as pymemcache splits response lines. */
function splitWords(line: Buffer): Buffer[] {
  const words: Buffer[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const isSpace = i === line.length || ASCII_WHITESPACE.has(line[i]!);
    if (isSpace && start >= 0) {
      words.push(line.subarray(start, i));
      start = -1;
    } else if (!isSpace && start < 0) {
      start = i;
    }
  }
  return words;
}

const defaultSerde: Serde<unknown> = {
  serialize: (_key, value) => [value as Bytes, 0],
  deserialize: (_key, value) => value,
};

/** A client for one memcached server with pymemcache 3.5.2's `Client` API; every method is async in Node only. */
export class MemcacheClient<V = Bytes> {
  readonly server: ServerSpec;
  readonly connectTimeout: Float | null;
  readonly timeout: Float | null;
  readonly noDelay: boolean;
  readonly ignoreExc: boolean;
  readonly keyPrefix: Buffer;
  readonly defaultNoreply: boolean;
  readonly allowUnicodeKeys: boolean;
  private readonly serde: Serde<V>;
  private connection: Connection | null = null;
  /** Calls run one at a time on the single connection, as they do in synchronous Python. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(server: ServerSpec, options: MemcacheClientOptions<V> = {}) {
    this.server = [server[0], server[1]];
    this.serde = options.serde ?? (defaultSerde as Serde<V>);
    this.connectTimeout = options.connectTimeout ?? null;
    this.timeout = options.timeout ?? null;
    this.noDelay = options.noDelay ?? false;
    this.ignoreExc = options.ignoreExc ?? false;
    const prefix = options.keyPrefix ?? '';
    if (asciiEncodeErrorMessage(prefix) !== null) {
      throw new MemcacheIllegalInputError(`key_prefix must be ASCII: ${asciiEncodeErrorMessage(prefix)!}`);
    }
    this.keyPrefix = asciiBytes(prefix);
    this.defaultNoreply = options.defaultNoreply ?? true;
    this.allowUnicodeKeys = options.allowUnicodeKeys ?? false;
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** pymemcache's check_key: encode, prefix, then refuse long keys, whitespace and NUL. Returns the bytes sent. */
  checkKey(key: string): Buffer {
    let encoded: Buffer;
    if (this.allowUnicodeKeys) {
      const surrogate = Array.from(key).findIndex((ch) => ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff);
      if (surrogate >= 0) {
        // Python raises UnicodeEncodeError here (a ValueError); Buffer.from would silently write U+FFFD instead.
        const unit = Array.from(key)[surrogate]!.charCodeAt(0).toString(16);
        throw new MemcacheIllegalInputError(`'utf-8' codec can't encode character '\\u${unit}' in position ${surrogate}: surrogates not allowed`);
      }
      encoded = Buffer.from(key, 'utf8');
    } else {
      if (asciiEncodeErrorMessage(key) !== null) throw new MemcacheIllegalInputError(`Non-ASCII key: ${pythonStrRepr(key)}`);
      encoded = asciiBytes(key);
    }
    const full = Buffer.concat([this.keyPrefix, encoded]);
    const words = splitWords(full);
    if (full.length > 250) throw new MemcacheIllegalInputError(`Key is too long: ${pythonBytesRepr(full)}`);
    // Like pymemcache: a key made only of whitespace splits into no words and passes this check.
    if (words.length > 1 || (words.length === 1 && !words[0]!.equals(full))) {
      throw new MemcacheIllegalInputError(`Key contains whitespace: ${pythonBytesRepr(full)}`);
    }
    if (full.includes(0)) throw new MemcacheIllegalInputError(`Key contains null: ${pythonBytesRepr(full)}`);
    return full;
  }

  private async connection_(): Promise<Connection> {
    if (this.connection === null) {
      this.connection = await Connection.open(this.server[0], this.server[1], this.noDelay, secondsToMs(this.connectTimeout), secondsToMs(this.timeout));
    }
    return this.connection;
  }

  /** Closes the connection if it is open; the next call opens a new one. */
  async close(): Promise<void> {
    this.closeNow();
  }

  private closeNow(): void {
    if (this.connection !== null) {
      this.connection.destroy();
      this.connection = null;
    }
  }

  private checkInteger(value: number, name: string): Buffer {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new MemcacheIllegalInputError(`${name} must be integer, got bad value: ${pythonNumberRepr(value)}`);
    }
    return asciiBytes(BigInt(value).toString());
  }

  private checkCas(cas: number | string | Bytes): Buffer {
    let encoded: Buffer;
    if (typeof cas === 'number') {
      encoded = asciiBytes(pythonStr(cas));
    } else if (typeof cas === 'string') {
      if (asciiEncodeErrorMessage(cas) !== null) throw new MemcacheIllegalInputError(`non-ASCII cas value: ${pythonStrRepr(cas)}`);
      encoded = asciiBytes(cas);
    } else {
      encoded = Buffer.from(cas);
    }
    if (encoded.length === 0 || !encoded.every((byte) => byte >= 0x30 && byte <= 0x39)) {
      throw new MemcacheIllegalInputError(`cas must only contain values in 0-9, got bad value: ${pythonBytesRepr(encoded)}`);
    }
    return encoded;
  }

  private raiseErrors(line: Buffer, name: string): void {
    if (line.subarray(0, 5).equals(Buffer.from('ERROR'))) throw new MemcacheUnknownCommandError(pythonBytesRepr(Buffer.from(name)));
    const space = line.indexOf(0x20);
    if (line.subarray(0, 12).equals(Buffer.from('CLIENT_ERROR'))) throw new MemcacheClientError(pythonBytesRepr(line.subarray(space + 1)));
    if (line.subarray(0, 12).equals(Buffer.from('SERVER_ERROR'))) throw new MemcacheServerError(pythonBytesRepr(line.subarray(space + 1)));
  }

  private encodeValue(key: Buffer, value: V, flags: number | null | undefined): [Buffer, number] {
    const [data, serdeFlags] = this.serde.serialize(new Uint8Array(key), value);
    const finalFlags = flags === null || flags === undefined ? serdeFlags : flags;
    if (data instanceof Uint8Array) return [Buffer.from(data), finalFlags];
    const text = pythonStr(data);
    const problem = asciiEncodeErrorMessage(text);
    if (problem !== null) throw new MemcacheIllegalInputError(`Data values must be binary-safe: ${problem}`);
    return [asciiBytes(text), finalFlags];
  }

  private async storeCmd(
    name: string,
    values: ReadonlyMap<string, V>,
    expire: number,
    noreply: boolean,
    flags: number | null | undefined,
    cas: Buffer | null,
  ): Promise<Map<string, boolean | null>> {
    let extra = '';
    if (cas !== null) extra += ` ${cas.toString('latin1')}`;
    if (noreply) extra += ' noreply';
    const expireText = this.checkInteger(expire, 'expire').toString('latin1');
    const commands: Buffer[] = [];
    const keys: string[] = [];
    for (const [key, value] of values) {
      keys.push(key);
      const checked = this.checkKey(key);
      const [data, dataFlags] = this.encodeValue(checked, value, flags);
      const header = `${name} ${checked.toString('latin1')} ${pythonStr(dataFlags)} ${expireText} ${data.length}${extra}\r\n`;
      commands.push(Buffer.from(header, 'latin1'), data, CRLF);
    }
    const connection = await this.connection_();
    try {
      await connection.write(Buffer.concat(commands));
      const results = new Map<string, boolean | null>();
      if (noreply) {
        for (const key of keys) results.set(key, true);
        return results;
      }
      for (const key of keys) {
        const line = await connection.readLine();
        this.raiseErrors(line, name);
        const text = line.toString('latin1');
        if (!VALID_STORE_RESULTS[name]!.includes(text)) throw new MemcacheUnknownError(pythonBytesRepr(line.subarray(0, 32)));
        results.set(key, STORE_RESULT_VALUE[text]!);
      }
      return results;
    } catch (error) {
      this.closeNow();
      throw error;
    }
  }

  private async fetchCmd(name: string, keys: readonly string[], expectCas: boolean): Promise<Map<string, unknown> | BytesKeyedMap<Buffer>> {
    const prefixed = keys.map((key) => this.checkKey(key));
    const remapped = new Map<string, string>();
    prefixed.forEach((checked, index) => remapped.set(checked.toString('latin1'), keys[index]!));
    let command = name;
    if (prefixed.length > 0) command += ` ${prefixed.map((checked) => checked.toString('latin1')).join(' ')}`;
    command += '\r\n';
    const result = new Map<string, unknown>();
    const statsResult = new BytesKeyedMap<Buffer>();
    try {
      const connection = await this.connection_();
      await connection.write(Buffer.from(command, 'latin1'));
      for (;;) {
        const line = await connection.readLine();
        this.raiseErrors(line, name);
        const text = line.toString('latin1');
        if (text === 'END' || text === 'OK') return name === 'stats' ? statsResult : result;
        if (text.startsWith('VALUE')) {
          const words = splitWords(line);
          if (words.length !== (expectCas ? 5 : 4)) throw new MemcacheUnknownError(`Unable to parse line ${pythonBytesRepr(line)}`);
          const size = pythonInt(words[3]!);
          const flags = pythonInt(words[2]!);
          if (size === null || flags === null) throw new MemcacheUnknownError(`Unable to parse line ${pythonBytesRepr(line)}`);
          const value = await connection.readValue(size);
          const originalKey = remapped.get(words[1]!.toString('latin1'));
          if (originalKey === undefined) throw new MemcacheUnknownError(`memcached returned a key that was not asked for: ${pythonBytesRepr(words[1]!)}`);
          const deserialized = this.serde.deserialize(originalKey, new Uint8Array(value), flags);
          result.set(originalKey, expectCas ? [deserialized, new Uint8Array(words[4]!)] : deserialized);
        } else if (name === 'stats' && text.startsWith('STAT')) {
          const words = splitWords(line);
          statsResult.set(new Uint8Array(words[1] ?? Buffer.alloc(0)), words.length > 2 ? words[2]! : Buffer.alloc(0));
        } else if (name === 'stats' && text.startsWith('ITEM')) {
          const words = splitWords(line);
          statsResult.set(new Uint8Array(words[1] ?? Buffer.alloc(0)), Buffer.from(words.slice(2).map((w) => w.toString('latin1')).join(' '), 'latin1'));
        } else {
          throw new MemcacheUnknownError(pythonBytesRepr(line.subarray(0, 32)));
        }
      }
    } catch (error) {
      this.closeNow();
      if (this.ignoreExc) return name === 'stats' ? new BytesKeyedMap<Buffer>() : new Map<string, unknown>();
      throw error;
    }
  }

  private async miscCmd(commands: readonly Buffer[], commandName: string, noreply: boolean): Promise<Buffer[]> {
    const connection = await this.connection_();
    try {
      await connection.write(Buffer.concat(commands));
      if (noreply) return [];
      const results: Buffer[] = [];
      for (let i = 0; i < commands.length; i++) {
        const line = await connection.readLine();
        this.raiseErrors(line, commandName);
        results.push(line);
      }
      return results;
    } catch (error) {
      this.closeNow();
      throw error;
    }
  }

  // ---- storage commands ----

  /** `set`; returns true (always, with noreply), or whether memcached stored it. */
  set(key: string, value: V, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<boolean> {
    return this.serialized(async () => (await this.storeCmd('set', new Map([[key, value]]), expire, noreply ?? this.defaultNoreply, flags, null)).get(key) === true);
  }

  /** Several `set`s pipelined; returns the keys memcached did not store (always [] with noreply). */
  setMany(values: ReadonlyMap<string, V>, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<string[]> {
    return this.serialized(async () => {
      const results = await this.storeCmd('set', values, expire, noreply ?? this.defaultNoreply, flags, null);
      return [...results].filter(([, stored]) => stored !== true).map(([key]) => key);
    });
  }

  /** `add`: stores only when the key is absent; false when it exists (true always with noreply). */
  add(key: string, value: V, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<boolean> {
    return this.serialized(async () => (await this.storeCmd('add', new Map([[key, value]]), expire, noreply ?? this.defaultNoreply, flags, null)).get(key) === true);
  }

  /** `replace`: stores only when the key exists. */
  replace(key: string, value: V, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<boolean> {
    return this.serialized(async () => (await this.storeCmd('replace', new Map([[key, value]]), expire, noreply ?? this.defaultNoreply, flags, null)).get(key) === true);
  }

  append(key: string, value: V, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<boolean> {
    return this.serialized(async () => (await this.storeCmd('append', new Map([[key, value]]), expire, noreply ?? this.defaultNoreply, flags, null)).get(key) === true);
  }

  prepend(key: string, value: V, expire = 0, noreply: boolean | null = null, flags: number | null = null): Promise<boolean> {
    return this.serialized(async () => (await this.storeCmd('prepend', new Map([[key, value]]), expire, noreply ?? this.defaultNoreply, flags, null)).get(key) === true);
  }

  /**
   * `cas`: true when stored, false when the item changed since `gets` (EXISTS), null when it is gone (NOT_FOUND).
   * noreply defaults to false here (not to defaultNoreply), as in pymemcache.
   */
  cas(key: string, value: V, cas: number | string | Bytes, expire = 0, noreply = false, flags: number | null = null): Promise<boolean | null> {
    return this.serialized(async () => {
      const checkedCas = this.checkCas(cas);
      const result = (await this.storeCmd('cas', new Map([[key, value]]), expire, noreply, flags, checkedCas)).get(key);
      return result === undefined ? null : result;
    });
  }

  // ---- retrieval commands ----

  /** The value of `key`, or `defaultValue` (null) when it is missing. */
  get(key: string, defaultValue: V | null = null): Promise<V | null> {
    return this.serialized(async () => {
      const result = (await this.fetchCmd('get', [key], false)) as Map<string, V>;
      return result.has(key) ? result.get(key)! : defaultValue;
    });
  }

  /** The hits among `keys` in one round trip, keyed by the caller's keys (no request at all for an empty list). */
  getMany(keys: readonly string[]): Promise<Map<string, V>> {
    return this.serialized(async () => {
      if (keys.length === 0) return new Map<string, V>();
      return (await this.fetchCmd('get', keys, false)) as Map<string, V>;
    });
  }

  /** `[value, cas]` of `key`, or `[defaultValue, casDefault]` when it is missing; cas is memcached's token as bytes. */
  gets(key: string, defaultValue: V | null = null, casDefault: Bytes | null = null): Promise<[V | null, Bytes | null]> {
    return this.serialized(async () => {
      const result = (await this.fetchCmd('gets', [key], true)) as Map<string, [V, Bytes]>;
      const hit = result.get(key);
      return hit === undefined ? [defaultValue, casDefault] : hit;
    });
  }

  getsMany(keys: readonly string[]): Promise<Map<string, [V, Bytes]>> {
    return this.serialized(async () => {
      if (keys.length === 0) return new Map<string, [V, Bytes]>();
      return (await this.fetchCmd('gets', keys, true)) as Map<string, [V, Bytes]>;
    });
  }

  // ---- other commands ----

  /** `delete`; true always with noreply, else whether the key existed (DELETED). */
  delete(key: string, noreply: boolean | null = null): Promise<boolean> {
    return this.serialized(async () => {
      const effectiveNoreply = noreply ?? this.defaultNoreply;
      const command = `delete ${this.checkKey(key).toString('latin1')}${effectiveNoreply ? ' noreply' : ''}\r\n`;
      const results = await this.miscCmd([Buffer.from(command, 'latin1')], 'delete', effectiveNoreply);
      if (effectiveNoreply) return true;
      return results[0]!.toString('latin1') === 'DELETED';
    });
  }

  /** Pipelined deletes; always true (pymemcache does not report which keys were missing). */
  deleteMany(keys: readonly string[], noreply: boolean | null = null): Promise<boolean> {
    return this.serialized(async () => {
      if (keys.length === 0) return true;
      const effectiveNoreply = noreply ?? this.defaultNoreply;
      const commands = keys.map((key) => Buffer.from(`delete ${this.checkKey(key).toString('latin1')}${effectiveNoreply ? ' noreply' : ''}\r\n`, 'latin1'));
      await this.miscCmd(commands, 'delete', effectiveNoreply);
      return true;
    });
  }

  private async arithmetic(name: 'incr' | 'decr', key: string, value: number, noreply: boolean): Promise<number | null> {
    const checked = this.checkKey(key);
    const amount = this.checkInteger(value, 'value');
    const command = `${name} ${checked.toString('latin1')} ${amount.toString('latin1')}${noreply ? ' noreply' : ''}\r\n`;
    const results = await this.miscCmd([Buffer.from(command, 'latin1')], name, noreply);
    if (noreply) return null;
    const line = results[0]!;
    if (line.toString('latin1') === 'NOT_FOUND') return null;
    const parsed = pythonInt(line);
    if (parsed === null) throw new MemcacheUnknownError(`invalid literal for int() with base 10: ${pythonBytesRepr(line)}`);
    return parsed;
  }

  /** `incr`: the new value (memcached counters are 64-bit; Node rounds beyond 2^53), null when missing or noreply. */
  incr(key: string, value: number, noreply = false): Promise<number | null> {
    return this.serialized(() => this.arithmetic('incr', key, value, noreply));
  }

  /** `decr`: the new value (memcached stops at 0), null when missing or noreply. */
  decr(key: string, value: number, noreply = false): Promise<number | null> {
    return this.serialized(() => this.arithmetic('decr', key, value, noreply));
  }

  /** `touch`: true when the expiration was updated (TOUCHED), false when the key is missing; true with noreply. */
  touch(key: string, expire = 0, noreply: boolean | null = null): Promise<boolean> {
    return this.serialized(async () => {
      const effectiveNoreply = noreply ?? this.defaultNoreply;
      const checked = this.checkKey(key);
      const expireText = this.checkInteger(expire, 'expire').toString('latin1');
      const command = `touch ${checked.toString('latin1')} ${expireText}${effectiveNoreply ? ' noreply' : ''}\r\n`;
      const results = await this.miscCmd([Buffer.from(command, 'latin1')], 'touch', effectiveNoreply);
      if (effectiveNoreply) return true;
      return results[0]!.toString('latin1') === 'TOUCHED';
    });
  }

  /**
   * `stats [args...]`: keys are the raw stat names (bytes, looked up by content); values converted like pymemcache
   * 3.5.2 (int by default; float for rusage_*, growth_factor; bool for *_enabled and similar; octal umask; bytes
   * for version, inter, stat_key_prefix and whatever does not convert). Arguments go through the key check.
   */
  stats(...args: string[]): Promise<Map<Bytes, StatValue>> {
    return this.serialized(async () => {
      const raw = (await this.fetchCmd('stats', args, false)) as BytesKeyedMap<Buffer>;
      const converted = new BytesKeyedMap<StatValue>();
      for (const [name, value] of raw) converted.set(name, convertStat(Buffer.from(name), value));
      return converted;
    });
  }

  /** `version`: the server's version as bytes (e.g. b'1.6.18'). */
  version(): Promise<Bytes> {
    return this.serialized(async () => {
      const results = await this.miscCmd([Buffer.from('version\r\n')], 'version', false);
      const line = results[0]!;
      const space = line.indexOf(0x20);
      const before = space < 0 ? line : line.subarray(0, space);
      if (!before.equals(Buffer.from('VERSION'))) throw new MemcacheUnknownError(`Received unexpected response: ${pythonBytesRepr(line)}`);
      return new Uint8Array(space < 0 ? Buffer.alloc(0) : line.subarray(space + 1));
    });
  }

  /** `flush_all [delay]`; true always with noreply, else whether memcached answered OK. */
  flushAll(delay = 0, noreply: boolean | null = null): Promise<boolean> {
    return this.serialized(async () => {
      const effectiveNoreply = noreply ?? this.defaultNoreply;
      const delayText = this.checkInteger(delay, 'delay').toString('latin1');
      const results = await this.miscCmd([Buffer.from(`flush_all ${delayText}${effectiveNoreply ? ' noreply' : ''}\r\n`)], 'flush_all', effectiveNoreply);
      if (effectiveNoreply) return true;
      return results[0]!.toString('latin1') === 'OK';
    });
  }

  /** `quit`, then close; the next call reconnects. */
  quit(): Promise<void> {
    return this.serialized(async () => {
      await this.miscCmd([Buffer.from('quit\r\n')], 'quit', true);
      this.closeNow();
    });
  }
}
