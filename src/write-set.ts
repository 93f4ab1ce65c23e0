// The writes a transaction has decided but not yet sent: one final operation per memcached key, layered by savepoint
// level so that ROLLBACK TO drops exactly the writes made since the savepoint and RELEASE folds them into the level
// below. Reads consult it (read-your-writes) through `readThrough`. A statement's own writes are gathered apart
// (StatementWrites) and join the transaction's only when the statement ends: a statement never sees its own writes,
// as in PostgreSQL, and its rows move between keys all at once (`UPDATE ... SET key = ...` may swap two keys).
import { ItemFacts, type CacheStore, type StoredItem, type WriteOp } from './cache-store';
import { nowSeconds } from './ports/runtime';
import { MAX_RELATIVE_EXPIRE } from './table-options';
import { raiseError } from './errors';
import { quoteForMessage } from './keys';

/** One pending write: the operation and the table side (server, prefix) that sends it. */
export class PendingWrite {
  readonly op: WriteOp;
  readonly store: CacheStore;

  constructor(op: WriteOp, store: CacheStore) {
    this.op = op;
    this.store = store;
  }
}

/** Where a key lives: the server (`host:port`) and the full memcached key; spaces cannot occur in either part. */
function entryId(store: CacheStore, fullKey: string): string {
  return store.serverLabel + ' ' + fullKey;
}

/**
 * The single operation that has the effect of `earlier` followed by `later` on one key. An add stays an add (the
 * key must still be absent at COMMIT) until a delete replaces it; an add after a delete becomes a set (the key is
 * this transaction's to overwrite); a touch after a pending store keeps that store's value with the new expiration.
 * A compare-and-swap keeps the token of the first read: whatever the transaction writes to the key afterwards is
 * still sent as a cas against that read, so another client's change in between is never overwritten.
 */
export function composeWrites(earlier: WriteOp | null, later: WriteOp): WriteOp {
  if (earlier === null) return later;
  if (later.kind === 'delete') return later;
  if (later.kind === 'set' || later.kind === 'cas') {
    if (earlier.kind === 'add') return { kind: 'add', key: later.key, item: later.item, expire: later.expire };
    if (earlier.kind === 'cas')
      return { kind: 'cas', key: later.key, item: later.item, expire: later.expire, cas: earlier.cas };
    if (later.kind === 'cas' && earlier.kind === 'set')
      return { kind: 'set', key: later.key, item: later.item, expire: later.expire };
    return later;
  }
  if (later.kind === 'add') {
    if (earlier.kind === 'delete') return { kind: 'set', key: later.key, item: later.item, expire: later.expire };
    return later;
  }
  // A touch: changes only the expiration of whatever the key holds by then.
  if (earlier.kind === 'set' || earlier.kind === 'add') {
    return { kind: earlier.kind, key: later.key, item: earlier.item, expire: later.expire };
  }
  if (earlier.kind === 'cas')
    return { kind: 'cas', key: later.key, item: earlier.item, expire: later.expire, cas: earlier.cas };
  if (earlier.kind === 'delete') return earlier;
  return later;
}

/**
 * The item a read sees for a pending store: its value and flags, no CAS token (memcached has not seen it), and the
 * remaining TTL its expiration gives (memcached's -1 for none; past 30 days `expire` is a unix time).
 */
function pendingItem(item: StoredItem, expire: number): StoredItem {
  let ttl = expire;
  if (expire === 0) ttl = -1;
  if (expire > MAX_RELATIVE_EXPIRE) ttl = expire - nowSeconds();
  return { value: item.value, flags: item.flags, cas: null, facts: new ItemFacts(ttl, null, null, null) };
}

/** The item a read sees for the pending write `pending`, or null when it hides the key (delete) or keeps memcached's (touch). */
export function pendingItemOf(pending: PendingWrite): StoredItem | null {
  const op = pending.op;
  if (op.kind === 'delete' || op.kind === 'touch') return null;
  return pendingItem(op.item, op.expire);
}

/** Pending writes by level: index 0 holds the top-level transaction (level 1), index n savepoint level n + 1. */
export class WriteSet {
  private levels: Array<Map<string, PendingWrite>>;

  constructor() {
    this.levels = [];
  }

  /** True when nothing is pending at any level. */
  isEmpty(): boolean {
    for (const level of this.levels) {
      if (level.size > 0) return false;
    }
    return true;
  }

