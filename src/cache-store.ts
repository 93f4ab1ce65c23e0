// The memcached operations a cache table performs, with every failure turned into an ERROR that names the server
// and the key. A write is a `WriteOp`: sent at once with `apply` (outside a transaction), or collected in a write set
// (write-set.ts) and sent pipelined by a flush (transaction.ts) at COMMIT or at the statement's end.
import { clientFor, StoredItem } from './connections';
import { raiseError } from './errors';
import { quoteForMessage, stripPrefix } from './keys';
import {
  MemcacheClientError,
  MemcacheServerError,
  MemcacheUnexpectedCloseError,
  TransportError,
  type MemcacheClient,
} from './ports/memcache';
import { codePoints, utf8Decode, type Bytes } from './ports/runtime';
import { endpointLabel, type ServerEndpoint } from './table-options';

/** A stat as pymemcache converts it: int, float, bool, or the bytes sent. */
export type StatReading = number | boolean | Bytes;

/** Keys per `get` round trip: long IN lists and joins are split so that one request line stays reasonable. */
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
export type WriteOp = StoreOp | TouchOp | DeleteOp;

/** What to do about a server that does not answer, naming the option that names it (host/port, or servers). */
function reachHint(endpoint: ServerEndpoint): string {
  const where = endpoint.listed ? 'or correct its host:port in the servers option' : 'or point the host and port options at it';
  return 'Check that memcached runs there and accepts connections, ' + where + '; connect_timeout and timeout set how long to wait.';
}

/** memcached answered CLIENT_ERROR to a request the wrapper had checked: most often a server requiring authentication. */
const CLIENT_ERROR_HINT =
  'memcached answers "unauthenticated" when it requires ASCII authentication (memcached -Y), which pymcache_fdw does not ' +
  'send: use a memcached without it. Any other reply is unexpected: report it with the statement and the memcached version.';

/** pymemcache keeps memcached's reply as bytes, which str() shows as b'...': show the reply itself. */
function serverReply(message: string): string {
  const characters = codePoints(message);
  if (characters.length >= 3 && message.startsWith("b'") && message.endsWith("'")) {
    return characters.slice(2, characters.length - 1).join('');
  }
  return message;
}

/** What a client failure means for the user: an ERROR message naming the server and `what` failed, and a HINT. */
export interface FailureReport {
  message: string;
  hint: string | null;
}

/**
 * Describes a client failure during `what` (e.g. `set of key "k"`); null when `error` is not a memcached client or
 * transport failure (a bug, or an ERROR already raised), which the caller re-throws.
 */
