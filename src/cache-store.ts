// The memcached operations of one server of a cache table, over the backend's one connection to that server
// (memcache/connection.ts), with every failure turned into an ERROR that names the server and the key. A write is a
// `WriteOp`: sent at once with `apply` (outside a transaction), or collected in a write set (write-set.ts) and sent
// pipelined by a flush (transaction.ts) at COMMIT or at the statement's end. Reads are split in two (`sendGet`,
// `receiveGet`) so that a statement's keys go to every server before any server's reply is read.
import { raiseError, warn } from './errors';
import { quoteForMessage, stripPrefix } from './keys';
import { connectionTo, TransportFailure, type Connection } from './memcache/connection';
import {
  describeReplyError,
  encodeCas,
  encodeDecr,
  encodeDelete,
  encodeFlushAll,
  encodeGets,
  encodeIncr,
  encodeMetaGet,
  encodeStats,
  encodeStore,
  encodeTouch,
  ErrorReply,
  ProtocolError,
  ReplyError,
  type CounterReply,
  type DeleteStatus,
  type MetaGetOptions,
  type MetaReply,
  type StatEntry,
  type StatsGroup,
  type StoreStatus,
  type TouchStatus,
  type ValueItem,
} from './memcache/protocol';
import type { ReplyReader } from './memcache/protocol';
import {
  bytesConcat,
  bytesEqual,
  bytesSplit,
  formatFloat,
  intToString,
  LoneSurrogateError,
  nowSeconds,
  parseDecimalInt,
  utf8Encode,
  type Bytes,
} from './ports/runtime';
import { CommandRefused, refusalOrFailure } from './proxies';
import { endpointLabel, type ServerEndpoint } from './table-options';

/**
 * What memcached told about an item besides its value, when a read asked (meta get, metadump): the remaining TTL in
 * seconds (-1: never expires), when it was last accessed (unix time), whether it was fetched since it was stored,
 * and its size in memcached's memory (key, value and header). Null where the read did not say.
 */
export class ItemFacts {
  readonly ttl: number | null;
  readonly lastAccess: number | null;
  readonly fetched: boolean | null;
  readonly size: number | null;

  constructor(ttl: number | null, lastAccess: number | null, fetched: boolean | null, size: number | null) {
    this.ttl = ttl;
    this.lastAccess = lastAccess;
    this.fetched = fetched;
    this.size = size;
  }
}

/**
 * A value as stored in memcached: its bytes and its client flags; `cas` is the CAS token memcached gave it when it was
 * read (null for a value this transaction has pending), `facts` what else the read learnt. A record, not a class: a
 * get builds one per item found, and CPython builds a dict of four entries in a fraction of what a class instance
 * with its __init__ costs.
 */
export interface StoredItem {
  readonly value: Bytes;
  readonly flags: number;
  readonly cas: string | null;
  readonly facts: ItemFacts | null;
}

/** Keys per `get` line: long IN lists and joins are split so that one request line stays reasonable. */
export const KEYS_PER_GET = 500;

/**
 * A write that stores an item: `set` overwrites, `add` only creates. `key` is always the full (prefixed, validated)
 * key; `expire` is what memcached is sent (already converted past 30 days).
 */
export interface StoreOp {
  kind: 'set' | 'add';
  key: string;
  item: StoredItem;
  expire: number;
}

/**
 * A write that replaces an item only if no other client changed it since it was read: memcached `cas` with the token
 * the read returned (an UPDATE of a row it read). EXISTS or NOT_FOUND at COMMIT is a conflict.
 */
export interface CasOp {
  kind: 'cas';
  key: string;
  item: StoredItem;
  expire: number;
  cas: string;
}

/** A write that changes only the expiration of what the key holds (memcached `touch`). */
export interface TouchOp {
  kind: 'touch';
  key: string;
  expire: number;
}

/** A write that removes the key. */
export interface DeleteOp {
  kind: 'delete';
  key: string;
}

/** One write to memcached, told apart by `kind`: sent at once by `apply`, or held in a write set until a flush. */
export type WriteOp = StoreOp | CasOp | TouchOp | DeleteOp;

/** What to do about a server that does not answer, naming the option that names it (host/port, or servers). */
function reachHint(endpoint: ServerEndpoint): string {
  const where = endpoint.listed
    ? 'or correct its host:port in the servers option'
    : 'or point the host and port options at it';
  return (
    'Check that memcached runs there and accepts connections, ' +
    where +
    '; connect_timeout and timeout set how long to wait.'
  );
}

/** memcached answered CLIENT_ERROR to a request the wrapper had checked: not an error the wrapper expects. */
const CLIENT_ERROR_HINT = 'This reply is unexpected: report it with the statement and the memcached version.';

/** memcached requires a login (memcached -Y) and the table has no credentials. */
const UNAUTHENTICATED_HINT =
  'memcached requires a login (memcached -Y): give a username and password in a user mapping, CREATE USER MAPPING FOR ' +
  "CURRENT_USER SERVER ... OPTIONS (username '...', password '...').";

/** A plain connection reset at once: what a memcached that requires TLS (memcached -Z) does to one. */
const PLAIN_TO_TLS_HINT =
  " A memcached that requires TLS (memcached -Z) resets plain connections: set tls 'on' if it does.";