  /** How many keys have a pending write (each key counted once). */
  keyCount(): number {
    return this.flattened().size;
  }

  /** The pending write that decides `fullKey` now: the one of the innermost level holding it, or null. */
  effective(store: CacheStore, fullKey: string): PendingWrite | null {
    if (this.levels.length === 0) return null;
    return this.effectiveById(entryId(store, fullKey));
  }

  private effectiveById(id: string): PendingWrite | null {
    for (let index = this.levels.length - 1; index >= 0; index--) {
      const found = this.levels[index]!.get(id);
      if (found !== undefined) return found;
    }
    return null;
  }

  /** The pending writes of keys on the server of `store`, each key's innermost write once. */
  pendingOn(store: CacheStore): PendingWrite[] {
    const found: PendingWrite[] = [];
    if (this.isEmpty()) return found;
    const label = store.serverLabel;
    for (const pending of this.flattened().values()) {
      if (pending.store.serverLabel === label) found.push(pending);
    }
    return found;
  }

  /** Records `op` at savepoint `level` (1 = the transaction itself), composed with what was pending for its key. */
  record(level: number, store: CacheStore, op: WriteOp): void {
    const depth = level < 1 ? 1 : level;
    while (this.levels.length < depth) this.levels.push(new Map<string, PendingWrite>());
    const id = entryId(store, op.key);
    const previous = this.effectiveById(id);
    const composed = previous === null ? op : composeWrites(previous.op, op);
    this.levels[depth - 1]!.set(id, new PendingWrite(composed, store));
  }

  /**
   * Read-your-writes: the items a scan of `fullKeys` sees, pending stores taking the place of memcached's items and
   * pending deletes hiding them. Only keys without a pending value are fetched from memcached (one get_many).
   */
  async readThrough(
    store: CacheStore,
    fullKeys: string[],
    withFacts: boolean = false,
  ): Promise<Map<string, StoredItem>> {
    if (this.isEmpty()) return await store.getMany(fullKeys, withFacts);
    const seen: Map<string, StoredItem> = new Map<string, StoredItem>();
    const toFetch = this.pendingView(store, fullKeys, seen);
    if (toFetch.length === 0) return seen;
    const fetched = await store.getMany(toFetch, withFacts);
    for (const [fullKey, item] of fetched) seen.set(fullKey, item);
    return seen;
  }

  /**
   * Puts into `seen` the items pending stores give `fullKeys` of `store` (pending deletes hide the key), and returns
   * the keys whose item only memcached can tell.
   */
  pendingView(store: CacheStore, fullKeys: string[], seen: Map<string, StoredItem>): string[] {
    if (this.isEmpty()) return fullKeys;
    const toFetch: string[] = [];
    for (const fullKey of fullKeys) {
      const pending = this.effective(store, fullKey);
      const op = pending === null ? null : pending.op;
      if (op === null || op.kind === 'touch') {
        toFetch.push(fullKey);
      } else if (op.kind !== 'delete') {
        seen.set(fullKey, pendingItem(op.item, op.expire));
      }
    }
    return toFetch;
  }

  /** ROLLBACK TO SAVEPOINT: the writes made at `level` and deeper are forgotten (repeating it changes nothing). */
  rollbackTo(level: number): void {
    const keep = level < 1 ? 0 : level - 1;
    while (this.levels.length > keep) this.levels.pop();
  }

  /** RELEASE SAVEPOINT: the writes made at `level` and deeper now belong to the level below (idempotent). */
  release(level: number): void {
    if (level < 2) return;
    while (this.levels.length >= level) {
      const innermost = this.levels.pop()!;
      const below = this.levels[this.levels.length - 1]!;
      for (const [id, pending] of innermost) below.set(id, pending);
    }
  }

  /** Forgets everything (COMMIT done, or ROLLBACK). */
  clear(): void {
    this.levels = [];
  }

  /** The final write of every key, in the order the keys were first written. */
  private flattened(): Map<string, PendingWrite> {
    const merged: Map<string, PendingWrite> = new Map<string, PendingWrite>();
    for (const level of this.levels) {
      for (const [id, pending] of level) merged.set(id, pending);
    }
    return merged;
  }

