// PymcacheFDW: a foreign table whose rows are memcached items (key, value, expire, flags). Multicorn builds one
// instance per table per backend; every option is checked here, once, in the constructor.
import { resolveCacheLayout, type CacheTableLayout } from './columns';
import {
  ITEM_FLAGS_BYTES,
  ItemFacts,
  type CacheStore,
  type StoredItem,
  type StoreOp,
  type WriteOp,
} from './cache-store';
import { raiseError, warn } from './errors';
import {
  InvalidKeyError,
  KEY_HINT,
  MAX_KEY_BYTES,
  plainFullKey,
  plainFullKeys,
  prefixedKey,
  quoteForMessage,
  stripPrefix,
  validateKey,
} from './keys';
import { ItemDump } from './item-dump';
import type { MetadumpEntry } from './memcache/protocol';
import {
  guardTransaction,
  plannedKeyRows,
  keyOrderIsBytewise,
  queryMayModify,
  type GuardStatus,
} from './ports/backend';
import { importedTables } from './import-schema';
import { ColumnDefinition, ForeignDataWrapper, type Qual, type SortKey, type TableDefinition } from './ports/host';
import {
  bytesEqual,
  intToString,
  InvalidUtf8Error,
  nowSeconds,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
} from './ports/runtime';
import { scanFilterOf } from './scan-filter';
import { lookupKeys } from './quals';
import { ServerPool } from './server-pool';
import { PymcacheFDWStats } from './stats';
import { OPTION_HINT, parseCacheTableOptions, STATS_TABLE_OPTIONS, type CacheTableOptions } from './table-options';
import {
  abandonTransaction,
  DUPLICATE_HINT,
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
import { pendingItemOf, StatementWrites } from './write-set';
import {
  checkedFlags,
  decodeValue,
  decodeValueIfReadable,
  flagsIfReadable,
  encodeValue,
  fetchedColumnValue,
  flagsColumnValue,
  integerColumnValue,
  lastAccessColumnValue,
  memcachedExpire,
  ttlColumnValue,
  type SqlRow,
  type SqlValue,
} from './values';
import { refuseWideningUserMapping } from './server-security';
import { describeLookup, describeServers } from './explain-text';

/**
 * Rows the planner is told a scan without a key condition returns when the servers' item counts are not known (a
 * server did not answer, or full scans are off): enough that a join on the key prefers key lookups.
 */
export const NO_KEY_ROWS_ESTIMATE = 1000000;
/**
 * Items whose values a scan without a key condition fetches at once: one pipelined `gets` per server, read before
 * the rows are returned, so a batch holds at most this many values in memory.
 */
export const VALUES_PER_BATCH = 100;
/**
 * Average width in bytes the planner assumes per column asked for: PostgreSQL's own guess for a text column it has
 * no statistics for (get_typavgwidth). Multicorn costs a path as rows * width, so this also sets the cost: at 64 a
 * 1,000-key lookup of two columns cost 128,000, over jit_above_cost, and every execution paid a JIT compile (~3 ms)
 * for a scan that evaluates almost nothing.
 */
const COLUMN_WIDTH = 32;

/** The layout a statistics table on a cache server stands on: it is never used for rows. */
const KEY_VALUE_COLUMNS: Map<string, ColumnDefinition> = new Map<string, ColumnDefinition>([
  ['key', new ColumnDefinition('key', 0, -1, 'text', 'text', {})],
  ['value', new ColumnDefinition('value', 0, -1, 'text', 'text', {})],
]);

/** The rows a scan returns under LIMIT and OFFSET (both applied by the scan only when canLimit accepted them). */
class RowPage {
  private readonly limit: number | null;
  private toSkip: number;
  private returned: number;

  constructor(limit: number | null, offset: number | null) {
    this.limit = limit;
    this.toSkip = offset === null ? 0 : offset;
    this.returned = 0;
  }

  /** Whether the next row found is returned (false while OFFSET skips, or once LIMIT is reached). */
  take(): boolean {
    if (this.full()) return false;
    if (this.toSkip > 0) {
      this.toSkip -= 1;
      return false;
    }
    this.returned += 1;
    return true;
  }

  /** LIMIT rows were returned: the scan stops listing. */
  full(): boolean {
    return this.limit !== null && this.returned >= this.limit;
  }
}

/** An item a listing found: its user key, full key, the listing's entry and the server's clock at the listing. */
class ListedItem {
  readonly key: string;
  readonly fullKey: string;
  readonly entry: MetadumpEntry;
  private readonly serverTime: number;

  constructor(key: string, fullKey: string, entry: MetadumpEntry, serverTime: number) {
    this.key = key;
    this.fullKey = fullKey;
    this.entry = entry;
    this.serverTime = serverTime;
  }

  /** The entry's facts: TTL by the server's clock (-1: never expires), last access by this host's clock. */
  facts(): ItemFacts {
    const entry = this.entry;
    const ttl = entry.expiresAt === -1 ? -1 : entry.expiresAt - this.serverTime;
    return new ItemFacts(ttl, nowSeconds() - (this.serverTime - entry.lastAccess), entry.fetched, entry.size);
  }
}

export class PymcacheFDW extends ForeignDataWrapper {
  private readonly settings: CacheTableOptions;
  private readonly layout: CacheTableLayout;
  /** The layout's columns only a meta get or a listing fills: remaining TTL, last access, size, fetched. */
  private readonly factColumns: string[];
  /** How many columns the foreign table has: a scan naming them all under an UPDATE reads the whole row. */
  private readonly columnCount: number;
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
  /** A statistics table (option stats_cmd) serves its rows from here; null for a cache table. */
  private readonly statsTable: PymcacheFDWStats | null;

  constructor(fdwOptions: Record<string, string>, fdwColumns: Map<string, ColumnDefinition>) {
    super(fdwOptions, fdwColumns);
    refuseWideningUserMapping();
    // A table with stats_cmd is a statistics table on a cache server (IMPORT FOREIGN SCHEMA creates them): it is
    // served by PymcacheFDWStats; the server's cache options are still checked, and used by nothing.
    const statsCommand = fdwOptions['stats_cmd'];
    const statsOptions: Record<string, string> = {};
    const cacheOptions: Record<string, string> = {};
    for (const [name, value] of Object.entries(fdwOptions)) {
      if (statsCommand !== undefined && STATS_TABLE_OPTIONS.includes(name)) statsOptions[name] = value;
      if (name !== 'stats_cmd') cacheOptions[name] = value;
    }
    this.statsTable = statsCommand === undefined ? null : new PymcacheFDWStats(statsOptions, fdwColumns);
    this.settings = parseCacheTableOptions(statsCommand === undefined ? fdwOptions : cacheOptions);
    if (this.settings.prefix !== '') {
      try {
        validateKey(this.settings.prefix);
      } catch (error) {
        if (error instanceof InvalidKeyError) {
          raiseError(
            'invalid value ' + quoteForMessage(this.settings.prefix) + ' for option "prefix": ' + error.reason,
            OPTION_HINT,
          );
        }
        throw error;
      }
    }
    this.layout =
      this.statsTable === null
        ? resolveCacheLayout(fdwColumns, this.settings.rowId)
        : resolveCacheLayout(KEY_VALUE_COLUMNS, 'key');
    const layout = this.layout;
    this.columnCount = fdwColumns.size;
    this.factColumns = [];
    for (const column of [layout.expireColumn, layout.lastAccessColumn, layout.sizeColumn, layout.fetchedColumn]) {
      if (column !== null) this.factColumns.push(column);
    }
    this.servers = new ServerPool(this.settings.servers, this.settings.prefix);
    this.scanned = new Map<string, StoredItem>();
    this.transactionLevel = 0;
    this.statement = new StatementWrites();
    this.guard = 'outside-backend';
  }

  override get rowidColumn(): string {
    if (this.statsTable !== null) this.readOnly();
    return this.layout.keyColumn;
  }

  /** A write to a statistics table: an ERROR. */
  private readOnly(): never {
    return raiseError(
      'cannot change a statistics table: it shows memcached\'s "stats" (option stats_cmd)',
      'Statistics tables are read-only; write to a cache table of the server.',
    );
  }

  /** IMPORT FOREIGN SCHEMA memcached: the cache table and the statistics tables (src/import-schema.ts). */
  static override importSchema(
    schema: string,
    serverOptions: Record<string, string>,
    options: Record<string, string>,
    restrictionType: string | null,
    restricts: string[],
  ): TableDefinition[] {
    return importedTables(schema, serverOptions, options, restrictionType, restricts);
  }

  /**
   * A lookup returns at most its keys; a scan without a key condition every item of the servers (memcached's
   * curr_items, summed: the table's prefix group is a part of that).
   */
  override async getRelSize(quals: Qual[], columns: Set<string>): Promise<[number, number]> {
    if (this.statsTable !== null) return await this.statsTable.getRelSize(quals, columns);
    const keys = lookupKeys(quals, this.layout.keyColumn);
    const asked = columns.size;
    const width = COLUMN_WIDTH * (asked > 0 ? asked : 1);
    if (keys !== null) return [keys.length, width];
    // A generic plan of `key = $1` (a prepared statement, a PL/pgSQL query) is still a lookup: costed as one, the plan
    // cache keeps it instead of planning every execution, and it never carries a listing's cost into JIT.
    const plannedRows = plannedKeyRows(this.layout.keyColumn);
    if (plannedRows !== null) return [plannedRows, width];
    if (!this.settings.fullScan) return [NO_KEY_ROWS_ESTIMATE, width];
    const items = await this.servers.itemCount();
    return [items === null ? NO_KEY_ROWS_ESTIMATE : items, width];
  }

  /** A join or parameter on the key column is a lookup returning at most one row per outer row. */
  override getPathKeys(): Array<[string[], number]> {
    if (this.statsTable !== null) return [];
    return [[[this.layout.keyColumn], 1]];
  }

  /**
   * A scan without a key condition applies LIMIT and OFFSET itself: it stops listing once it has returned enough
   * rows. Multicorn asks only for a query with nothing but the scan under the LIMIT.
   */
  override canLimit(limit: number | null, offset: number | null): boolean {
    return this.statsTable === null && this.settings.fullScan;
  }

  override explain(
    quals: Qual[],
    columns: Set<string>,
    sortkeys: SortKey[] | null = null,
    verbose = false,
    limit: number | null = null,
    offset: number | null = null,
  ): string[] {
    if (this.statsTable !== null) return this.statsTable.explain(quals, columns, sortkeys, verbose);
    const lines: string[] = [describeServers(this.servers)];
    const prefix = this.settings.prefix;
    if (prefix !== '') lines.push('key prefix ' + quoteForMessage(prefix));
    const keyColumn = this.layout.keyColumn;
    const keys = lookupKeys(quals, keyColumn);
    if (keys !== null) {
      const fullKeys: string[] = [];
      for (const key of keys) fullKeys.push(prefix + key);
      lines.push(describeLookup(this.servers, fullKeys, this.wantsFacts(columns)));
      return lines;
    }
    if (!this.settings.fullScan) {
      lines.push("no key condition: no rows (full_scan is 'off')");
      return lines;
    }
    const servers = this.servers.stores.length;
    lines.push(
      'list the items of ' +
        (servers === 1 ? 'the server' : 'each of the ' + intToString(servers) + ' servers') +
        ' (lru_crawler metadump)',
    );
    // EXPLAIN cannot tell which collation the conditions will run under: a range is described as given.
    const filter = scanFilterOf(quals, keyColumn, prefix, true).describe(keyColumn);
    if (filter !== null) lines.push('keep ' + filter);
    if (limit !== null || offset !== null) {
      const parts: string[] = [];
      if (limit !== null) parts.push('stop after ' + intToString((offset === null ? 0 : offset) + limit) + ' rows');
      if (offset !== null) parts.push('skip the first ' + intToString(offset));
      lines.push(parts.join(', ') + ' (LIMIT applied during the listing)');
    }
    lines.push(
      this.wantsValues(columns)
        ? 'values fetched with gets, ' + intToString(VALUES_PER_BATCH) + ' keys per round trip'
        : 'values not fetched (no value or flags column asked for)',
    );
    return lines;
  }

  /**
   * Whether the query needs what only a meta get or a listing tells (remaining TTL, last access, size, fetched).
   * multicorn2 names no column for a whole-row reference: an empty set may need them all, and so may a reading query
   * that names nothing but the key (`SELECT c::text FROM cache c WHERE key = 'k'` names the column of its condition).
   * For a lookup they cost no extra round trip (mg instead of gets); a DELETE, which names only the key, needs none.
   */
  private wantsFacts(columns: Set<string>): boolean {
    if (columns.size === 0) return true;
    const factColumns = this.factColumns;
    if (columns.size === 1 && columns.has(this.layout.keyColumn)) return factColumns.length > 0 && !queryMayModify();
    for (const column of factColumns) {
      if (columns.has(column)) return true;
    }
    return false;
  }

  /**
   * Ends the statement with an ERROR when it names a fact column (or reads whole rows, which multicorn2 passes as no
   * column) and a server the lookup asked refused the meta get that reads facts (a proxy, or memcached before
   * 1.6.10): the column would read NULL, which looks like a real answer. An UPDATE's scan, which names every column
   * because PostgreSQL fetches the whole row, is let through: it reads the value with gets, and an expire it does not
   * set is the table's default (docs/production.md).
   */
  private requireAskedFacts(columns: Set<string>, fullKeys: string[]): void {
    if (queryMayModify() && (columns.size === this.columnCount || columns.size === 0)) return;
    const asked: string[] = [];
    for (const column of this.factColumns) {
      if (columns.size === 0 || columns.has(column)) asked.push(column);
    }
    if (asked.length === 0) return;
    const pool = this.servers;
    const checked: Set<number> = new Set<number>();
    for (const fullKey of fullKeys) {
      // The server the lookup read the key from (none when its server is down and the key is read as a miss).
      const position = pool.readPositionOf(fullKey);
      if (position === null || checked.has(position)) continue;
      checked.add(position);
      pool.stores[position]!.requireFacts(asked);
    }
  }

  /** Whether a scan without a key condition must fetch values: a value or flags column is asked for (or the row). */
  private wantsValues(columns: Set<string>): boolean {
    if (columns.size === 0) return true;
    const flagsColumn = this.layout.flagsColumn;
    return columns.has(this.layout.valueColumn) || (flagsColumn !== null && columns.has(flagsColumn));
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

  /**
   * The rows for `quals`: a lookup of the keys the quals give, or without a key condition a listing of every server
   * (full_scan). `limit` and `offset` come only when canLimit accepted them.
   */
  override async *execute(
    quals: Qual[],
    columns: Set<string>,
    sortkeys: SortKey[] | null = null,
    limit: number | null = null,
    offset: number | null = null,
  ): AsyncGenerator<SqlRow, void, undefined> {
    if (this.statsTable !== null) {
      yield* this.statsTable.execute(quals, columns, sortkeys);
      return;
    }
    this.scanned = new Map<string, StoredItem>();
    const keys = lookupKeys(quals, this.layout.keyColumn);
    if (keys === null) {
      if (this.settings.fullScan) {
        yield* this.listItems(quals, columns, limit, offset);
        return;
      }
      warn(
        'no condition on the key column "' +
          this.layout.keyColumn +
          "\": full_scan is 'off' for this table, no rows returned",
        'Select keys with ' +
          this.layout.keyColumn +
          " = 'k', " +
          this.layout.keyColumn +
          " IN ('k1', 'k2'), = ANY(array), or a join on " +
          this.layout.keyColumn +
          ", or set the table option full_scan 'on'.",
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
    const withFacts = this.wantsFacts(columns);
    if (withFacts && this.layout.sizeColumn !== null) await this.servers.learnItemLimits();
    const found = await this.servers.readThrough(transactionWrites, fullKeys, withFacts);
    if (withFacts) this.requireAskedFacts(columns, fullKeys);
    // Rows hold the key column (the row id) and the other columns only when the query needs them, decided once here;
    // the rows are built inline because this loop runs once per key of the lookup.
    // A column the query asks for is decoded strictly (an unreadable value is an ERROR naming the key); the others are
    // filled in when readable, because multicorn2 does not ask for the columns of a whole-row reference.
    const layout = this.layout;
    const keyColumn = layout.keyColumn;
    const valueColumn = layout.valueColumn;
    const valueAsked = columns.has(valueColumn);
    const valueKind = layout.valueKind;
    const flagsColumn = layout.flagsColumn;
    const flagsAsked = flagsColumn !== null && columns.has(flagsColumn);
    const flagsKind = layout.flagsKind;
    const hasFacts = this.factColumns.length > 0 || layout.casColumn !== null;
    const scanned = this.scanned;
    for (let i = 0; i < keys.length; i++) {
      const item = found.get(fullKeys[i]!);
      if (item === undefined) continue;
      const key = keys[i]!;
      scanned.set(key, item);
      const row: SqlRow = {};
      row[keyColumn] = key;
      row[valueColumn] = valueAsked
        ? decodeValue(item.value, valueKind, key)
        : decodeValueIfReadable(item.value, valueKind);
      if (hasFacts) this.factsInto(row, item.cas, item.facts, key);
      if (flagsColumn !== null) {
        row[flagsColumn] = flagsAsked
          ? flagsColumnValue(item.flags, flagsKind, key)
          : flagsIfReadable(item.flags, flagsKind);
      }
      yield row;
    }
  }

  /** The columns of what memcached told about an item (NULL where the read did not say). */
  private factsInto(row: SqlRow, cas: string | null, facts: ItemFacts | null, key: string): void {
    const layout = this.layout;
    if (layout.expireColumn !== null)
      row[layout.expireColumn] = facts === null ? null : ttlColumnValue(facts.ttl, layout.expireKind, key);
    if (layout.casColumn !== null) row[layout.casColumn] = cas;
    if (layout.lastAccessColumn !== null) {
      row[layout.lastAccessColumn] =
        facts === null ? null : lastAccessColumnValue(facts.lastAccess, layout.lastAccessKind);
    }
    if (layout.sizeColumn !== null)
      row[layout.sizeColumn] = facts === null || facts.size === null ? null : intToString(facts.size);
    if (layout.fetchedColumn !== null)
      row[layout.fetchedColumn] = facts === null ? null : fetchedColumnValue(facts.fetched, layout.fetchedKind);
  }

  /** The row of `item` under the user key `key`; `valueAsked`: the value and flags are decoded strictly. */
  private rowOf(key: string, item: StoredItem, valueAsked: boolean): SqlRow {
    const layout = this.layout;
    const row: SqlRow = {};
    row[layout.keyColumn] = key;
    row[layout.valueColumn] = valueAsked
      ? decodeValue(item.value, layout.valueKind, key)
      : decodeValueIfReadable(item.value, layout.valueKind);
    this.factsInto(row, item.cas, item.facts, key);
    const flagsColumn = layout.flagsColumn;
    if (flagsColumn !== null) {
      row[flagsColumn] = valueAsked
        ? flagsColumnValue(item.flags, layout.flagsKind, key)
        : flagsIfReadable(item.flags, layout.flagsKind);
    }
    return row;
  }

  /**
   * A scan without a key condition: the items of every server of the table (lru_crawler metadump), server after
   * server, with the transaction's pending writes in place of what memcached holds for their keys. Only the table's
   * prefix group is kept (the prefix stripped), and only keys the server holds as a lookup would read them (a stale
   * copy on another server is not shown twice). Values are fetched in batches when the query needs them; rows are
   * returned as they come, so memory stays flat however many items the servers hold.
   */
  private async *listItems(
    quals: Qual[],
    columns: Set<string>,
    limit: number | null,
    offset: number | null,
  ): AsyncGenerator<SqlRow, void, undefined> {
    const layout = this.layout;
    const prefix = this.settings.prefix;
    const keep = scanFilterOf(quals, layout.keyColumn, prefix, keyOrderIsBytewise());
    const page = new RowPage(limit, offset);
    // Only a statement that may write needs the items it read (an UPDATE writes back against them, value, flags and
    // CAS token); a SELECT of a million items must not keep them.
    const remember = queryMayModify();
    const withValues = remember || this.wantsValues(columns);
    const pool = this.servers;
    let undecodable = 0;
    for (let position = 0; position < pool.stores.length && !page.full(); position++) {
      if (!pool.listable(position)) continue;
      const store = pool.stores[position]!;
      let dump: ItemDump;
      try {
        dump = await ItemDump.start(store.endpoint);
      } catch (error) {
        pool.listingFailed(position, error);
        continue;
      }
      let batch: ListedItem[] = [];
      try {
        while (!page.full()) {
          let entry: MetadumpEntry | null;
          try {
            entry = await dump.next();
          } catch (error) {
            pool.listingFailed(position, error);
            break;
          }
          if (entry === null) break;
          if (!keep.admits(entry.key)) continue;
          let fullKey: string;
          try {
            fullKey = utf8Decode(entry.key);
          } catch (error) {
            if (error instanceof InvalidUtf8Error) {
              undecodable += 1;
              continue;
            }
            throw error;
          }
          // A key another server holds for lookups is a stale copy here; a key with a pending write comes later.
          if (pool.stores.length > 1 && pool.readPositionOf(fullKey) !== position) continue;
          const pending = transactionWrites.effective(store, fullKey);
          if (pending !== null && pending.op.kind !== 'touch') continue;
          const listed = new ListedItem(store.userKey(fullKey), fullKey, entry, dump.serverTime);
          if (!withValues) {
            if (page.take()) yield this.listedRow(listed, null, remember);
            continue;
          }
          batch.push(listed);
          if (batch.length < VALUES_PER_BATCH) continue;
          for (const row of await this.fetchBatch(store, batch, page, remember)) yield row;
          batch = [];
        }
        if (batch.length > 0 && !page.full()) {
          for (const row of await this.fetchBatch(store, batch, page, remember)) yield row;
        }
      } finally {
        dump.close();
      }
    }
    // The transaction's own pending stores, which memcached does not hold yet (or holds with another value).
    for (let position = 0; position < pool.stores.length && !page.full(); position++) {
      const store = pool.stores[position]!;
      for (const pending of transactionWrites.pendingOn(store)) {
        const item = pendingItemOf(pending);
        const fullKey = pending.op.key;
        if (item === null || !keep.admits(utf8Encode(fullKey))) continue;
        if (pool.stores.length > 1 && pool.readPositionOf(fullKey) !== position) continue;
        const key = stripPrefix(prefix, fullKey);
        if (key === null || !page.take()) continue;
        if (remember) this.scanned.set(key, item);
        yield this.rowOf(key, item, withValues);
      }
    }
    if (undecodable > 0) {
      warn(
        intToString(undecodable) + ' key(s) listed by memcached are not valid UTF-8 and were left out of the scan',
        'A text key column holds UTF-8 only; such keys were written by another client and can be read with its key bytes only.',
      );
    }
  }

  /**
   * The row of an item a listing found; `item` holds its value when the query needed it, else null (then nothing is
   * remembered: a statement that may write always fetches values).
   */
  private listedRow(listed: ListedItem, item: StoredItem | null, remember: boolean): SqlRow {
    const key = listed.key;
    const facts = listed.facts();
    if (item === null) {
      const row: SqlRow = {};
      row[this.layout.keyColumn] = key;
      this.factsInto(row, listed.entry.cas, facts, key);
      return row;
    }
    const withFacts: StoredItem = { value: item.value, flags: item.flags, cas: item.cas, facts: facts };
    if (remember) this.scanned.set(key, withFacts);
    return this.rowOf(key, withFacts, true);
  }

  /** The rows of a batch of listed items, their values fetched in one pipelined get (items gone since are left out). */
  private async fetchBatch(
    store: CacheStore,
    batch: ListedItem[],
    page: RowPage,
    remember: boolean,
  ): Promise<SqlRow[]> {
    const fullKeys: string[] = [];
    for (const listed of batch) fullKeys.push(listed.fullKey);
    const found = await store.getMany(fullKeys);
    const rows: SqlRow[] = [];
    for (const listed of batch) {
      const item = found.get(listed.fullKey);
      if (item === undefined || !page.take()) continue;
      rows.push(this.listedRow(listed, item, remember));
    }
    return rows;
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
    return { value: encoded, flags: flags, cas: null, facts: null };
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
      'duplicate key value: key ' +
        quoteForMessage(key) +
        ' already exists in memcached at ' +
        this.servers.storeFor(this.fullKey(key)).serverLabel,
      DUPLICATE_HINT,
      'Key (' + this.layout.keyColumn + ')=(' + key + ') already exists.',
    );
  }

  /**
   * Whether `fullKey` exists as this transaction sees it: its pending write if any, else memcached (`found`, the
   * items a batch lookup returned, or one get).
   */
  private async existsForTransaction(
    key: string,
    fullKey: string,
    found: Map<string, StoredItem> | null,
  ): Promise<boolean> {
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
        'the value of key ' +
          quoteForMessage(key) +
          ' is ' +
          intToString(item.value.length) +
          ' bytes, more than memcached at ' +
          store.serverLabel +
          ' stores for this key (' +
          intToString(room) +
          ' bytes)',
        "The server's item_size_max is " +
          intToString(limits.itemSizeMax) +
          ' bytes, including the key and ' +
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
    if (this.statsTable !== null) this.readOnly();
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
    if (this.statsTable !== null) this.readOnly();
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
    if (this.statsTable !== null) this.readOnly();
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
    if (previous !== null && previous.flags === item.flags && bytesEqual(previous.value, item.value)) {
      const touched = await this.write({ kind: 'touch', key: newFullKey, expire: expire }, newKey);
      if (!touched) warnVanishedTouches(this.servers.storeFor(newFullKey), [newKey], 'the UPDATE');
      return null;
    }
    if (this.transactionLevel > 0) await this.checkItemSize(newKey, newFullKey, item);
    // A row read from memcached is written back as a compare-and-swap against that read: a change another client made
    // in between is never overwritten (the COMMIT fails instead). A row the transaction wrote itself has no token.
    const cas = previous === null ? null : previous.cas;
    if (cas === null) {
      await this.write({ kind: 'set', key: newFullKey, item: item, expire: expire }, newKey);
    } else {
      const swapped = await this.write({ kind: 'cas', key: newFullKey, item: item, expire: expire, cas: cas }, newKey);
      if (!swapped) this.changedMeanwhile(newKey, newFullKey);
    }
    this.scanned.set(newKey, item);
    return null;
  }

  /** An UPDATE sent at once (outside a transaction) found the item changed by another client since it read it. */
  private changedMeanwhile(key: string, fullKey: string): never {
    return raiseError(
      `another client changed key ${quoteForMessage(key)} in memcached at ${this.servers.storeFor(fullKey).serverLabel} after this ` +
        'statement read it: the UPDATE was not applied',
      "The other client's value stays. Read the key again and retry.",
    );
  }

  /** `oldvalues` is the key of a row the scan found, so DELETE's row count is the number of keys that existed. */
  override async delete(oldvalues: SqlValue): Promise<void> {
    if (this.statsTable !== null) this.readOnly();
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

  // The function API (src/functions.ts): memcache_get, memcache_set, ... on this table go through the checks and the
  // write path of INSERT, UPDATE and DELETE. Each call is a statement of its own.

  /** The table's options, as checked when the instance was built. */
  get tableOptions(): CacheTableOptions {
    return this.settings;
  }

  /** The table's servers. */
  get serverPool(): ServerPool {
    return this.servers;
  }

  /** The memcached key of `key`: prefixed and validated (an invalid key is an ERROR naming it). */
  memcachedKey(key: string): string {
    return this.fullKey(key);
  }

  /**
   * Joins the backend's transaction at savepoint `level` (PostgreSQL's nesting level: 1 for the transaction), as
   * Multicorn's begin and sub_begin would; `serializable` is 1 under SERIALIZABLE. `fresh`: the backend's transaction
   * is not the one this instance last joined (begin it, whatever level that one left).
   */
  joinTransaction(serializable: number, level: number, fresh: boolean): void {
    if (fresh || this.transactionLevel === 0) this.begin(serializable);
    this.transactionLevel = level;
  }

  /** Whether `key` (memcached key `fullKey`) exists as the transaction sees it: its pending write, else memcached. */
  async existsInTransaction(key: string, fullKey: string): Promise<boolean> {
    return await this.existsForTransaction(key, fullKey, null);
  }

  /** An ERROR naming the key when `item` does not fit the server's item size, as for INSERT. */
  async checkValueSize(key: string, fullKey: string, item: StoredItem): Promise<void> {
    await this.checkItemSize(key, fullKey, item);
  }

  /**
   * One write as a statement of its own: recorded, then folded into the transaction's write set (or, under
   * write_mode immediate, sent). Returns what `write` returns (true when recorded).
   */
  async writeAsStatement(op: WriteOp, key: string): Promise<boolean> {
    const recorded = await this.write(op, key);
    await this.endModify();
    return recorded;
  }
}