/** What to do about a TLS failure (`message` the socket port's fixed text). */
function tlsHint(message: string): string {
  if (message.startsWith('certificate verify failed')) {
    return (
      "tls 'on' verifies the server's certificate against tls_ca_file (the system's certificate authorities without " +
      "it) and the host name the table connects to: give the CA that signed it in tls_ca_file, or set tls 'insecure' to " +
      'encrypt without verifying.'
    );
  }
  if (message.includes('does not speak TLS'))
    return "The server does not use TLS on this port: set tls 'off', or start memcached with -Z.";
  // The client's own files (the socket port's texts for them start so).
  if (
    message.startsWith('cannot read') ||
    message.startsWith('no certificate') ||
    message.startsWith('the client certificate')
  ) {
    return (
      'tls_ca_file, tls_cert_file and tls_key_file name PEM files the PostgreSQL server process (its operating-system ' +
      'user) reads: give absolute paths of files it can read.'
    );
  }
  if (message.includes('client certificate')) {
    return (
      'Give a client certificate the server trusts (memcached -o ssl_ca_cert names the CAs it accepts) in tls_cert_file ' +
      'and tls_key_file, on the table, the server or the user mapping.'
    );
  }
  return "Check the server's TLS settings (memcached -Z -o ssl_...) and its log.";
}

/** The login refused: the credentials do not match the server's -Y file. */
const LOGIN_HINT =
  "The username and password of the user mapping must match a username:password line of the file memcached's -Y option " +
  "names: ALTER USER MAPPING FOR ... SERVER ... OPTIONS (SET password '...').";

/** The commands a proxy such as twemproxy does not forward, for hints. */
const PROXY_HINT =
  'twemproxy forwards only the key commands (get, set, add, delete, touch, incr, ...): statistics, meta commands, ' +
  'flush_all and listing keys need a table on the memcached servers behind it.';

/** The start of the HINT when fact columns cannot be read: what reads them. */
const FACTS_HINT =
  'The remaining TTL (expire), last_access, size and fetched columns are read with meta gets (mg, one per key), ';

/** memcached's connection limit: it sends this ERROR on accepting a connection beyond -c, then closes it. */
const TOO_MANY_CONNECTIONS = 'Too many open connections';

/** What a client failure means for the user: an ERROR message naming the server and `what` failed, and a HINT. */
export interface FailureReport {
  message: string;
  hint: string | null;
}

/** The memcached failures the wrapper reports (anything else is a bug, or an ERROR already raised). */
export function isClientFailure(error: unknown): boolean {
  return error instanceof TransportFailure || error instanceof ReplyError || error instanceof CommandRefused;
}

/**
 * A failure that says the server is unreachable or went away, as opposed to refusing one request. A cancel, a TLS
 * failure (certificates, settings) and a refused login are not: they fail the statement and leave the server up.
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof TransportFailure)
    return error.failure !== 'interrupted' && error.failure !== 'tls' && error.failure !== 'login';
  return error instanceof ErrorReply && error.kind === 'ERROR' && error.knownText === TOO_MANY_CONNECTIONS;
}

/**
 * Describes a client failure during `what` (e.g. `set of key "k"`); null when `error` is not a memcached client or
 * transport failure (a bug, or an ERROR already raised), which the caller re-throws. Nothing the peer sent is
 * quoted unless it is a known memcached error text.
 */
export function describeFailure(error: unknown, endpoint: ServerEndpoint, what: string): FailureReport | null {
  const server = endpointLabel(endpoint);
  if (error instanceof CommandRefused) {
    return {
      message:
        'the server at ' +
        server +
        ' closed the connection on "' +
        error.command +
        '" (' +
        what +
        '), and answers other ' +
        'commands: a proxy in front of memcached that does not forward "' +
        error.command +
        '"',
      hint: PROXY_HINT,
    };
  }
  if (error instanceof TransportFailure) {
    if (error.failure === 'interrupted') {
      // On the project's host PostgreSQL's own error (57014) takes the place of this one; on multicorn2 it is the ERROR.
      return {
        message: 'stopped waiting for memcached at ' + server + ' (' + what + '): ' + error.message,
        hint:
          'PostgreSQL interrupted the statement (statement_timeout, pg_cancel_backend or pg_terminate_backend) while ' +
          'it waited for memcached; that connection is closed and the next statement opens a new one.',
      };
    }
    if (error.failure === 'tls') {
      return {
        message: 'TLS with memcached at ' + server + ' failed (' + what + '): ' + error.message,
        hint: tlsHint(error.message),
      };
    }
    if (error.failure === 'login') {
      const username = endpoint.security.username;
      return {
        message:
          'memcached at ' +
          server +
          ' refused the login of user ' +
          quoteForMessage(username === null ? '' : username) +
          ' (' +
          what +
          '): ' +
          error.message,
        hint: LOGIN_HINT,
      };
    }
    if (error.phase === 'connect') {
      return {
        message: 'cannot reach memcached at ' + server + ' (' + what + '): ' + error.message,
        hint: reachHint(endpoint),
      };
    }
    if (error.failure === 'closed') {
      return { message: 'memcached at ' + server + ' closed the connection during ' + what, hint: reachHint(endpoint) };
    }
    if (error.failure === 'timeout') {
      return {
        message:
          'memcached at ' + server + ' did not answer the ' + what + ' within ' + formatFloat(endpoint.timeout) + ' s',
        hint: 'The timeout option sets how long to wait for a reply; check the server and the network.',
      };
    }
    const plainReset = error.failure === 'reset' && endpoint.security.tls === 'off';
    return {
      message: 'lost the connection to memcached at ' + server + ' during ' + what + ': ' + error.message,
      hint: reachHint(endpoint) + (plainReset ? PLAIN_TO_TLS_HINT : ''),
    };
  }
  if (error instanceof ErrorReply) {
    if (error.kind === 'ERROR' && error.knownText === TOO_MANY_CONNECTIONS) {
      return {
        message: 'memcached at ' + server + ' refused the connection: ' + TOO_MANY_CONNECTIONS,
        hint: "memcached's connection limit (memcached -c) is reached: raise it, or let fewer sessions use this server.",
      };
    }
    if (error.kind === 'SERVER_ERROR') {
      const hint =
        error.knownText !== null && error.knownText.includes('too large')
          ? "The value is larger than the server's item size limit (memcached -I, 1 MB by default)."
          : 'See the memcached server log for the cause.';
      return { message: 'memcached at ' + server + ' failed the ' + what + ': ' + replyText(error), hint: hint };
    }
    if (error.kind === 'CLIENT_ERROR') {
      const hint = error.knownText === 'unauthenticated' ? UNAUTHENTICATED_HINT : CLIENT_ERROR_HINT;
      return { message: 'memcached at ' + server + ' rejected the ' + what + ': ' + replyText(error), hint: hint };
    }
    return {
      message: 'memcached at ' + server + ' does not know the command of the ' + what + ': ' + replyText(error),
      hint: 'The server, or a proxy in front of it, does not speak this part of the memcached protocol.',
    };
  }
  if (error instanceof ProtocolError) {
    return {
      message:
        'the server at ' +
        server +
        ' answered the ' +
        what +
        ' with something that is not a memcached reply: ' +
        error.problem,
      hint:
        'Check that ' + server + ' is a memcached server (or a proxy speaking its text protocol), not another service.',
    };
  }
  return null;
}

