// The function API of the pymcache_fdw extension: memcache_get, memcache_set, memcache_incr, ... (pgmemcache's names)
// on the cache table named by the setting pymcache_fdw.default_table. The extension's C functions (extension/src/)
// resolve the table, merge its options as Multicorn does, and call `functionsFor` once per table; every call then
// goes to a method of the CacheFunctions it returned. The table's PymcacheFDW instance does the work, through the
// checks and the write path of INSERT, UPDATE and DELETE: writes wait in the backend's write set until COMMIT (unless
// the table's write_mode is immediate), ROLLBACK and ROLLBACK TO SAVEPOINT drop them, and reads see them.
//
// A function call is a statement of its own: its write joins the transaction's write set when the call returns, so
// the next call (even in the same SQL statement) sees it. The extension forwards PostgreSQL's transaction and
// subtransaction events here (preCommit, commit, rollback, subCommit, subRollback) when functions were used in the
// transaction: a transaction may use only functions, and then no Multicorn instance hears them. The hooks of the
// write set are idempotent, so Multicorn calling them as well is harmless.
import type { StoredItem, WriteOp } from './cache-store';
import { raiseError } from './errors';
import { PymcacheFDW } from './fdw';
import { quoteForMessage } from './keys';
import { OptionError, parseServerList, type ServerAddress } from './options';
import type { ColumnDefinition } from './ports/host';
import {
  bytesConcat,
  intToString,
  InvalidUtf8Error,
  nowSeconds,
  parseDecimalInt,
  sortedStrings,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
  type Bytes,
} from './ports/runtime';
import { LATEST_EXPIRATION, LATEST_EXPIRATION_TEXT } from './table-options';
import { abandonTransaction, sendAtCommit, sendAtPreCommit, transactionWrites } from './transaction';
import { memcachedExpire } from './values';

/** The largest value a bigint holds: a counter memcached holds beyond it cannot be returned. */
const MAX_BIGINT_TEXT = '9223372036854775807';
/** memcached's default port, for memcache_server_add('host') as pgmemcache reads it. */
const DEFAULT_PORT_TEXT = '11211';
/** The statistics memcache_stats shows for each server, in pgmemcache's order. */
const SHOWN_STATS: string[] = [
  'pid',
  'uptime',
  'time',
  'version',
  'pointer_size',
  'rusage_user',
  'rusage_system',
  'curr_items',
  'total_items',
  'bytes',
  'curr_connections',
  'total_connections',
  'connection_structures',
  'cmd_get',
  'cmd_set',
  'get_hits',
  'get_misses',
  'evictions',
  'bytes_read',
  'bytes_written',
  'limit_maxbytes',
  'threads',
];

/** The five storage commands of the function API. */
export type StoreCommand = 'set' | 'add' | 'replace' | 'append' | 'prepend';

/** Whether `text` is memcached's counter text: ASCII digits, then the spaces a `decr` that shortened it left. */
function counterText(value: Bytes): string | null {
  let text: string;
  try {
    text = utf8Decode(value);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) return null;
    throw error;
  }
  const digits = text.trimEnd();
  if (parseDecimalInt(digits) === null || digits.startsWith('-') || digits.startsWith('+')) return null;
  return digits;
}

/** The new value of a counter at `value` after `kind` by `delta`: memcached's incr wraps at 2^64, decr stops at 0. */
function counted(kind: 'incr' | 'decr', value: number, delta: number): number {
  if (kind === 'decr') return value > delta ? value - delta : 0;
  return value + delta;
}

/** Whether the decimal text of an unsigned number is larger than a bigint holds. */
function beyondBigint(text: string): boolean {
  const digits = utf8ByteLength(text);
  const limit = utf8ByteLength(MAX_BIGINT_TEXT);
  return (
    digits > limit ||
    (digits === limit && text !== MAX_BIGINT_TEXT && sortedStrings([text, MAX_BIGINT_TEXT])[0] === MAX_BIGINT_TEXT)
  );
}

/** `host:port[:weight]` as an option value lists a server. */
function addressText(address: ServerAddress): string {
  const text = address.host + ':' + intToString(address.port);
  return address.weight === 1 ? text : text + ':' + intToString(address.weight);
}

/**
 * The function API on one cache table: its PymcacheFDW instance, built with the table's merged options and columns
 * exactly as Multicorn builds it (so every option is checked the same way), and where the table stands in the
 * backend's transaction.
 */
