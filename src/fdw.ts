// PymcacheFDW: a foreign table whose rows are memcached items (key, value, expire, flags). Multicorn builds one
// instance per table per backend; every option is checked here, once, in the constructor.
import { resolveCacheLayout, type CacheTableLayout } from './columns';
import { ITEM_FLAGS_BYTES, type StoredItem, type StoreOp, type WriteOp } from './cache-store';
import { raiseError, warn } from './errors';
import { InvalidKeyError, KEY_HINT, MAX_KEY_BYTES, plainFullKey, plainFullKeys, prefixedKey, quoteForMessage, validateKey } from './keys';
import { guardTransaction, type GuardStatus } from './ports/backend';
import { ForeignDataWrapper, type ColumnDefinition, type Qual, type SortKey } from './ports/host';
import { intToString, utf8ByteLength, type Bytes } from './ports/runtime';
import { lookupKeys } from './quals';
import { ServerPool } from './server-pool';
import { OPTION_HINT, parseCacheTableOptions, type CacheTableOptions } from './table-options';
import {
  abandonTransaction,
  beginTransaction,
  foldStatement,
  releaseLevel,
  rollbackToLevel,
  sendAtCommit,
  sendAtPreCommit,
  sendStatement,
  statementOpened,
  transactionWrites,
  warnVanishedTouches,
} from './transaction';
import { StatementWrites } from './write-set';
import {
  checkedFlags,
  decodeValue,
  decodeValueIfReadable,
  flagsIfReadable,
  encodeValue,
  flagsColumnValue,
  integerColumnValue,
  memcachedExpire,
  type SqlRow,
  type SqlValue,
} from './values';

/**
 * Rows the planner is told a scan without a key condition returns. Such a scan fetches nothing (memcached cannot list
 * its keys here), so it must look costly enough that a join on the key always prefers key lookups.
 */
export const NO_KEY_ROWS_ESTIMATE = 1000000;
/**
 * Average width in bytes the planner assumes per column asked for: PostgreSQL's own guess for a text column it has
 * no statistics for (get_typavgwidth). Multicorn costs a path as rows * width, so this also sets the cost: at 64 a
 * 1,000-key lookup of two columns cost 128,000, over jit_above_cost, and every execution paid a JIT compile (~3 ms)
 * for a scan that evaluates almost nothing.
 */
const COLUMN_WIDTH = 32;

function sameBytes(left: Bytes, right: Bytes): boolean {
  if (left.length !== right.length) return false;
  for (let i = 0; i < left.length; i++) {
    if (left[i]! !== right[i]!) return false;
  }
  return true;
}

export class PymcacheFDW extends ForeignDataWrapper {
  private readonly settings: CacheTableOptions;
  private readonly layout: CacheTableLayout;
  /** The table's servers: which one holds each key, and what a statement does when one does not answer. */
  private readonly servers: ServerPool;
  /** Items the latest scan returned, by key: an UPDATE that leaves the value alone becomes a `touch`. */
  private scanned: Map<string, StoredItem>;
  /** Where Multicorn's transaction hooks left this instance: 0 outside a transaction, 1 in it, n in savepoint level n. */
  private transactionLevel: number;
  /** The writes of the statement running through this table, applied together when it ends (end_modify). */
  private readonly statement: StatementWrites;
  /** Whether the backend's transaction guard covers the current transaction (set by begin). */
  private guard: GuardStatus;

  constructor(fdwOptions: Record<string, string>, fdwColumns: Map<string, ColumnDefinition>) {
    super(fdwOptions, fdwColumns);
    this.settings = parseCacheTableOptions(fdwOptions);
    if (this.settings.prefix !== '') {
      try {
        validateKey(this.settings.prefix);
      } catch (error) {
        if (error instanceof InvalidKeyError) {
          raiseError('invalid value ' + quoteForMessage(this.settings.prefix) + ' for option "prefix": ' + error.reason, OPTION_HINT);
        }
        throw error;
      }
    }
    this.layout = resolveCacheLayout(fdwColumns, this.settings.rowId);
    this.servers = new ServerPool(this.settings.servers, this.settings.prefix);
    this.scanned = new Map<string, StoredItem>();
    this.transactionLevel = 0;
    this.statement = new StatementWrites();
    this.guard = 'outside-backend';
  }