/** An error reply's text when it is a known memcached error text, else its safe description (kind and length). */
function replyText(error: ErrorReply): string {
  return error.knownText !== null ? error.knownText : describeReplyError(error);
}

/** `get of key "k"` (`action` of the user's key), or the action alone when it is about several keys. */
export function operationText(action: string, userKey: string | null): string {
  return userKey === null ? action : action + ' of key ' + quoteForMessage(userKey);
}

/**
 * Ends the statement with an ERROR for a client failure during `what`, naming the server; anything that is not a
 * client or transport failure (a bug, or an ERROR already raised) is re-thrown as it is.
 */
export function raiseFailure(error: unknown, endpoint: ServerEndpoint, what: string): never {
  const report = describeFailure(error, endpoint, what);
  if (report !== null) raiseError(report.message, report.hint);
  if (error instanceof Error) throw error;
  throw new Error('unexpected failure during the ' + what);
}

/** memcached's default item size limit (-I), assumed when `stats settings` does not report item_size_max. */
export const DEFAULT_ITEM_SIZE_MAX = 1048576;
/**
 * Bytes memcached 1.6 (64-bit) spends on every item besides the key, the value and the optional parts: the item
 * header (48), the key's terminator (1) and the value's CRLF (2). Measured: with -I 1m the largest value memcached
 * stores under a k-byte key with flags 0 is 1048576 - 59 - k bytes.
 */
export const ITEM_HEADER_BYTES = 51;
/** The CAS value each item carries, unless memcached runs with -C (`cas_enabled no`). */
export const ITEM_CAS_BYTES = 8;
/** Client flags take room in the item only when they are not 0. */
export const ITEM_FLAGS_BYTES = 4;

/** How large an item a server stores: item_size_max and what each item spends besides key and value. */
export class ItemLimits {
  readonly itemSizeMax: number;
  /** ITEM_HEADER_BYTES, plus ITEM_CAS_BYTES unless CAS is off. */
  readonly overhead: number;

  constructor(itemSizeMax: number, overhead: number) {
    this.itemSizeMax = itemSizeMax;
    this.overhead = overhead;
  }

  /** The largest value memcached stores under a key of `keyBytes` bytes with `flags`. */
  room(keyBytes: number, flags: number): number {
    return this.itemSizeMax - this.overhead - (flags === 0 ? 0 : ITEM_FLAGS_BYTES) - keyBytes;
  }
}

/** The item limits per server (`host:port`), read once per backend from `stats settings`. */
const knownItemLimits: Map<string, ItemLimits> = new Map<string, ItemLimits>();

/**
 * The limits of a server that does not answer `stats settings` (a proxy): memcached's defaults, with a WARNING the
 * first time in the backend; the `item_size_max` option sets them without asking.
 */
function assumedItemLimits(endpoint: ServerEndpoint, refused: CommandRefused): ItemLimits {
  warn(
    'the server at ' +
      endpointLabel(endpoint) +
      ' does not answer "' +
      refused.command +
      '" (a proxy in front of memcached): ' +
      "values are checked against memcached's default item size limit of " +
      intToString(DEFAULT_ITEM_SIZE_MAX) +
      ' bytes',
    "Set the table's item_size_max option to the memcached servers' -I (in bytes) to check against it without asking.",
  );
  return new ItemLimits(DEFAULT_ITEM_SIZE_MAX, ITEM_HEADER_BYTES + ITEM_CAS_BYTES);
}

/**
 * A `get` sent to one server whose replies have not been read yet (or the failure that kept it from being sent). This
 * and the other records of one request (WriteBatch, RejectedWrite, BatchOutcome) are interfaces, dicts in Python,
 * which CPython builds in a fraction of what a class instance costs.
 */
export interface PendingGet {
  readonly keys: string[];
  readonly encoded: Bytes[];
  /** Sent as meta gets (mg, one per key) that also return the item's facts, rather than classic `gets` lines. */
  readonly withFacts: boolean;
  /** The connection was reused from an earlier request: a failure may be a server restart, worth one retry. */
  readonly reused: boolean;
  readonly failure: unknown;
}