export class CacheFunctions {
  readonly table: PymcacheFDW;
  /** The options and columns the instance was built with, as the extension summarizes them: a change rebuilds it. */
  readonly signature: string;
  /** The table as SQL names it (schema-qualified, quoted where needed), for messages. */
  readonly tableName: string;
  /** The table's foreign server, for messages. */
  readonly serverName: string;
  /** The options set on the server itself (the others come from the table), for memcache_server_add's HINT. */
  readonly serverOptionNames: string[];
  /** The savepoint level the table has joined: 0 outside a transaction, 1 in it, n in savepoint level n. */
  level: number;
  /** The extension's count of the backend's transactions when the table was last used (0: never). */
  private generation: number;

  constructor(
    options: Record<string, string>,
    columns: Map<string, ColumnDefinition>,
    signature: string,
    tableName: string,
    serverName: string,
    serverOptionNames: string[],
  ) {
    this.table = new PymcacheFDW(options, columns);
    this.signature = signature;
    this.tableName = tableName;
    this.serverName = serverName;
    this.serverOptionNames = serverOptionNames;
    this.level = 0;
    this.generation = 0;
  }

  /**
   * Joins the backend's transaction at `level` (PostgreSQL's nesting level); `serializable` is 1 under SERIALIZABLE.
   * `generation` counts the backend's transactions (the extension adds one at every COMMIT and ABORT): a table first
   * used in this transaction begins it, even when the transaction before only read and was not forwarded here.
   */
  private enter(level: number, serializable: number, generation: number): void {
    this.table.joinTransaction(serializable, level, generation !== this.generation);
    this.generation = generation;
    this.level = level;
  }

  /** What memcached is sent as the expiration of `key`: `expire` seconds from now (absolute: a unix time), else the table's. */
  private expireFor(key: string, expire: number | null, absolute: boolean): number {
    if (expire === null) return memcachedExpire(this.table.tableOptions.expire, key);
    if (!absolute) return memcachedExpire(expire, key);
    if (expire <= nowSeconds()) {
      return raiseError(
        'the expiration of key ' + quoteForMessage(key) + ' is in the past',
        'Give a timestamp in the future, or memcache_delete the key to remove it.',
      );
    }
    if (expire > LATEST_EXPIRATION) {
      return raiseError(
        'the expiration of key ' +
          quoteForMessage(key) +
          ' is after ' +
          LATEST_EXPIRATION_TEXT +
          ', the latest memcached can hold',
        "Give an earlier timestamp, or no expiration (the item then lives as long as the table's expire option says).",
      );
    }
    return expire;
  }

  /**
   * The item `key` holds as this transaction sees it (its pending write first, then memcached), or null; `withFacts`:
   * with its remaining TTL (a meta get), where the server tells it.
   */
  private async itemOf(key: string, fullKey: string, withFacts: boolean = false): Promise<StoredItem | null> {
    const found = await this.table.serverPool.readThrough(transactionWrites, [fullKey], withFacts);
    const item = found.get(fullKey);
    return item === undefined ? null : item;
  }

  /** memcache_get_bytea(key): the bytes `key` holds as this transaction sees it, or null (a miss). */
  async get(key: string, level: number, serializable: number, generation: number): Promise<Bytes | null> {
    this.enter(level, serializable, generation);
    const fullKey = this.table.memcachedKey(key);
    const item = await this.itemOf(key, fullKey);
    return item === null ? null : item.value;
  }

  /** memcache_get(key): the value as text; bytes that are not UTF-8 text are an ERROR naming the key. */
  async getText(key: string, level: number, serializable: number, generation: number): Promise<string | null> {
    const value = await this.get(key, level, serializable, generation);
    return value === null ? null : this.textOf(key, value);
  }

  private textOf(key: string, value: Bytes): string {
    let text: string;
    try {
      text = utf8Decode(value);
    } catch (error) {
      if (error instanceof InvalidUtf8Error) {
        return raiseError(
          'the value of key ' + quoteForMessage(key) + ' is not valid UTF-8 and cannot be read as text',
          'Read it with memcache_get_bytea(key), which returns the bytes as stored.',
          error.message,
        );
      }
      throw error;
    }
    if (text.includes('\u0000')) {
      raiseError(
        'the value of key ' + quoteForMessage(key) + ' contains a NUL byte, which text cannot hold',
        'Read it with memcache_get_bytea(key), which returns the bytes as stored.',
      );
    }
    return text;
  }

