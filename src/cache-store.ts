// The memcached operations a cache table performs, with every failure turned into an ERROR that names the server
// and the key. Writes go through `apply(WriteOp)`, one small interface, so that a transaction can later collect them
// in a write set and send them at commit instead of at once.
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
import { codePoints, type Bytes } from './ports/runtime';
import { endpointLabel, type ServerEndpoint } from './table-options';

/** A stat as pymemcache converts it: int, float, bool, or the bytes sent. */
export type StatReading = number | boolean | Bytes;

/** Keys per `get` round trip: long IN lists and joins are split so that one request line stays reasonable. */
export const KEYS_PER_GET = 500;

/** What a write does: store (set/add), change only the expiration (touch), or remove (delete). */
export type WriteKind = 'set' | 'add' | 'touch' | 'delete';

/** One write to memcached: `key` is the full (prefixed, validated) key; `item` is null for touch and delete. */
export interface WriteOp {
  kind: WriteKind;
  key: string;
  item: StoredItem | null;
  /** What memcached is sent (already converted past 30 days), for set, add and touch. */
  expire: number;
}

const REACH_HINT =
  'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout and timeout set how long to wait.';

/** pymemcache keeps memcached's reply as bytes, which str() shows as b'...': show the reply itself. */
function serverReply(message: string): string {
  const characters = codePoints(message);
  if (characters.length >= 3 && message.startsWith("b'") && message.endsWith("'")) {
    return characters.slice(2, characters.length - 1).join('');
  }
  return message;
}

/** Turns a client failure into an ERROR naming the server, the operation and the key. */
function reportFailure(error: unknown, endpoint: ServerEndpoint, action: string, key: string | null): never {
  const server = endpointLabel(endpoint);
  const what = key === null ? action : action + ' of key ' + quoteForMessage(key);
  if (error instanceof MemcacheUnexpectedCloseError) {
    raiseError('memcached at ' + server + ' closed the connection during ' + what, REACH_HINT);
  }
  if (error instanceof MemcacheServerError) {
    const reply = serverReply(error.message);
    const hint = reply.includes('too large')
      ? "The value is larger than the server's item size limit (memcached -I, 1 MB by default)."
      : 'See the memcached server log for the cause.';
    raiseError('memcached at ' + server + ' failed the ' + what + ': ' + reply, hint);
  }
  if (error instanceof MemcacheClientError) {
    raiseError('memcached at ' + server + ' rejected the ' + what + ': ' + serverReply(error.message));
  }
  if (error instanceof TransportError) {
    raiseError('cannot reach memcached at ' + server + ' (' + what + '): ' + error.message, REACH_HINT);
  }
  if (error instanceof Error) throw error;
  throw new Error('unexpected failure during the ' + what);
}

/** The memcached side of one foreign table: its server and the operations, with errors reported. */
export class CacheStore {
  readonly endpoint: ServerEndpoint;
  /** The table's key prefix: errors name keys as the user wrote them. */
  private readonly prefix: string;

  constructor(endpoint: ServerEndpoint, prefix: string) {
    this.endpoint = endpoint;
    this.prefix = prefix;
  }

  /** The user's key for a full key (the prefix stripped), for messages. */
  private userKey(fullKey: string): string {
    const key = stripPrefix(this.prefix, fullKey);
    return key === null ? fullKey : key;
  }

  /** `host:port` of the server (EXPLAIN, errors). */
  get serverLabel(): string {
    return endpointLabel(this.endpoint);
  }

  private client(): MemcacheClient<StoredItem> {
    return clientFor(this.endpoint);
  }

  /** The items found for `keys` (full keys), one `get` round trip per KEYS_PER_GET keys. */
  async getMany(keys: string[]): Promise<Map<string, StoredItem>> {
    const found: Map<string, StoredItem> = new Map<string, StoredItem>();
    const client = this.client();
    for (let start = 0; start < keys.length; start += KEYS_PER_GET) {
      const chunk = keys.slice(start, start + KEYS_PER_GET);
      let items: Map<string, StoredItem>;
      try {
        items = await client.getMany(chunk);
      } catch (error) {
        reportFailure(error, this.endpoint, 'get', chunk.length === 1 ? this.userKey(chunk[0]!) : null);
      }
      for (const [key, item] of items) {
        found.set(key, item);
      }
    }
    return found;
  }

  /**
   * Sends one write and returns memcached's answer: stored (set, add), touched, deleted. False means add found the
   * key already there, or touch/delete did not find it.
   */
  async apply(op: WriteOp): Promise<boolean> {
    const client = this.client();
    try {
      if (op.kind === 'set') return await client.set(op.key, op.item!, op.expire, false);
      if (op.kind === 'add') return await client.add(op.key, op.item!, op.expire, false);
      if (op.kind === 'touch') return await client.touch(op.key, op.expire, false);
      return await client.delete(op.key, false);
    } catch (error) {
      return reportFailure(error, this.endpoint, op.kind, this.userKey(op.key));
    }
  }

  /** memcached's `stats` (with an optional argument such as `settings`), converted the way pymemcache converts it. */
  async stats(command: string): Promise<Map<Bytes, StatReading>> {
    const client = this.client();
    try {
      if (command === '') return await client.stats();
      return await client.stats(command);
    } catch (error) {
      return reportFailure(error, this.endpoint, command === '' ? 'stats' : 'stats ' + command, null);
    }
  }
}