  override get rowidColumn(): string {
    return this.layout.keyColumn;
  }

  override getRelSize(quals: Qual[], columns: Set<string>): [number, number] {
    const keys = lookupKeys(quals, this.layout.keyColumn);
    const asked = columns.size;
    const width = COLUMN_WIDTH * (asked > 0 ? asked : 1);
    if (keys === null) return [NO_KEY_ROWS_ESTIMATE, width];
    return [keys.length, width];
  }

  /** A join or parameter on the key column is a lookup returning at most one row per outer row. */
  override getPathKeys(): Array<[string[], number]> {
    return [[[this.layout.keyColumn], 1]];
  }

  override explain(quals: Qual[], columns: Set<string>, sortkeys: SortKey[] | null = null, verbose = false): string[] {
    const lines: string[] = [this.servers.describeServers()];
    if (this.settings.prefix !== '') lines.push('key prefix ' + quoteForMessage(this.settings.prefix));
    const keys = lookupKeys(quals, this.layout.keyColumn);
    if (keys === null) {
      lines.push('no key condition: no rows (a full scan of memcached is not available)');
    } else {
      const fullKeys: string[] = [];
      for (const key of keys) fullKeys.push(this.settings.prefix + key);
      lines.push(this.servers.describeLookup(fullKeys));
    }
    return lines;
  }

  /** The memcached key for a SQL key: prefixed and validated; an invalid one is an ERROR naming it. */
  private fullKey(key: string): string {
    try {
      return prefixedKey(this.settings.prefix, key);
    } catch (error) {
      if (error instanceof InvalidKeyError) raiseError(error.message, KEY_HINT);
      throw error;
    }
  }

  override async *execute(
    quals: Qual[],
    columns: Set<string>,
    sortkeys: SortKey[] | null = null,
  ): AsyncGenerator<SqlRow, void, undefined> {
    this.scanned = new Map<string, StoredItem>();
    const keys = lookupKeys(quals, this.layout.keyColumn);
    if (keys === null) {
      warn(
        'no condition on the key column "' + this.layout.keyColumn + '": a full scan of memcached is not available, no rows returned',
        'Select keys with ' + this.layout.keyColumn + " = 'k', " + this.layout.keyColumn + " IN ('k1', 'k2'), = ANY(array), or a join on " + this.layout.keyColumn + '.',
      );
      return;
    }
    const prefix = this.settings.prefix;
    // Most lookups are plain keys, checked all at once; otherwise each key is, and keys.ts names what is wrong.
    let fullKeys = plainFullKeys(prefix, keys);
    if (fullKeys === null) {
      fullKeys = [];
      for (const key of keys) {
        const plain = plainFullKey(prefix, key);
        fullKeys.push(plain !== null ? plain : this.fullKey(key));
      }
    }
    const found = await this.servers.readThrough(transactionWrites, fullKeys);
    // Rows hold the key column (the row id) and the other columns only when the query needs them, decided once here;
    // the rows are built inline because this loop runs once per key of the lookup.
    // A column the query asks for is decoded strictly (an unreadable value is an ERROR naming the key); the others are
    // filled in when readable, because multicorn2 does not ask for the columns of a whole-row reference.
    const layout = this.layout;
    const keyColumn = layout.keyColumn;
    const valueColumn = layout.valueColumn;
    const valueAsked = columns.has(valueColumn);
    const valueKind = layout.valueKind;
    const expireColumn = layout.expireColumn;
    const flagsColumn = layout.flagsColumn;
    const flagsAsked = flagsColumn !== null && columns.has(flagsColumn);
    const flagsKind = layout.flagsKind;
    const scanned = this.scanned;
    for (let i = 0; i < keys.length; i++) {
      const item = found.get(fullKeys[i]!);
      if (item === undefined) continue;
      const key = keys[i]!;
      scanned.set(key, item);
      const row: SqlRow = {};
      row[keyColumn] = key;
      row[valueColumn] = valueAsked ? decodeValue(item.value, valueKind, key) : decodeValueIfReadable(item.value, valueKind);
      // memcached's text protocol does not return an item's expiration: the column reads as NULL.
      if (expireColumn !== null) row[expireColumn] = null;
      if (flagsColumn !== null) {
        row[flagsColumn] = flagsAsked ? flagsColumnValue(item.flags, flagsKind, key) : flagsIfReadable(item.flags, flagsKind);
      }
      yield row;
    }
  }