  /**
   * memcache_get_multi(keys): (key, value) of every key that holds a value, in the order given (a key listed twice
   * gives two rows, as pgmemcache does); one request per server. `asText` decodes the values as memcache_get does.
   */
  async getMulti(
    keys: string[],
    asText: boolean,
    level: number,
    serializable: number,
    generation: number,
  ): Promise<Array<[string, Bytes | string]>> {
    this.enter(level, serializable, generation);
    const fullKeys: string[] = [];
    for (const key of keys) fullKeys.push(this.table.memcachedKey(key));
    const found = await this.table.serverPool.readThrough(transactionWrites, fullKeys);
    const rows: Array<[string, Bytes | string]> = [];
    for (let i = 0; i < keys.length; i++) {
      const item = found.get(fullKeys[i]!);
      if (item === undefined) continue;
      const key = keys[i]!;
      rows.push([key, asText ? this.textOf(key, item.value) : item.value]);
    }
    return rows;
  }

  /**
   * memcache_set, memcache_add, memcache_replace, memcache_append, memcache_prepend of `value` (bytes) under `key`.
   * `expire`: seconds from now, or with `absolute` a unix time; null for the table's expire option. add finds the key
   * existing, replace, append and prepend find it missing (as this transaction sees it): false, and nothing is written.
   */
  async store(
    command: StoreCommand,
    key: string,
    value: Bytes,
    expire: number | null,
    absolute: boolean,
    level: number,
    serializable: number,
    generation: number,
  ): Promise<boolean> {
    this.enter(level, serializable, generation);
    const fullKey = this.table.memcachedKey(key);
    const sent = this.expireFor(key, expire, absolute);
    if (command === 'set' || command === 'add' || command === 'replace') {
      if (command !== 'set') {
        const exists = await this.table.existsInTransaction(key, fullKey);
        if (exists !== (command === 'replace')) return false;
      }
      const item: StoredItem = { value: value, flags: 0, cas: null, facts: null };
      await this.table.checkValueSize(key, fullKey, item);
      const op: WriteOp = { kind: command === 'add' ? 'add' : 'set', key: fullKey, item: item, expire: sent };
      await this.table.writeAsStatement(op, key);
      return true;
    }
    if (this.table.tableOptions.writeMode === 'immediate') {
      return await this.table.serverPool.storeFor(fullKey).appendNow(command, fullKey, value);
    }
    // Under write_mode commit the joined value is computed now, from the value as this transaction sees it, and written
    // at COMMIT as a compare-and-swap against the item read (over a value this transaction has pending, as a set): an
    // append another client makes in between fails the COMMIT instead of being overwritten. The item keeps the
    // expiration it has, as memcached's append keeps it; where the server does not tell the TTL (a proxy refusing
    // meta commands), `sent` stands in (docs/functions.md).
    const current = await this.itemOf(key, fullKey, true);
    if (current === null) return false;
    const joined = command === 'append' ? bytesConcat([current.value, value]) : bytesConcat([value, current.value]);
    const joinedItem: StoredItem = { value: joined, flags: current.flags, cas: null, facts: null };
    await this.table.checkValueSize(key, fullKey, joinedItem);
    const ttl = current.facts === null ? null : current.facts.ttl;
    const kept = ttl === null ? sent : ttl < 0 ? 0 : memcachedExpire(ttl, key);
    const cas = current.cas;
    if (cas === null) {
      await this.table.writeAsStatement({ kind: 'set', key: fullKey, item: joinedItem, expire: kept }, key);
    } else {
      await this.table.writeAsStatement({ kind: 'cas', key: fullKey, item: joinedItem, expire: kept, cas: cas }, key);
    }
    return true;
  }

  /**
   * memcache_delete(key[, hold]): the key is deleted (at COMMIT, under write_mode commit); true when it existed as this
   * transaction sees it. `holdSeconds` other than 0 is an ERROR: memcached 1.4 dropped delete hold times.
   */
  async delete(
    key: string,
    holdSeconds: number,
    level: number,
    serializable: number,
    generation: number,
  ): Promise<boolean> {
    this.enter(level, serializable, generation);
    const fullKey = this.table.memcachedKey(key);
    if (holdSeconds !== 0) {
      raiseError(
        'memcache_delete of key ' +
          quoteForMessage(key) +
          ' with a hold time of ' +
          intToString(holdSeconds) +
          ' seconds: memcached 1.4 and later cannot hold a deleted key',
        "Call memcache_delete(key) without a hold time, or with interval '0'.",
      );
    }
    const existed = await this.table.existsInTransaction(key, fullKey);
    await this.table.writeAsStatement({ kind: 'delete', key: fullKey }, key);
    return existed;
  }

  /** memcache_touch(key, expire): a new expiration for a key that exists as this transaction sees it (else false). */
  async touch(
    key: string,
    expire: number,
    absolute: boolean,
    level: number,
    serializable: number,
    generation: number,
  ): Promise<boolean> {
    this.enter(level, serializable, generation);
    const fullKey = this.table.memcachedKey(key);
    const sent = this.expireFor(key, expire, absolute);
    if (!(await this.table.existsInTransaction(key, fullKey))) return false;
    await this.table.writeAsStatement({ kind: 'touch', key: fullKey, expire: sent }, key);
    return true;
  }