/** What a meta get asks for: the value, flags, CAS token and every fact an ItemFacts holds. */
const META_GET_FACTS: MetaGetOptions = {
  returnValue: true,
  returnCas: true,
  returnClientFlags: true,
  returnTtl: true,
  returnSize: true,
  returnKey: false,
  returnLastAccess: true,
  returnHit: true,
  noBump: false,
  touchTtl: undefined,
  vivifyTtl: undefined,
  recacheTtl: undefined,
  opaque: undefined,
  quiet: false,
};

function readMeta(reader: ReplyReader): MetaReply | null {
  return reader.readMeta();
}

/** The unix time of an access `secondsAgo` seconds ago (meta get's `l`), by this host's clock. */
function lastAccessAt(secondsAgo: number | null): number | null {
  return secondsAgo === null ? null : nowSeconds() - secondsAgo;
}

function readValues(reader: ReplyReader): ValueItem[] | null {
  return reader.readValues();
}

function readStored(reader: ReplyReader): StoreStatus | null {
  return reader.readStored();
}

function readTouched(reader: ReplyReader): TouchStatus | null {
  return reader.readTouched();
}

function readDeleted(reader: ReplyReader): DeleteStatus | null {
  return reader.readDeleted();
}

/** Pipelined writes of one kind to one server: the keys (full keys) and the request holding every command. */
export interface WriteBatch {
  readonly kind: 'set' | 'cas' | 'delete' | 'touch';
  readonly keys: string[];
  readonly request: Bytes;
}

/** A write of a batch memcached did not apply, and why (its reply: NOT_STORED, NOT_FOUND, or an error reply). */
export interface RejectedWrite {
  readonly key: string;
  readonly reason: string;
}

/** What became of a sent batch: how many commands memcached answered, from the first, and which it refused. */
export interface BatchOutcome {
  readonly answered: number;
  readonly rejected: RejectedWrite[];
  /** Why the replies stopped before the last command's (the connection is closed), or null when all came. */
  readonly failure: unknown;
}

function rejectedKeys(rejected: RejectedWrite[]): string[] {
  const keys: string[] = [];
  for (const write of rejected) keys.push(write.key);
  return keys;
}

function readStats(reader: ReplyReader): StatEntry[] | null {
  return reader.readStats();
}

/** A transport failure on a connection reused from an earlier request: the server may have restarted meanwhile. */
function worthRetrying(pending: PendingGet, error: unknown): boolean {
  return (
    pending.reused && error instanceof TransportFailure && (error.failure === 'closed' || error.failure === 'reset')
  );
}

/** The memcached side of one foreign table: its server and the operations, with errors reported. */
export class CacheStore {
  readonly endpoint: ServerEndpoint;
  /** `host:port` of the server (EXPLAIN, errors, and the write set's key for the server), computed once. */
  readonly serverLabel: string;
  /** The table's key prefix: errors name keys as the user wrote them. */
  private readonly prefix: string;
  /** The server's item limits once known (the per-row size check must not cost a lookup by label). */
  private knownLimits: ItemLimits | null;
  private readonly connection: Connection;
  /**
   * How the server refused a meta get, or null: it does not speak the meta commands (a proxy closed the connection: a
   * CommandRefused; a memcached before 1.6.10 answered ERROR), and reads that want an item's facts use `gets` instead
   * (the facts read as unknown). A query that names a fact column then ends with requireFacts' ERROR.
   */
  private metaRefusal: Error | null;

  constructor(endpoint: ServerEndpoint, prefix: string) {
    this.endpoint = endpoint;
    this.serverLabel = endpointLabel(endpoint);
    this.prefix = prefix;
    this.knownLimits = null;
    this.metaRefusal = null;
    this.connection = connectionTo(endpoint.host, endpoint.port, endpoint.security);
  }

  /** The user's key for a full key (the prefix stripped), for messages. */
  userKey(fullKey: string): string {
    const key = stripPrefix(this.prefix, fullKey);
    return key === null ? fullKey : key;
  }

  /**
   * Sends `get` for `keys` (full keys), one line per KEYS_PER_GET keys, all in one write; the replies are read by
   * receiveGet. A failure to connect or send is kept for receiveGet to report, so that the other servers of a
   * statement still get their requests first.
   */
  async sendGet(keys: string[], askFacts: boolean = false): Promise<PendingGet> {
    const withFacts = askFacts && this.metaRefusal === null;
    const keyCount = keys.length;
    if (keyCount === 0) return { keys: keys, encoded: [], withFacts: withFacts, reused: false, failure: null };
    const encoded = keyCount === 1 ? [utf8Encode(keys[0]!)] : encodeKeys(keys);
    let reused = false;
    try {
      reused = await this.connection.ready(this.endpoint.connectTimeout);
      const request = withFacts
        ? this.metaGetRequest(encoded)
        : keyCount <= KEYS_PER_GET
          ? encodeGets(encoded)
          : this.getRequest(encoded);
      await this.connection.send(request, this.endpoint.timeout);
    } catch (error) {
      return { keys: keys, encoded: encoded, withFacts: withFacts, reused: reused, failure: error };
    }
    return { keys: keys, encoded: encoded, withFacts: withFacts, reused: reused, failure: null };
  }

  /**
   * The `gets` lines of more than KEYS_PER_GET keys, in one request (gets: the CAS token comes with each value, for
   * UPDATEs that must not overwrite another client's change).
   */
  private getRequest(encoded: Bytes[]): Bytes {
    const lines: Bytes[] = [];
    for (let start = 0; start < encoded.length; start += KEYS_PER_GET)
      lines.push(encodeGets(encoded.slice(start, start + KEYS_PER_GET)));
    return bytesConcat(lines);
  }