  /** The key of a row being written; NULL is an ERROR (memcached has no NULL key). */
  private keyOf(value: SqlValue): string {
    if (typeof value === 'string') return value;
    if (value === null) {
      return raiseError('the key column "' + this.layout.keyColumn + '" must not be NULL', 'Give every row a key.');
    }
    return raiseError('the key column "' + this.layout.keyColumn + '" must be text');
  }

  /** The bytes and flags to store for a row; without a flags column the item keeps `flagsFallback`. */
  private itemOf(row: SqlRow, key: string, flagsFallback: number): StoredItem {
    const valueColumn = this.layout.valueColumn;
    const value = row[valueColumn];
    if (value === undefined || value === null) {
      return raiseError(
        'the value of key ' + quoteForMessage(key) + ' is NULL, which memcached cannot store',
        'Give a value, or DELETE the key to remove it.',
      );
    }
    const encoded = encodeValue(value, this.layout.valueKind, key);
    let flags = flagsFallback;
    const flagsColumn = this.layout.flagsColumn;
    if (flagsColumn !== null) {
      const given = row[flagsColumn];
      const number = integerColumnValue(given === undefined ? null : given, this.layout.flagsKind, flagsColumn, key);
      flags = number === null ? 0 : checkedFlags(number, key);
    }
    return { value: encoded, flags: flags };
  }

  /** What memcached is sent as the expiration of a row: its expire column, else the table's `expire` option. */
  private expireOf(row: SqlRow, key: string): number {
    let seconds = this.settings.expire;
    const expireColumn = this.layout.expireColumn;
    if (expireColumn !== null) {
      const given = row[expireColumn];
      const number = integerColumnValue(given === undefined ? null : given, this.layout.expireKind, expireColumn, key);
      if (number !== null) seconds = number;
    }
    return memcachedExpire(seconds, key);
  }

  /** Writes wait for COMMIT unless the table's write_mode is immediate (then they wait for the statement's end). */
  private get sendsAtStatementEnd(): boolean {
    return this.settings.writeMode === 'immediate';
  }

  private duplicateKey(key: string): never {
    return raiseError(
      'duplicate key value: key ' + quoteForMessage(key) + ' already exists in memcached at ' +
        this.servers.storeFor(this.fullKey(key)).serverLabel,
      "The table's insert_mode is add, so INSERT only creates keys: UPDATE an existing key, or set insert_mode 'set' to overwrite.",
      'Key (' + this.layout.keyColumn + ')=(' + key + ') already exists.',
    );
  }

  /**
   * Whether `fullKey` exists as this transaction sees it: its pending write if any, else memcached (`found`, the
   * items a batch lookup returned, or one get).
   */
  private async existsForTransaction(key: string, fullKey: string, found: Map<string, StoredItem> | null): Promise<boolean> {
    const store = this.servers.storeFor(fullKey);
    const decided = this.statement.decided(store, fullKey);
    if (decided === 'ends') this.statement.writtenTwice(key);
    if (decided === 'deleted') return false;
    const pending = transactionWrites.effective(store, fullKey);
    if (pending !== null) return pending.op.kind !== 'delete';
    if (found !== null) return found.has(fullKey);
    const fetched = await this.servers.readThrough(transactionWrites, [fullKey]);
    return fetched.has(fullKey);
  }

  /**
   * A stored value must fit the server's item size (item_size_max, less the key and memcached's per-item overhead),
   * checked before it is recorded so that memcached cannot refuse it at COMMIT.
   */
  private async checkItemSize(key: string, fullKey: string, item: StoredItem): Promise<void> {
    const store = this.servers.storeFor(fullKey);
    const limits = await store.itemLimits();
    // Most values are far below the limit: the key's exact length is only needed near it.
    if (item.value.length + MAX_KEY_BYTES + ITEM_FLAGS_BYTES <= limits.room(0, 0)) return;
    const room = limits.room(utf8ByteLength(fullKey), item.flags);
    if (item.value.length > room) {
      raiseError(
        'the value of key ' + quoteForMessage(key) + ' is ' + intToString(item.value.length) + ' bytes, more than memcached at ' +
          store.serverLabel + ' stores for this key (' + intToString(room) + ' bytes)',
        "The server's item_size_max is " + intToString(limits.itemSizeMax) + ' bytes, including the key and ' +
          intToString(limits.itemSizeMax - room - utf8ByteLength(fullKey)) +
          ' bytes of item overhead: store a smaller value, or start memcached with a larger -I.',
      );
    }
  }