  /**
   * memcache_incr / memcache_decr(key, delta): memcached's atomic counter, applied at once (like nextval(), a ROLLBACK
   * does not undo it); the new value as decimal text, or null when the key does not exist. A negative delta counts
   * the other way, as pgmemcache does. A key this transaction has a pending value for is counted in the write set
   * instead (memcached holds another value until COMMIT), and that write still waits for COMMIT.
   */
  async counter(
    kind: 'incr' | 'decr',
    key: string,
    delta: number,
    level: number,
    serializable: number,
    generation: number,
  ): Promise<string | null> {
    this.enter(level, serializable, generation);
    const fullKey = this.table.memcachedKey(key);
    let direction = kind;
    let amount = delta;
    if (delta < 0) {
      direction = kind === 'incr' ? 'decr' : 'incr';
      amount = -delta;
    }
    const store = this.table.serverPool.storeFor(fullKey);
    const pendingWrite = transactionWrites.effective(store, fullKey);
    const pending = pendingWrite === null ? null : pendingWrite.op;
    if (pending !== null && pending.kind === 'delete') return null;
    // Any pending value (a set, an add, the compare-and-swap of an append) is what this transaction sees: counted
    // here, and recorded as a set, which the write set composes with the pending write (an add stays an add, a
    // compare-and-swap keeps the token of its read). A pending touch holds no value: memcached's item is counted.
    if (pending !== null && pending.kind !== 'touch') {
      const text = counterText(pending.item.value);
      const value = text === null ? null : parseDecimalInt(text);
      if (value === null) {
        return raiseError(
          'cannot ' +
            direction +
            ' key ' +
            quoteForMessage(key) +
            ': the value this transaction wrote is not a decimal number',
          'memcached counts only values that are unsigned decimal integers: memcache_set the key to a number first.',
        );
      }
      const counterValue = intToString(counted(direction, value, amount));
      const item: StoredItem = {
        value: utf8Encode(counterValue),
        flags: pending.item.flags,
        cas: null,
        facts: null,
      };
      const op: WriteOp = { kind: 'set', key: fullKey, item: item, expire: pending.expire };
      await this.table.writeAsStatement(op, key);
      return counterValue;
    }
    const result = await store.counter(direction, fullKey, intToString(amount));
    if (result !== null && beyondBigint(result)) {
      raiseError(
        'the counter of key ' +
          quoteForMessage(key) +
          ' in memcached at ' +
          store.serverLabel +
          ' is ' +
          result +
          ', more than a bigint holds',
        'memcached counters are unsigned 64-bit numbers; memcache_' +
          direction +
          ' returns a bigint: memcache_set the key to a smaller number.',
      );
    }
    return result;
  }

  /**
   * memcache_flush_all(): memcached's flush_all on every server of the table, at once. memcached empties the whole
   * server, so a table with a prefix (a key group sharing the servers with others) refuses it.
   */
  async flushAll(level: number, serializable: number, generation: number): Promise<boolean> {
    this.enter(level, serializable, generation);
    const prefix = this.table.tableOptions.prefix;
    if (prefix !== '') {
      raiseError(
        'memcache_flush_all on ' +
          this.tableName +
          ' would empty its servers of every key, not only those with the prefix ' +
          quoteForMessage(prefix),
        'memcached flushes whole servers. Point pymcache_fdw.default_table at a cache table without a prefix to flush them, ' +
          'or delete the keys of the prefix one by one.',
      );
    }
    for (const store of this.table.serverPool.stores) await store.flushAll();
    return true;
  }

  /** memcache_stats(): per server `Server: host (port)`, then `name: value` lines, then an empty line (pgmemcache's layout). */
  async stats(level: number, serializable: number, generation: number): Promise<string> {
    this.enter(level, serializable, generation);
    const lines: string[] = [];
    for (const server of await this.table.serverPool.statsOfEachServer('')) {
      lines.push('Server: ' + server.endpoint.host + ' (' + intToString(server.endpoint.port) + ')');
      const values: Map<string, string> = new Map<string, string>();
      for (const [name, value] of server.stats) values.set(name, value);
      for (const name of SHOWN_STATS) {
        const shown = values.get(name);
        if (shown !== undefined) lines.push(name + ': ' + shown);
      }
      lines.push('');
    }
    return lines.join('\n') + '\n';
  }