  /** One `mg` per key, answered in order, each returning the value with every fact (memcached 1.6.10 or later). */
  private metaGetRequest(encoded: Bytes[]): Bytes {
    const lines: Bytes[] = [];
    for (const key of encoded) lines.push(encodeMetaGet(key, META_GET_FACTS));
    return bytesConcat(lines);
  }

  /**
   * The items found for a sent get. A failed request goes to `readFailed`, which raises the ERROR (or, in ServerStore
   * under on_server_error miss, returns what was found); a connection that was reused and turns out closed (the
   * server restarted since the last statement) is retried once on a new one, reads being safe to repeat.
   */
  async receiveGet(pending: PendingGet): Promise<Map<string, StoredItem>> {
    let failure = pending.failure;
    if (failure === null) {
      try {
        const found = await this.readGetReplies(pending);
        this.readSucceeded();
        return found;
      } catch (error) {
        failure = error;
      }
    }
    if (worthRetrying(pending, failure)) {
      this.connection.close();
      const retried = await this.sendGet(pending.keys, pending.withFacts);
      if (retried.failure === null) {
        try {
          const found = await this.readGetReplies(retried);
          this.readSucceeded();
          return found;
        } catch (error) {
          failure = error;
        }
      } else {
        failure = retried.failure;
      }
    }
    const refusal = pending.withFacts ? await this.metaCommandsRefusal(failure) : null;
    if (refusal !== null) {
      // No meta commands here (memcached before 1.6.10, or a proxy such as twemproxy): the facts stay unknown, and
      // requireFacts tells a query that names a fact column.
      this.metaRefusal = refusal;
      this.connection.close();
      return await this.receiveGet(await this.sendGet(pending.keys, false));
    }
    if (!isClientFailure(failure)) {
      if (failure instanceof Error) throw failure;
      throw new Error('unexpected failure during a get');
    }
    return this.readFailed(failure, pending.keys, new Map<string, StoredItem>());
  }

  /**
   * The refusal when a meta get failed because the server does not take meta commands, else null: memcached before
   * 1.6.10 answers ERROR; twemproxy closes the connection (on a new connection too: a reused one was retried first)
   * and answers `version`.
   */
  private async metaCommandsRefusal(failure: unknown): Promise<Error | null> {
    if (failure instanceof ErrorReply && failure.kind === 'ERROR' && failure.knownText === null) return failure;
    const endpoint = this.endpoint;
    const refusal = await refusalOrFailure(failure, 'mg', this.connection, endpoint.connectTimeout, endpoint.timeout);
    return refusal instanceof CommandRefused ? refusal : null;
  }

  /**
   * An ERROR naming `columns` (fact columns a query asked for: expire, last_access, size, fetched) when this server
   * refused meta commands, the only commands that read them; nothing otherwise. Called after a read that asked for
   * facts: the read itself fell back to `gets`, which the reads that only may need them (an UPDATE's whole row,
   * memcache_append's TTL) keep.
   */
  requireFacts(columns: string[]): void {
    const refusal = this.metaRefusal;
    if (refusal === null || columns.length === 0) return;
    const quoted: string[] = [];
    for (const column of columns) quoted.push('"' + column + '"');
    const named = (columns.length === 1 ? 'column ' : 'columns ') + quoted.join(', ');
    if (refusal instanceof CommandRefused) {
      raiseError(
        'cannot read ' +
          named +
          ' through the server at ' +
          this.serverLabel +
          ': it closed the connection on the meta get "mg", and answers other commands: a proxy in front of memcached ' +
          'that does not forward meta commands',
        FACTS_HINT +
          'which this proxy does not forward: leave these columns out of queries through it (key, value, flags and cas ' +
          'are read with gets), or query a table on the memcached servers behind it.',
      );
    }
    raiseError(
      'cannot read ' +
        named +
        ' from memcached at ' +
        this.serverLabel +
        ': it answered ERROR to the meta get "mg" (no meta commands: memcached before 1.6.10, or a proxy)',
      FACTS_HINT +
        'which memcached answers from version 1.6.10 on: leave these columns out of the query (key, value, flags and ' +
        'cas are read with gets), or upgrade memcached.',
    );
  }

  /** Reads the replies of every get line of `pending`, each item matched with the key it was asked for. */
  private async readGetReplies(pending: PendingGet): Promise<Map<string, StoredItem>> {
    const keys = pending.keys;
    const keyCount = keys.length;
    if (keyCount === 0) return new Map<string, StoredItem>();
    if (pending.withFacts) return await this.readMetaGetReplies(pending);
    const connection = this.connection;
    const timeout = this.endpoint.timeout;
    const encoded = pending.encoded;
    const found: Map<string, StoredItem> = new Map<string, StoredItem>();
    try {
      for (let start = 0; start < keyCount; start += KEYS_PER_GET) {
        const end = start + KEYS_PER_GET < keyCount ? start + KEYS_PER_GET : keyCount;
        const items = await connection.receive(readValues, timeout);
        // memcached answers hits in the order the keys were asked for: one pass matches them.
        let position = start;
        for (const [key, flags, value, cas] of items) {
          while (position < end && !bytesEqual(encoded[position]!, key)) position += 1;
          if (position === end) throw new ProtocolError('gets', 'a value for a key that was not asked for');
          found.set(keys[position]!, { value: value, flags: flags, cas: cas, facts: null });
          position += 1;
        }
      }
    } catch (error) {
      connection.close();
      throw error;
    }
    connection.done();
    return found;
  }