  /**
   * Sends or records one write of the row whose key is `key`. Outside a transaction (Multicorn always opens one; only
   * direct callers do not) the write goes out at once. Otherwise it joins the statement's writes, which reach the
   * transaction's write set (or, under write_mode immediate, memcached) when the statement ends.
   */
  private async write(op: WriteOp, key: string): Promise<boolean> {
    const store = this.servers.storeFor(op.key);
    if (this.transactionLevel === 0) return await store.apply(op);
    if (this.guard === 'guard-missing') {
      raiseError(
        "cannot write to a cache table: pymcache_fdw's transaction guard (pymcache_fdw.so in PostgreSQL's library directory) is not installed",
        'Install the pymcache_fdw extension (make -C extension install, see the README): without it PREPARE TRANSACTION ' +
          'and INSERT ... ON CONFLICT could lose or overwrite writes.',
      );
    }
    if (this.statement.isEmpty()) statementOpened(this.statement);
    this.statement.record(this.transactionLevel, store, op, key);
    return true;
  }

  /**
   * Stores a row under `insert_mode`; in `add` mode an existing key is a unique violation, found at statement time
   * (the transaction's own pending writes, else memcached) and checked again by memcached's `add` when sent.
   * `found` holds the items of a batch lookup (bulk_insert), or null.
   */
  private async storeNew(
    key: string,
    fullKey: string,
    item: StoredItem,
    expire: number,
    found: Map<string, StoredItem> | null,
  ): Promise<void> {
    const kind = this.settings.insertMode === 'add' ? 'add' : 'set';
    const op: StoreOp = { kind: kind, key: fullKey, item: item, expire: expire };
    if (this.transactionLevel > 0) {
      await this.checkItemSize(key, fullKey, item);
      if (kind === 'add' && (await this.existsForTransaction(key, fullKey, found))) this.duplicateKey(key);
    }
    const stored = await this.write(op, key);
    if (!stored && kind === 'add') this.duplicateKey(key);
  }

  override async insert(values: SqlRow): Promise<SqlRow | null> {
    const given = values[this.layout.keyColumn];
    const key = this.keyOf(given === undefined ? null : given);
    const fullKey = this.fullKey(key);
    const item = this.itemOf(values, key, 0);
    const expire = this.expireOf(values, key);
    await this.storeNew(key, fullKey, item, expire, null);
    return null;
  }

  /**
   * Rows an INSERT hands over in batches of modify_batch_size: the same as insert() row by row, with the duplicate
   * check of insert_mode add done for the whole batch in one get_many.
   */
  async bulkInsert(rows: SqlRow[]): Promise<null> {
    const keys: string[] = [];
    const fullKeys: string[] = [];
    for (const values of rows) {
      const given = values[this.layout.keyColumn];
      const key = this.keyOf(given === undefined ? null : given);
      keys.push(key);
      fullKeys.push(this.fullKey(key));
    }
    let found: Map<string, StoredItem> | null = null;
    if (this.settings.insertMode === 'add' && this.transactionLevel > 0) {
      found = await this.servers.readThrough(transactionWrites, fullKeys);
    }
    for (let i = 0; i < rows.length; i++) {
      const values = rows[i]!;
      const key = keys[i]!;
      await this.storeNew(key, fullKeys[i]!, this.itemOf(values, key, 0), this.expireOf(values, key), found);
    }
    return null;
  }

  /**
   * Rows per bulk_insert call: the table's batch_size, 1 by default because PostgreSQL returns no rows from
   * INSERT ... RETURNING when it batches.
   */
  override get modifyBatchSize(): number {
    return this.settings.batchSize;
  }