export function describeFailure(error: unknown, endpoint: ServerEndpoint, what: string): FailureReport | null {
  const server = endpointLabel(endpoint);
  if (error instanceof MemcacheUnexpectedCloseError) {
    return { message: 'memcached at ' + server + ' closed the connection during ' + what, hint: reachHint(endpoint) };
  }
  if (error instanceof MemcacheServerError) {
    const reply = serverReply(error.message);
    const hint = reply.includes('too large')
      ? "The value is larger than the server's item size limit (memcached -I, 1 MB by default)."
      : 'See the memcached server log for the cause.';
    return { message: 'memcached at ' + server + ' failed the ' + what + ': ' + reply, hint: hint };
  }
  if (error instanceof MemcacheClientError) {
    return {
      message: 'memcached at ' + server + ' rejected the ' + what + ': ' + serverReply(error.message),
      hint: CLIENT_ERROR_HINT,
    };
  }
  if (error instanceof TransportError) {
    return { message: 'cannot reach memcached at ' + server + ' (' + what + '): ' + error.message, hint: reachHint(endpoint) };
  }
  return null;
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

/** The memcached side of one foreign table: its server and the operations, with errors reported. */
export class CacheStore {
  readonly endpoint: ServerEndpoint;
  /** `host:port` of the server (EXPLAIN, errors, and the write set's key for the server), computed once. */
  readonly serverLabel: string;
  /** The table's key prefix: errors name keys as the user wrote them. */
  private readonly prefix: string;
  /** The server's item limits once known (the per-row size check must not cost a lookup by label). */
  private knownLimits: ItemLimits | null;

  constructor(endpoint: ServerEndpoint, prefix: string) {
    this.endpoint = endpoint;
    this.serverLabel = endpointLabel(endpoint);
    this.prefix = prefix;
    this.knownLimits = null;
  }

  /** The user's key for a full key (the prefix stripped), for messages. */
  userKey(fullKey: string): string {
    const key = stripPrefix(this.prefix, fullKey);
    return key === null ? fullKey : key;
  }

  private client(): MemcacheClient<StoredItem> {
    return clientFor(this.endpoint);
  }

  /**
   * The items found for `keys` (full keys), one `get` round trip per KEYS_PER_GET keys. A failed request goes to
   * `readFailed`, which raises the ERROR (or, in ServerStore under on_server_error miss, returns what was found).
   */
  async getMany(keys: string[]): Promise<Map<string, StoredItem>> {
    const client = clientFor(this.endpoint);
    if (keys.length <= KEYS_PER_GET) {
      // One request (every lookup of up to 500 keys): the client's answer is the result, with no slice or copy.
      let answer: Map<string, StoredItem>;
      try {
        answer = await client.getMany(keys);
      } catch (error) {
        return this.readFailed(error, keys, new Map<string, StoredItem>());
      }
      this.readSucceeded();
      return answer;
    }
    const found: Map<string, StoredItem> = new Map<string, StoredItem>();
    for (let start = 0; start < keys.length; start += KEYS_PER_GET) {
      const chunk = keys.slice(start, start + KEYS_PER_GET);
      let items: Map<string, StoredItem>;
      try {
        items = await client.getMany(chunk);
      } catch (error) {
        return this.readFailed(error, chunk, found);
      }
      for (const [key, item] of items) {
        found.set(key, item);
      }
    }
    this.readSucceeded();
    return found;
  }

  /**
   * A `get` of `chunk` failed: an ERROR naming the server (and the key, for one key). `found` holds the items of the
   * requests before it, for an override that reads the rest as misses.
   */
  protected readFailed(error: unknown, chunk: string[], found: Map<string, StoredItem>): Map<string, StoredItem> {
    return raiseFailure(error, this.endpoint, operationText('get', chunk.length === 1 ? this.userKey(chunk[0]!) : null));
  }

  /** Every `get` of a read was answered (ServerStore notes that the server is up). */
  protected readSucceeded(): void {}

  /**
   * Sends one write and returns memcached's answer: stored (set, add), touched, deleted. False means add found the
   * key already there, or touch/delete did not find it.
   */
  async apply(op: WriteOp): Promise<boolean> {
    const client = this.client();
    try {
      if (op.kind === 'delete') return await client.delete(op.key, false);
      if (op.kind === 'touch') return await client.touch(op.key, op.expire, false);
      if (op.kind === 'add') return await client.add(op.key, op.item, op.expire, false);
      return await client.set(op.key, op.item, op.expire, false);
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
    const known = knownItemLimits.get(this.serverLabel);
    if (known !== undefined) {
      this.knownLimits = known;
      return known;
    }
    const settings = await this.stats('settings');
    let itemSizeMax = DEFAULT_ITEM_SIZE_MAX;
    let casEnabled = true;
    for (const [name, value] of settings) {
      const setting = utf8Decode(name);
      if (typeof value === 'number' && setting === 'item_size_max') itemSizeMax = value;
      // pymemcache 3.5 leaves cas_enabled as the bytes memcached sent (yes/no).
      if (setting === 'cas_enabled') {
        if (typeof value === 'boolean') {
          casEnabled = value;
        } else if (typeof value !== 'number') {
          casEnabled = utf8Decode(value) !== 'no';
        }
      }
    }
    const limits = new ItemLimits(itemSizeMax, ITEM_HEADER_BYTES + (casEnabled ? ITEM_CAS_BYTES : 0));
    knownItemLimits.set(this.serverLabel, limits);
    this.knownLimits = limits;
    return limits;
  }

  // The pipelined sends of a flush. Client failures propagate as they are: the flush knows which keys were in
  // flight and reports them all in one ERROR.

  /** `add` of one item; false when the key exists. */
  async addOne(op: StoreOp): Promise<boolean> {
    return await this.client().add(op.key, op.item, op.expire, false);
  }

  /** `set` of every item with one expiration, pipelined in one round trip; returns the keys memcached did not store. */
  async setPipelined(items: Map<string, StoredItem>, expire: number): Promise<string[]> {
    return await this.client().setMany(items, expire, false);
  }

  /** `delete` of every key, pipelined in one round trip. */
  async deletePipelined(keys: string[]): Promise<void> {
    await this.client().deleteMany(keys, false);
  }

  /**
   * `touch` of one key, acknowledged (never noreply: a NOT_FOUND must not be lost); false when memcached no longer
   * holds the key. pymemcache has no touch_many, so a flush sends one touch per key and waits for each answer.
   */
  async touchOne(key: string, expire: number): Promise<boolean> {
    return await this.client().touch(key, expire, false);
  }

  /** memcached's `stats` (with an optional argument such as `settings`), converted the way pymemcache converts it. */
  async stats(command: string): Promise<Map<Bytes, StatReading>> {
    const client = this.client();
    try {
      if (command === '') return await client.stats();
      return await client.stats(command);
    } catch (error) {
      return raiseFailure(error, this.endpoint, command === '' ? 'stats' : 'stats ' + command);
    }
  }
}