  /**
   * Reads the meta get replies of `pending`, one per key in order: VA with the value and facts, EN for a miss. The
   * item's size is memcached's own count (value, key, header, CAS and flags), as metadump reports it, known once the
   * server's item limits are (itemLimits(), which a query asking for the size calls first).
   */
  private async readMetaGetReplies(pending: PendingGet): Promise<Map<string, StoredItem>> {
    const connection = this.connection;
    const timeout = this.endpoint.timeout;
    const found: Map<string, StoredItem> = new Map<string, StoredItem>();
    const limits = this.knownLimits;
    try {
      for (let i = 0; i < pending.keys.length; i++) {
        const reply = await connection.receive(readMeta, timeout);
        if (reply.status === 'EN') continue;
        if (reply.status !== 'VA' || reply.value === null) throw new ProtocolError('mg', 'a reply other than VA or EN');
        const flags = reply.clientFlags === null ? 0 : reply.clientFlags;
        const size =
          reply.size === null || limits === null
            ? null
            : reply.size + pending.encoded[i]!.length + limits.overhead + (flags === 0 ? 0 : ITEM_FLAGS_BYTES);
        const hit = reply.hit;
        const facts = new ItemFacts(reply.ttl, lastAccessAt(reply.lastAccess), hit, size);
        found.set(pending.keys[i]!, { value: reply.value, flags: flags, cas: reply.cas, facts: facts });
      }
    } catch (error) {
      connection.close();
      throw error;
    }
    connection.done();
    return found;
  }

  /** The items found for `keys` (full keys): sendGet then receiveGet. */
  async getMany(keys: string[], withFacts: boolean = false): Promise<Map<string, StoredItem>> {
    return await this.receiveGet(await this.sendGet(keys, withFacts));
  }

  /**
   * A `get` of `chunk` failed: an ERROR naming the server (and the key, for one key). `found` holds the items read
   * before the failure, for an override that reads the rest as misses.
   */
  protected readFailed(error: unknown, chunk: string[], found: Map<string, StoredItem>): Map<string, StoredItem> {
    return raiseFailure(
      error,
      this.endpoint,
      operationText('get', chunk.length === 1 ? this.userKey(chunk[0]!) : null),
    );
  }

  /** Every `get` of a read was answered (ServerStore notes that the server is up). */
  protected readSucceeded(): void {}

  /**
   * Sends one write and returns memcached's answer: stored (set, add), touched, deleted. False means add found the
   * key already there, or touch/delete did not find it.
   */
  async apply(op: WriteOp): Promise<boolean> {
    try {
      if (op.kind === 'add') return await this.addOne(op);
      if (op.kind === 'cas') {
        const [swapped] = await this.pipeline(this.casBatch([op]).request, 1, readStored);
        return swapped === 'STORED';
      }
      if (op.kind === 'delete') {
        const [deleted] = await this.pipeline(this.deleteBatch([op.key]).request, 1, readDeleted);
        return deleted === 'DELETED';
      }
      if (op.kind === 'touch') {
        const [touched] = await this.pipeline(this.touchBatch([op.key], op.expire).request, 1, readTouched);
        return touched === 'TOUCHED';
      }
      const [stored] = await this.pipeline(this.setBatch([op.key], [op.item], op.expire).request, 1, readStored);
      return stored === 'STORED';
    } catch (error) {
      return raiseFailure(error, this.endpoint, operationText(op.kind, this.userKey(op.key)));
    }
  }

  /**
   * How large an item the server stores (`item_size_max` and `cas_enabled` of `stats settings`), asked once per
   * server per backend so that values are checked before they are sent.
   */
  async itemLimits(): Promise<ItemLimits> {
    if (this.knownLimits !== null) return this.knownLimits;
    const configured = this.endpoint.itemSizeMax;
    if (configured !== null) {
      // Set by the table: not asked (a proxy would not answer), CAS assumed on (its 8 bytes counted: the safe side).
      const fixed = new ItemLimits(configured, ITEM_HEADER_BYTES + ITEM_CAS_BYTES);
      this.knownLimits = fixed;
      return fixed;
    }
    const known = knownItemLimits.get(this.serverLabel);
    if (known !== undefined) {
      this.knownLimits = known;
      return known;
    }
    let settings: StatEntry[];
    try {
      settings = await this.fetchStats('settings');
    } catch (error) {
      if (!(error instanceof CommandRefused)) return raiseFailure(error, this.endpoint, 'stats settings');
      const assumed = assumedItemLimits(this.endpoint, error);
      knownItemLimits.set(this.serverLabel, assumed);
      this.knownLimits = assumed;
      return assumed;
    }
    return this.learnLimits(settings);
  }

  /**
   * The server's item limits as itemLimits() finds them, except that a failure to ask propagates as it is
   * (ServerPool.learnItemLimits leaves it for the read that follows to report).
   */
  async fetchItemLimits(): Promise<ItemLimits> {
    if (this.knownLimits !== null || this.endpoint.itemSizeMax !== null || knownItemLimits.has(this.serverLabel)) {
      return await this.itemLimits();
    }
    return this.learnLimits(await this.fetchStats('settings'));
  }