  /**
   * `oldvalues` is the row id (the key) of the row the scan found. An UPDATE that leaves value and flags as they were
   * is a `touch` (only the expiration changes); otherwise the item is set. Changing the key moves the item: the new
   * key is stored (under insert_mode) first, then the old one deleted.
   */
  override async update(oldvalues: SqlValue, newvalues: SqlRow): Promise<SqlRow | null> {
    const oldKey = this.keyOf(oldvalues);
    const given = newvalues[this.layout.keyColumn];
    const newKey = this.keyOf(given === undefined ? null : given);
    const scannedItem = this.scanned.get(oldKey);
    const previous = scannedItem === undefined ? null : scannedItem;
    const item = this.itemOf(newvalues, newKey, previous === null ? 0 : previous.flags);
    const expire = this.expireOf(newvalues, newKey);
    const newFullKey = this.fullKey(newKey);
    if (newKey !== oldKey) {
      const oldFullKey = this.fullKey(oldKey);
      await this.storeNew(newKey, newFullKey, item, expire, null);
      await this.write({ kind: 'delete', key: oldFullKey }, oldKey);
      this.scanned.delete(oldKey);
      return null;
    }
    if (previous !== null && previous.flags === item.flags && sameBytes(previous.value, item.value)) {
      const touched = await this.write({ kind: 'touch', key: newFullKey, expire: expire }, newKey);
      if (!touched) warnVanishedTouches(this.servers.storeFor(newFullKey), [newKey], 'the UPDATE');
      return null;
    }
    if (this.transactionLevel > 0) await this.checkItemSize(newKey, newFullKey, item);
    await this.write({ kind: 'set', key: newFullKey, item: item, expire: expire }, newKey);
    this.scanned.set(newKey, item);
    return null;
  }

  /** `oldvalues` is the key of a row the scan found, so DELETE's row count is the number of keys that existed. */
  override async delete(oldvalues: SqlValue): Promise<void> {
    const key = this.keyOf(oldvalues);
    await this.write({ kind: 'delete', key: this.fullKey(key) }, key);
    this.scanned.delete(key);
  }

  // Transaction hooks. Multicorn calls begin/sub_begin when the table is first used in a transaction or savepoint, and
  // pre_commit, commit, rollback, sub_commit, sub_rollback on every table used in it: the write set is shared by the
  // backend's tables, so each hook is idempotent and the first pre_commit (or commit) sends everything.

  /** `serializable` is 1 under SERIALIZABLE, else 0: a SERIALIZABLE transaction's writes wait for commit. */
  override begin(serializable: number): void {
    this.transactionLevel = 1;
    this.guard = guardTransaction();
    beginTransaction(serializable === 1);
  }

  override subBegin(level: number): void {
    this.transactionLevel = level;
  }

  /** RELEASE SAVEPOINT: the savepoint's writes stay pending, now part of the enclosing level. */
  override subCommit(level: number): void {
    releaseLevel(level);
    this.transactionLevel = level - 1;
  }

  /** ROLLBACK TO SAVEPOINT (or a failed subtransaction): exactly the writes made since the savepoint are dropped. */
  override subRollback(level: number): void {
    rollbackToLevel(level);
    this.transactionLevel = level - 1;
  }

  /** Before COMMIT: every pending write goes to memcached, pipelined per server; a failure aborts the COMMIT. */
  override async preCommit(): Promise<void> {
    await sendAtPreCommit();
  }

  /** After COMMIT: a SERIALIZABLE transaction's writes go now (a failure is a WARNING); nothing stays pending. */
  override async commit(): Promise<void> {
    await sendAtCommit();
    this.transactionLevel = 0;
  }

  /** ROLLBACK (or an error): the pending writes are dropped; any sent before the abort are deleted again. */
  override async rollback(): Promise<void> {
    this.statement.clear();
    await abandonTransaction();
    this.transactionLevel = 0;
  }

  override endScan(): void {}

  /**
   * The statement's modification ends: its writes join the transaction's write set, or under write_mode immediate
   * go to memcached now, pipelined.
   */
  override async endModify(): Promise<void> {
    this.scanned = new Map<string, StoredItem>();
    if (this.statement.isEmpty()) return;
    if (this.sendsAtStatementEnd) {
      await sendStatement(this.statement);
    } else {
      foldStatement(this.statement);
    }
  }
}