  /**
   * memcache_server_add('host[:port[:weight]]'): the servers are the table's `servers` (or `host` and `port`) option,
   * so a server already listed answers true, and any other is an ERROR whose HINT gives the ALTER statement that adds
   * it for every session.
   */
  serverAdd(spec: string): boolean {
    const trimmed = spec.trim();
    const withPort = trimmed.includes(':') ? trimmed : trimmed + ':' + DEFAULT_PORT_TEXT;
    let wanted: ServerAddress;
    try {
      wanted = parseServerList('server', withPort)[0]!;
    } catch (error) {
      if (error instanceof OptionError) {
        return raiseError(
          'memcache_server_add(' + quoteForMessage(spec) + '): ' + error.message,
          'Give one server as host, host:port or host:port:weight.',
        );
      }
      throw error;
    }
    const settings = this.table.tableOptions.servers;
    const listed: string[] = [];
    for (const address of settings.addresses) {
      if (address.host.toLowerCase() === wanted.host.toLowerCase() && address.port === wanted.port) return true;
      listed.push(addressText(address));
    }
    listed.push(addressText(wanted));
    const value = "'" + listed.join(',').replaceAll("'", "''") + "'";
    const onServer =
      this.serverOptionNames.includes('servers') ||
      (!settings.listed && (this.serverOptionNames.includes('host') || this.serverOptionNames.includes('port')));
    const target = onServer ? 'ALTER SERVER ' + this.serverName : 'ALTER FOREIGN TABLE ' + this.tableName;
    let statement: string;
    if (settings.listed) {
      statement = target + ' OPTIONS (SET servers ' + value + ');';
    } else {
      const drops: string[] = [];
      for (const name of ['host', 'port']) {
        const here = onServer ? this.serverOptionNames.includes(name) : !this.serverOptionNames.includes(name);
        if (here) drops.push('DROP ' + name);
      }
      drops.push('ADD servers ' + value);
      statement = target + ' OPTIONS (' + drops.join(', ') + ');';
    }
    return raiseError(
      'memcache_server_add(' +
        quoteForMessage(spec) +
        ') cannot add a server for this session only: the servers of ' +
        this.tableName +
        ' are its options',
      'Add it to the table for every session (keep the order your application lists the servers in): ' + statement,
    );
  }
}

/** The function API's tables, by the foreign table's OID. */
const tables: Map<number, CacheFunctions> = new Map<number, CacheFunctions>();

/**
 * The function API on table `tableId`, built with its merged options and columns; the instance of an earlier call is
 * kept while `signature` (a summary of the options and columns) is the same, and rebuilt when it changed.
 */
export function functionsFor(
  tableId: number,
  signature: string,
  options: Record<string, string>,
  columns: Map<string, ColumnDefinition>,
  tableName: string,
  serverName: string,
  serverOptionNames: string[],
): CacheFunctions {
  const known = tables.get(tableId);
  if (
    known !== undefined &&
    known.signature === signature &&
    known.tableName === tableName &&
    known.serverName === serverName
  ) {
    return known;
  }
  const built = new CacheFunctions(options, columns, signature, tableName, serverName, serverOptionNames);
  tables.set(tableId, built);
  return built;
}

/** The tables that joined the current transaction. */
function joined(): CacheFunctions[] {
  const result: CacheFunctions[] = [];
  for (const functions of tables.values()) {
    if (functions.level > 0) result.push(functions);
  }
  return result;
}

/** PRE_COMMIT: the write set goes to memcached (a failure is an ERROR that aborts the COMMIT). */
export async function preCommit(): Promise<void> {
  await sendAtPreCommit();
}

/** COMMIT: under SERIALIZABLE the writes go now; nothing stays pending. Never raises. */
export async function commit(): Promise<void> {
  for (const functions of joined()) {
    functions.level = 0;
    await functions.table.commit();
  }
  await sendAtCommit();
}

/** ABORT: the pending writes are dropped, those sent before the abort deleted again. Never raises. */
export async function rollback(): Promise<void> {
  for (const functions of joined()) {
    functions.level = 0;
    await functions.table.rollback();
  }
  await abandonTransaction();
}

/** RELEASE SAVEPOINT at `level`: the writes made since stay pending, in the enclosing level. */
export function subCommit(level: number): void {
  for (const functions of joined()) {
    if (functions.level < level) continue;
    functions.table.subCommit(level);
    functions.level = level - 1;
  }
}

/** ROLLBACK TO SAVEPOINT (or a failed subtransaction) at `level`: the writes made since are dropped. */
export function subRollback(level: number): void {
  for (const functions of joined()) {
    if (functions.level < level) continue;
    functions.table.subRollback(level);
    functions.level = level - 1;
  }
}