  /** Keeps the item limits `stats settings` tells, for this store and every other on the server. */
  private learnLimits(settings: StatEntry[]): ItemLimits {
    let itemSizeMax = DEFAULT_ITEM_SIZE_MAX;
    let casEnabled = true;
    for (const [name, value] of settings) {
      if (name === 'item_size_max') {
        const parsed = parseDecimalInt(value);
        if (parsed !== null && parsed > 0) itemSizeMax = parsed;
      }
      if (name === 'cas_enabled') casEnabled = value !== 'no';
    }
    const limits = new ItemLimits(itemSizeMax, ITEM_HEADER_BYTES + (casEnabled ? ITEM_CAS_BYTES : 0));
    knownItemLimits.set(this.serverLabel, limits);
    this.knownLimits = limits;
    return limits;
  }

  // The pipelined sends of a flush. Client failures propagate as they are: the flush knows which keys were in
  // flight and reports them all in one ERROR. Every command is acknowledged (never noreply), and every reply read.

  /** Sends `request` of `count` commands and reads one reply each with `read`; the connection is left in step. */
  private async pipeline<T>(request: Bytes, count: number, read: (reader: ReplyReader) => T | null): Promise<T[]> {
    const connection = this.connection;
    await connection.ready(this.endpoint.connectTimeout);
    await connection.send(request, this.endpoint.timeout);
    const replies: T[] = [];
    try {
      for (let i = 0; i < count; i++) replies.push(await connection.receive(read, this.endpoint.timeout));
    } catch (error) {
      connection.close();
      throw error;
    }
    connection.done();
    return replies;
  }

  /** `add` of one item; false when the key exists. */
  async addOne(op: StoreOp): Promise<boolean> {
    const request = encodeStore('add', utf8Encode(op.key), op.item.flags, op.expire, op.item.value);
    const [status] = await this.pipeline(request, 1, readStored);
    return status === 'STORED';
  }

  /** A batch of sets of `keys[i]` to `items[i]`, all with one expiration. */
  setBatch(keys: string[], items: StoredItem[], expire: number): WriteBatch {
    const commands: Bytes[] = [];
    for (let i = 0; i < keys.length; i++) {
      const item = items[i]!;
      commands.push(encodeStore('set', utf8Encode(keys[i]!), item.flags, expire, item.value));
    }
    return { kind: 'set', keys: keys, request: bytesConcat(commands) };
  }

  /** A batch of compare-and-swaps, each with its own expiration and token (EXISTS or NOT_FOUND: another client won). */
  casBatch(ops: CasOp[]): WriteBatch {
    const keys: string[] = [];
    const commands: Bytes[] = [];
    for (const op of ops) {
      keys.push(op.key);
      commands.push(encodeCas(utf8Encode(op.key), op.item.flags, op.expire, op.item.value, op.cas));
    }
    return { kind: 'cas', keys: keys, request: bytesConcat(commands) };
  }

  /** A batch of deletes. */
  deleteBatch(keys: string[]): WriteBatch {
    const commands: Bytes[] = [];
    for (const key of keys) commands.push(encodeDelete(utf8Encode(key)));
    return { kind: 'delete', keys: keys, request: bytesConcat(commands) };
  }

  /** A batch of touches to `expire`, each acknowledged (never noreply: a NOT_FOUND must not be lost). */
  touchBatch(keys: string[], expire: number): WriteBatch {
    const commands: Bytes[] = [];
    for (const key of keys) commands.push(encodeTouch(utf8Encode(key), expire));
    return { kind: 'touch', keys: keys, request: bytesConcat(commands) };
  }

  /** Sends a batch in one write; its replies are read by receiveBatch (other servers' batches may go in between). */
  async sendBatch(batch: WriteBatch): Promise<void> {
    await this.connection.ready(this.endpoint.connectTimeout);
    await this.connection.send(batch.request, this.endpoint.timeout);
  }

  /**
   * Reads the reply to every command of a sent batch: which keys memcached did not apply, each with the reason (a set
   * NOT_STORED or refused with an error reply, a delete or touch of a key it does not hold), and, when the replies
   * stopped early (a transport failure or an unreadable reply, which close the connection), how many came first.
   * An error reply to one command leaves the others' replies in step.
   */
  async receiveBatch(batch: WriteBatch): Promise<BatchOutcome> {
    const connection = this.connection;
    const timeout = this.endpoint.timeout;
    const rejected: RejectedWrite[] = [];
    const read =
      batch.kind === 'set' || batch.kind === 'cas' ? readStored : batch.kind === 'touch' ? readTouched : readDeleted;
    let answered = 0;
    for (const key of batch.keys) {
      let status: string;
      try {
        status = await connection.receive(read, timeout);
      } catch (error) {
        if (error instanceof ErrorReply && !isOutage(error)) {
          rejected.push({ key: key, reason: replyText(error) });
          answered += 1;
          continue;
        }
        connection.close();
        return { answered: answered, rejected: rejected, failure: error };
      }
      if (status !== 'STORED' && status !== 'DELETED' && status !== 'TOUCHED')
        rejected.push({ key: key, reason: status });
      answered += 1;
    }
    connection.done();
    return { answered: answered, rejected: rejected, failure: null };
  }

  /** A batch sent and read at once: the keys not applied; a failure before the last reply is thrown. */
  async applyBatch(batch: WriteBatch): Promise<RejectedWrite[]> {
    await this.sendBatch(batch);
    const outcome = await this.receiveBatch(batch);
    const failure = outcome.failure;
    if (failure instanceof Error) throw failure;
    return outcome.rejected;
  }

  /** `set` of every key, pipelined in one round trip; returns the keys memcached did not store. */
  async setPipelined(keys: string[], items: StoredItem[], expire: number): Promise<string[]> {
    return rejectedKeys(await this.applyBatch(this.setBatch(keys, items, expire)));
  }