  /** Empties the set and returns its final writes, in the order the keys were first written. */
  takeAll(): PendingWrite[] {
    const writes: PendingWrite[] = [];
    for (const pending of this.flattened().values()) writes.push(pending);
    this.levels = [];
    return writes;
  }
}

/** What one statement does to one key: whether it removes the row that had the key, and the row the key ends with. */
class KeyChange {
  readonly store: CacheStore;
  readonly fullKey: string;
  /** The row of another key that moved here, or the row itself updated in place: set, add or touch. */
  endsWith: WriteOp | null;
  /** The statement deleted the row holding this key (DELETE, or an UPDATE that moved it to another key). */
  deleted: boolean;

  constructor(store: CacheStore, fullKey: string) {
    this.store = store;
    this.fullKey = fullKey;
    this.endsWith = null;
    this.deleted = false;
  }
}

/**
 * The writes of one statement through one table, applied together when the statement ends (end_modify). Within a
 * statement the deletes apply to the keys as they were before it and the stores to the keys as they are after it, as
 * a table's UPDATE replaces all its rows at once: `SET key = CASE key WHEN 'a' THEN 'b' ELSE 'a' END` swaps the two
 * items instead of deleting one of them. Two rows of one statement ending with the same key are an ERROR (memcached
 * holds one item per key, so one of them would be lost).
 */
export class StatementWrites {
  private changes: Map<string, KeyChange>;
  /** The savepoint level the statement runs at (0 before its first write). */
  private level: number;

  constructor() {
    this.changes = new Map<string, KeyChange>();
    this.level = 0;
  }

  isEmpty(): boolean {
    return this.changes.size === 0;
  }

  /** The savepoint level of the statement's writes. */
  get savepointLevel(): number {
    return this.level;
  }

  /**
   * Records one write of the statement at savepoint `level`. A second row ending with a key this statement already
   * wrote is an ERROR naming the key (`userKey`, as the user wrote it).
   */
  record(level: number, store: CacheStore, op: WriteOp, userKey: string): void {
    this.level = level;
    const id = entryId(store, op.key);
    let change = this.changes.get(id);
    if (change === undefined) {
      change = new KeyChange(store, op.key);
      this.changes.set(id, change);
    }
    if (op.kind === 'delete') {
      change.deleted = true;
      return;
    }
    if (change.endsWith !== null) this.writtenTwice(userKey);
    change.endsWith = op;
  }

  /** An ERROR for a key two rows of the statement end with. */
  writtenTwice(userKey: string): never {
    return raiseError(
      'a statement cannot write key ' + quoteForMessage(userKey) + ' twice: memcached holds one item per key',
      'Give each row of the statement its own key (SELECT DISTINCT ON (key) ..., or one statement per row).',
    );
  }

  /**
   * Whether the statement already decided what `fullKey` holds after it: 'ends' when a row ends with the key,
   * 'deleted' when it only removed the key, null when it did not touch it.
   */
  decided(store: CacheStore, fullKey: string): 'ends' | 'deleted' | null {
    const change = this.changes.get(entryId(store, fullKey));
    if (change === undefined) return null;
    return change.endsWith !== null ? 'ends' : 'deleted';
  }

  /** Empties the statement and returns one final write per key, in the order the keys were first written. */
  takeAll(): PendingWrite[] {
    const writes: PendingWrite[] = [];
    for (const change of this.changes.values()) {
      const op: WriteOp | null = change.endsWith;
      if (op === null) {
        writes.push(new PendingWrite({ kind: 'delete', key: change.fullKey }, change.store));
      } else if (op.kind === 'touch' && change.deleted) {
        // A touch keeps the row at its key; a delete of the same key in the statement removed that row.
        writes.push(new PendingWrite({ kind: 'delete', key: op.key }, change.store));
      } else if (change.deleted && op.kind === 'add') {
        // The key was this statement's to remove, so the row that ends with it overwrites whatever another client
        // may have stored meanwhile, as composeWrites makes an add after a delete a set.
        writes.push(new PendingWrite({ kind: 'set', key: op.key, item: op.item, expire: op.expire }, change.store));
      } else {
        writes.push(new PendingWrite(op, change.store));
      }
    }
    this.clear();
    return writes;
  }

  /** Forgets the statement's writes (the statement failed, or the transaction ended). */
  clear(): void {
    this.changes = new Map<string, KeyChange>();
    this.level = 0;
  }
}