  /** `delete` of every key, pipelined in one round trip; returns the keys memcached did not hold. */
  async deletePipelined(keys: string[]): Promise<string[]> {
    return rejectedKeys(await this.applyBatch(this.deleteBatch(keys)));
  }

  /** `touch` of every key, pipelined in one round trip; returns the keys memcached no longer held. */
  async touchPipelined(keys: string[], expire: number): Promise<string[]> {
    return rejectedKeys(await this.applyBatch(this.touchBatch(keys, expire)));
  }

  /**
   * memcached's `stats` (`command` '' for the general statistics, or a group such as `settings`), as the server sent
   * them: name and value text, in its order. A failure is an ERROR naming the server.
   */
  async stats(command: string): Promise<StatEntry[]> {
    try {
      return await this.fetchStats(command);
    } catch (error) {
      return raiseFailure(error, this.endpoint, command === '' ? 'stats' : 'stats ' + command);
    }
  }

  /**
   * `stats` without reporting: client failures propagate (ServerStore notes outages first). A server that closes the
   * connection on it but answers `version` is a proxy that does not forward it: a CommandRefused.
   */
  async fetchStats(command: string): Promise<StatEntry[]> {
    const group: StatsGroup | null = command === '' ? null : statsGroup(command);
    try {
      const [entries] = await this.pipeline(encodeStats(group), 1, readStats);
      return entries!;
    } catch (error) {
      const endpoint = this.endpoint;
      const what = command === '' ? 'stats' : 'stats ' + command;
      throw await refusalOrFailure(error, what, this.connection, endpoint.connectTimeout, endpoint.timeout);
    }
  }

  // Commands of the function API (src/functions.ts) that act at once rather than at COMMIT: memcached's atomic
  // counters, append and prepend under write_mode immediate, and flush_all. A failure is an ERROR naming the server.

  /**
   * `incr` or `decr` of `fullKey` by `delta` (an unsigned 64-bit decimal): the new value as memcached's decimal text,
   * or null when the key does not exist. A value that is not a decimal number is an ERROR naming the key.
   */
  async counter(kind: 'incr' | 'decr', fullKey: string, delta: string): Promise<string | null> {
    const key = utf8Encode(fullKey);
    const request = kind === 'incr' ? encodeIncr(key, delta) : encodeDecr(key, delta);
    try {
      const [reply] = await this.pipeline(request, 1, readCounter);
      return reply!.found ? reply!.value : null;
    } catch (error) {
      if (error instanceof ErrorReply && error.knownText === NON_NUMERIC) {
        return raiseError(
          'cannot ' +
            kind +
            ' key ' +
            quoteForMessage(this.userKey(fullKey)) +
            ' in memcached at ' +
            this.serverLabel +
            ': its value is not a decimal number',
          'memcached counts only values that are unsigned decimal integers of up to 20 digits: memcache_set the key to ' +
            "a number first (e.g. memcache_set('k', '0')).",
        );
      }
      return raiseFailure(error, this.endpoint, operationText(kind, this.userKey(fullKey)));
    }
  }

  /** `append` or `prepend` of `value` to what `fullKey` holds; false when memcached does not hold the key. */
  async appendNow(kind: 'append' | 'prepend', fullKey: string, value: Bytes): Promise<boolean> {
    const request = encodeStore(kind, utf8Encode(fullKey), 0, 0, value);
    try {
      const [status] = await this.pipeline(request, 1, readStored);
      return status === 'STORED';
    } catch (error) {
      return raiseFailure(error, this.endpoint, operationText(kind, this.userKey(fullKey)));
    }
  }

  /**
   * `flush_all`: memcached invalidates every item it holds, whatever its key. A server that closes the connection on
   * it but answers `version` is a proxy that does not forward it (twemproxy): the ERROR says so, as for `stats`.
   */
  async flushAll(): Promise<void> {
    try {
      await this.pipeline(encodeFlushAll(), 1, readOk);
    } catch (error) {
      const endpoint = this.endpoint;
      const connection = this.connection;
      const failure = await refusalOrFailure(error, 'flush_all', connection, endpoint.connectTimeout, endpoint.timeout);
      raiseFailure(failure, endpoint, 'flush_all');
    }
  }
}

/** memcached's CLIENT_ERROR for incr/decr of a value that is not a decimal number. */
const NON_NUMERIC = 'cannot increment or decrement non-numeric value';

function readCounter(reader: ReplyReader): CounterReply | null {
  return reader.readCounter();
}

function readOk(reader: ReplyReader): boolean | null {
  return reader.readOk();
}

/** The stats group of a table's `stats_cmd` (checked by table-options.ts against STATS_COMMANDS). */
function statsGroup(command: string): StatsGroup {
  if (
    command === 'items' ||
    command === 'settings' ||
    command === 'slabs' ||
    command === 'sizes' ||
    command === 'conns'
  )
    return command;
  throw new Error('not a stats group: ' + command);
}

const SPACE: Bytes = utf8Encode(' ');

/**
 * The UTF-8 bytes of each key. Full keys hold no space, so the keys joined by spaces are encoded at once and split
 * again at the spaces (UTF-8 writes a space as one byte that no other character's bytes contain); a key holding a
 * space or a lone surrogate is encoded on its own, to fail as it would alone.
 */
function encodeKeys(keys: string[]): Bytes[] {
  try {
    const split = bytesSplit(utf8Encode(keys.join(' ')), SPACE);
    if (split.length === keys.length) return split;
  } catch (error) {
    if (!(error instanceof LoneSurrogateError)) throw error;
  }
  const encoded: Bytes[] = [];
  for (const key of keys) encoded.push(utf8Encode(key));
  return encoded;
}
