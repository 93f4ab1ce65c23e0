// The backend's pending writes and how they reach memcached. Multicorn calls the transaction hooks of every wrapper
// instance used in a transaction, so the write set is shared by all cache tables of the backend: whichever instance
// hears pre_commit (or commit) first sends everything (grouped per server, pipelined), the others find nothing left,
// and every hook is idempotent. A statement's writes join the write set when the statement ends (StatementWrites).
//
// When the writes leave: at pre_commit, so that a memcached failure is an ERROR that aborts the transaction, except
// under SERIALIZABLE, where PostgreSQL's own commit-time check (a serialization failure) comes after pre_commit: there
// they leave at commit, once PostgreSQL has committed, and a memcached failure can only be a WARNING. A transaction
// that aborts after its writes were sent (something after pre_commit failed) gets them deleted again.
import {
  describeFailure,
  type CacheStore,
  type CasOp,
  type StoredItem,
  type StoreOp,
  type TouchOp,
  type WriteBatch,
} from './cache-store';
import { raiseError, warn } from './errors';
import { TransportFailure } from './memcache/connection';
import { keyListText, quoteForMessage } from './keys';
import { intToString } from './ports/runtime';
import { PendingWrite, StatementWrites, WriteSet } from './write-set';

/** Writes of write_mode commit tables, sent at COMMIT (pre_commit, or commit under SERIALIZABLE), forgotten on ROLLBACK. */
export const transactionWrites: WriteSet = new WriteSet();

/** Where the backend's transaction stands, as the hooks told it. */
class TransactionState {
  /** The transaction is SERIALIZABLE (Multicorn's begin(1)): its writes wait for commit rather than pre_commit. */
  serializable: boolean;
  /** Statements that wrote and have not ended: their writes join the write set at end_modify. */
  readonly openStatements: Set<StatementWrites>;
  /**
   * Writes memcached applied at pre_commit. Cleared by commit; a rollback that finds them knows the transaction
   * aborted after they were sent, and deletes them again.
   */
  sent: PendingWrite[];

  constructor() {
    this.serializable = false;
    this.openStatements = new Set<StatementWrites>();
    this.sent = [];
  }
}

const state: TransactionState = new TransactionState();

/** Keys per pipelined request: bounds the replies waiting in the socket and what one failure leaves unknown. */
export const KEYS_PER_BATCH = 1000;
/** Value bytes per pipelined set: a batch of large values is split so that one request stays a few megabytes. */
export const BYTES_PER_BATCH = 4194304;

/**
 * The HINT of a key that already exists where memcached's `add` was asked for: an INSERT under insert_mode add, or
 * memcache_add() of the function API (at the statement, or at COMMIT when another client created it meanwhile).
 */
export const DUPLICATE_HINT =
  "memcached's add only creates keys (an INSERT under insert_mode 'add', or memcache_add()): UPDATE an existing key " +
  "(or memcache_set()), or set insert_mode 'set' to let INSERT overwrite.";

/** `"a", "b", "c" and 12 more` (memcached keys as memcached holds them). */
function keyList(writes: PendingWrite[]): string {
  const keys: string[] = [];
  for (const write of writes) keys.push(write.op.key);
  return keyListText(keys);
}

/**
 * A flush that stopped: the ERROR (or, after PostgreSQL committed, the WARNING) its caller reports. The DETAIL says
 * which keys memcached applied, which were in flight, and which were not sent.
 */
export class FlushFailed extends Error {
  readonly hint: string | null;
  readonly detail: string;
  /** The writes whose fate is unknown: sent, and their replies lost. */
  readonly unknown: PendingWrite[];

  constructor(message: string, hint: string | null, detail: string, unknown: PendingWrite[] = []) {
    super(message);
    this.hint = hint;
    this.detail = detail;
    this.unknown = unknown;
  }
}

/** Where a flush stands: which writes memcached acknowledged, and which are in the request being sent. */
class FlushLedger {
  readonly writes: PendingWrite[];
  /** The writes memcached acknowledged; the caller's set, so that it knows them even when the flush fails. */
  readonly applied: Set<PendingWrite>;
  /** What is being sent ("the transaction's writes", "the statement's writes"), for messages. */
  readonly what: string;
  /** What becomes of the applied writes if the flush fails, for the DETAIL. */
  readonly aftermath: string;
  /**
   * Whether PostgreSQL has already committed (a SERIALIZABLE transaction's writes): nothing can abort then, so a key
   * another client created (add) or changed (compare-and-swap) keeps that client's value and the other writes still
   * go, where before the commit the first such key stops the flush.
   */
  readonly committed: boolean;
  /**
   * The writes memcached refused (another client's change won a compare-and-swap or an add; a set not stored), noted
   * as their replies arrive so that every DETAIL names them, whatever ends the flush; and, while `committed`, the
   * message and HINT of the first conflict, raised once everything else went.
   */
  readonly refused: PendingWrite[];
  firstConflict: [string, string] | null;

  constructor(writes: PendingWrite[], what: string, applied: Set<PendingWrite>, aftermath: string, committed: boolean) {
    this.writes = writes;
    this.applied = applied;
    this.what = what;
    this.aftermath = aftermath;
    this.committed = committed;
    this.refused = [];
    this.firstConflict = null;
  }

  /** Records a write memcached refused. */
  noteRefused(write: PendingWrite): void {
    this.refused.push(write);
  }

  /** After PostgreSQL committed: what the ERROR raised at the end of the flush says (the first conflict's words). */
  noteConflictMessage(message: string, hint: string): void {
    if (this.firstConflict === null) this.firstConflict = [message, hint];
  }

  /**
   * DETAIL of a failed flush: the keys applied, those whose fate is unknown (`inFlight`), those memcached refused
   * (noted as they were, whatever ended the flush), and those not sent.
   */
  detail(inFlight: PendingWrite[]): string {
    const unknown: Set<PendingWrite> = new Set<PendingWrite>(inFlight);
    const refused = this.refused;
    const refusedSet: Set<PendingWrite> = new Set<PendingWrite>(refused);
    const applied: PendingWrite[] = [];
    const notSent: PendingWrite[] = [];
    for (const write of this.writes) {
      if (this.applied.has(write)) {
        applied.push(write);
      } else if (!unknown.has(write) && !refusedSet.has(write)) {
        notSent.push(write);
      }
    }
    const parts: string[] = [];
    parts.push(
      'Of ' +
        intToString(this.writes.length) +
        ' key(s), memcached applied ' +
        intToString(applied.length) +
        (applied.length > 0 ? ' (' + keyList(applied) + ')' : '') +
        '.',
    );
    if (inFlight.length > 0) {
      parts.push(
        'Unknown, in flight when it failed: ' + intToString(inFlight.length) + ' (' + keyList(inFlight) + ').',
      );
    }
    if (refused.length > 0) {
      parts.push('Refused by memcached: ' + intToString(refused.length) + ' (' + keyList(refused) + ').');
    }
    if (notSent.length > 0) {
      parts.push('Not sent: ' + intToString(notSent.length) + ' (' + keyList(notSent) + ').');
    }
    return parts.join(' ');
  }

  /** Ends the flush for a client failure while `inFlight` was being sent to `store`'s server. */
  fail(error: unknown, store: CacheStore, action: string, batch: PendingWrite[], inFlight: PendingWrite[]): never {
    const target =
      batch.length === 1
        ? action + ' of key ' + quoteForMessage(store.userKey(batch[0]!.op.key))
        : action + ' of ' + intToString(batch.length) + ' keys';
    const report = describeFailure(error, store.endpoint, target);
    if (report === null) {
      if (error instanceof Error) throw error;
      throw new Error('unexpected failure during the ' + target);
    }
    throw new FlushFailed(
      report.message + ', while sending ' + this.what,
      report.hint,
      this.aftermath + this.detail(inFlight),
      inFlight,
    );
  }
}

/** Whether `error` happened before any byte of a request reached the server (a refused or timed-out connect). */
function nothingSent(error: unknown): boolean {
  return error instanceof TransportFailure && error.phase === 'connect';
}

/**
 * A pending set or add, with its operation narrowed to a store (the flush needs its item and expiration). This,
 * PendingTouch and FlushBatch are records (dicts in Python, a third of the cost of a class instance), built per write
 * and per batch of every flush.
 */
interface PendingSetOrAdd {
  readonly write: PendingWrite;
  readonly op: StoreOp;
}

/** A pending compare-and-swap, with its operation narrowed (the flush needs its token). */
interface PendingCas {
  readonly write: PendingWrite;
  readonly op: CasOp;
}

/** A pending touch, with its operation narrowed (the flush needs its expiration). */
interface PendingTouch {
  readonly write: PendingWrite;
  readonly op: TouchOp;
}

/** The pending writes of `stores`, for the ledger. */
function writesOf(stores: PendingSetOrAdd[]): PendingWrite[] {
  const writes: PendingWrite[] = [];
  for (const pending of stores) writes.push(pending.write);
  return writes;
}

/**
 * Splits `writes` into pipelined requests of at most KEYS_PER_BATCH keys and about BYTES_PER_BATCH value bytes
 * (`valueBytes` of a write: its item's size, 0 for a delete).
 */
function batches<T>(writes: T[], valueBytes: (write: T) => number): T[][] {
  const result: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const write of writes) {
    const size = valueBytes(write);
    if (current.length > 0 && (current.length >= KEYS_PER_BATCH || bytes + size > BYTES_PER_BATCH)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(write);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** Sets grouped by expiration (a batch of sets shares one expiration in the ledger's terms), in first-seen order. */
function byExpire(sets: PendingSetOrAdd[]): PendingSetOrAdd[][] {
  const groups: Map<number, PendingSetOrAdd[]> = new Map<number, PendingSetOrAdd[]>();
  for (const pending of sets) {
    const group = groups.get(pending.op.expire);
    if (group === undefined) {
      groups.set(pending.op.expire, [pending]);
    } else {
      group.push(pending);
    }
  }
  const result: PendingSetOrAdd[][] = [];
  for (const group of groups.values()) result.push(group);
  return result;
}

/** Touches grouped by expiration, in first-seen order. */
function touchesByExpire(touches: PendingTouch[]): PendingTouch[][] {
  const groups: Map<number, PendingTouch[]> = new Map<number, PendingTouch[]>();
  for (const pending of touches) {
    const group = groups.get(pending.op.expire);
    if (group === undefined) {
      groups.set(pending.op.expire, [pending]);
    } else {
      group.push(pending);
    }
  }
  const result: PendingTouch[][] = [];
  for (const group of groups.values()) result.push(group);
  return result;
}

/** One pipelined request of a flush and the pending writes it carries, in the order of its commands. */
interface FlushBatch {
  readonly batch: WriteBatch;
  readonly writes: PendingWrite[];
}

/** One server's share of a flush: its batches in sending order, and how far they got. */
class ServerWrites {
  readonly store: CacheStore;
  readonly sets: PendingSetOrAdd[];
  readonly deletes: PendingWrite[];
  readonly touches: PendingTouch[];
  batches: FlushBatch[];
  next: number;

  constructor(store: CacheStore) {
    this.store = store;
    this.sets = [];
    this.deletes = [];
    this.touches = [];
    this.batches = [];
    this.next = 0;
  }

  /** The server's batches: sets (per expiration), then deletes, then touches (per expiration). */
  plan(): void {
    const store = this.store;
    for (const group of byExpire(this.sets)) {
      for (const setBatch of batches(group, (pendingSet: PendingSetOrAdd) => pendingSet.op.item.value.length)) {
        const keys: string[] = [];
        const items: StoredItem[] = [];
        for (const pendingSet of setBatch) {
          keys.push(pendingSet.op.key);
          items.push(pendingSet.op.item);
        }
        this.batches.push({ batch: store.setBatch(keys, items, setBatch[0]!.op.expire), writes: writesOf(setBatch) });
      }
    }
    // (Most flushes are of one kind: the others cost no call.)
    if (this.deletes.length > 0) this.planDeletes();
    if (this.touches.length > 0) this.planTouches();
  }

  private planDeletes(): void {
    const store = this.store;
    for (const deleteBatch of batches(this.deletes, (deleteWrite: PendingWrite) => 0)) {
      const keys: string[] = [];
      for (const deleteWrite of deleteBatch) keys.push(deleteWrite.op.key);
      this.batches.push({ batch: store.deleteBatch(keys), writes: deleteBatch });
    }
  }

  private planTouches(): void {
    const store = this.store;
    for (const touchGroup of touchesByExpire(this.touches)) {
      for (const touchBatch of batches(touchGroup, (pendingTouch: PendingTouch) => 0)) {
        const keys: string[] = [];
        const writes: PendingWrite[] = [];
        for (const pendingTouch of touchBatch) {
          keys.push(pendingTouch.op.key);
          writes.push(pendingTouch.write);
        }
        this.batches.push({ batch: store.touchBatch(keys, touchBatch[0]!.op.expire), writes: writes });
      }
    }
  }
}

/**
 * `add`s go first, one acknowledged request each: memcached has no add_many, and an add that finds its key taken (a
 * client created it after the statement checked) must stop the flush before anything else is sent. The keys this
 * flush already added did not exist before it, so they are deleted again and memcached is left as it was.
 */
async function sendAdds(adds: PendingSetOrAdd[], ledger: FlushLedger): Promise<void> {
  const added: PendingWrite[] = [];
  for (const pending of adds) {
    const write = pending.write;
    let stored: boolean;
    try {
      stored = await write.store.addOne(pending.op);
    } catch (error) {
      ledger.fail(error, write.store, 'add', [write], nothingSent(error) ? [] : [write]);
    }
    if (!stored && ledger.committed) {
      const key = quoteForMessage(write.store.userKey(write.op.key));
      ledger.noteRefused(write);
      ledger.noteConflictMessage(
        `duplicate key value: key ${key} already exists in memcached at ${write.store.serverLabel}`,
        DUPLICATE_HINT,
      );
      continue;
    }
    if (!stored) {
      let undone = true;
      for (const done of added) {
        try {
          await done.store.deletePipelined([done.op.key]);
          ledger.applied.delete(done);
        } catch (error) {
          undone = false;
        }
      }
      const key = write.store.userKey(write.op.key);
      const outcome = undone
        ? '; the keys added before it were deleted again.'
        : `. ${ledger.aftermath}${ledger.detail([])}`;
      throw new FlushFailed(
        `duplicate key value: key ${quoteForMessage(key)} already exists in memcached at ${write.store.serverLabel}`,
        DUPLICATE_HINT,
        `Another client created it after the INSERT checked it, so ${ledger.what} were not applied${outcome}`,
      );
    }
    added.push(write);
    ledger.applied.add(write);
  }
}

/**
 * The compare-and-swaps go next, before anything that cannot be taken back: an UPDATE's write of a row it read is
 * applied only if no other client changed the item since the read. One pipelined batch per server; a key another
 * client changed (EXISTS) or deleted (NOT_FOUND) keeps the other client's value, and stops the flush with an ERROR
 * naming it before the rest of the transaction is sent (after PostgreSQL committed, the rest still goes and the
 * ERROR is raised at the end, see FlushLedger.committed).
 */
async function sendSwaps(swaps: PendingCas[], ledger: FlushLedger): Promise<void> {
  if (swaps.length === 0) return;
  const perServer: Map<string, PendingCas[]> = new Map<string, PendingCas[]>();
  for (const swap of swaps) {
    const group = perServer.get(swap.write.store.serverLabel);
    if (group === undefined) {
      perServer.set(swap.write.store.serverLabel, [swap]);
    } else {
      group.push(swap);
    }
  }
  const conflicts: PendingWrite[] = [];
  let conflictReason = '';
  for (const group of perServer.values()) {
    const store = group[0]!.write.store;
    for (const swapBatch of batches(group, (swap: PendingCas) => swap.op.item.value.length)) {
      const ops: CasOp[] = [];
      const batchWrites: PendingWrite[] = [];
      for (const swap of swapBatch) {
        ops.push(swap.op);
        batchWrites.push(swap.write);
      }
      const batch = store.casBatch(ops);
      try {
        await store.sendBatch(batch);
      } catch (error) {
        ledger.fail(error, store, 'cas', batchWrites, nothingSent(error) ? [] : batchWrites);
      }
      const outcome = await store.receiveBatch(batch);
      const rejected: Map<string, string> = new Map<string, string>();
      for (const refusal of outcome.rejected) rejected.set(refusal.key, refusal.reason);
      const inFlight: PendingWrite[] = [];
      for (let i = 0; i < batchWrites.length; i++) {
        const write = batchWrites[i]!;
        const reason = rejected.get(write.op.key);
        if (i >= outcome.answered) {
          inFlight.push(write);
        } else if (reason === undefined) {
          ledger.applied.add(write);
        } else {
          conflicts.push(write);
          ledger.noteRefused(write);
          if (conflictReason === '') conflictReason = reason;
        }
      }
      if (outcome.failure !== null) ledger.fail(outcome.failure, store, 'cas', batchWrites, inFlight);
    }
  }
  if (conflicts.length === 0) return;
  const first = conflicts[0]!;
  const key = quoteForMessage(first.store.userKey(first.op.key));
  const what = conflictReason === 'NOT_FOUND' ? 'deleted' : 'changed';
  const message =
    `another client ${what} key ${key} in memcached at ${first.store.serverLabel} after this transaction read it: ` +
    `the compare-and-swap of ${intToString(conflicts.length)} key(s) was not applied`;
  const hint =
    "The other client's value stays. Read the key again and retry the transaction: an UPDATE (and memcache_append or " +
    "memcache_prepend under write_mode 'commit') is sent as a compare-and-swap against the value it read, so it " +
    'never overwrites a change it did not see.';
  if (ledger.committed) {
    ledger.noteConflictMessage(message, hint);
    return;
  }
  throw new FlushFailed(message, hint, ledger.aftermath + ledger.detail([]));
}

/** What a batch's action is called in messages. */
function actionOf(batch: WriteBatch): string {
  return batch.kind;
}

/**
 * Sends `writes` (each key's final operation): adds first; then every server's sets (grouped by expiration),
 * deletes and touches as pipelined batches of up to KEYS_PER_BATCH keys, in rounds: each round sends one batch to
 * every server before reading any server's replies, so the servers work in parallel. A failure throws FlushFailed,
 * whose DETAIL names the keys applied (also left in `applied`), the keys in flight, and the keys not sent; `aftermath`
 * tells what becomes of the applied ones. A touch of a key memcached no longer holds is a WARNING, not a failure.
 */
export async function flushWrites(
  writes: PendingWrite[],
  what: string,
  applied: Set<PendingWrite>,
  aftermath: string,
  committed: boolean = false,
): Promise<void> {
  if (writes.length === 0) return;
  const ledger: FlushLedger = new FlushLedger(writes, what, applied, aftermath, committed);
  const adds: PendingSetOrAdd[] = [];
  const swaps: PendingCas[] = [];
  const servers: Map<string, ServerWrites> = new Map<string, ServerWrites>();
  for (const write of writes) {
    const op = write.op;
    if (op.kind === 'add') {
      adds.push({ write: write, op: op });
      continue;
    }
    if (op.kind === 'cas') {
      swaps.push({ write: write, op: op });
      continue;
    }
    let server = servers.get(write.store.serverLabel);
    if (server === undefined) {
      server = new ServerWrites(write.store);
      servers.set(write.store.serverLabel, server);
    }
    if (op.kind === 'delete') {
      server.deletes.push(write);
    } else if (op.kind === 'touch') {
      server.touches.push({ write: write, op: op });
    } else {
      server.sets.push({ write: write, op: op });
    }
  }
  if (adds.length > 0) await sendAdds(adds, ledger);
  if (swaps.length > 0) await sendSwaps(swaps, ledger);
  const flushes: ServerWrites[] = [];
  for (const server of servers.values()) {
    server.plan();
    flushes.push(server);
  }
  let failure: unknown = null;
  let failedStore: CacheStore | null = null;
  let failedAction = '';
  let failedBatch: PendingWrite[] = [];
  const inFlight: PendingWrite[] = [];
  const notStored: PendingWrite[] = [];
  let notStoredServer: CacheStore | null = null;
  let notStoredReason = '';
  // Before PostgreSQL committed, a key memcached did not store ends the flush (the transaction aborts); after, the
  // rest still goes and the ERROR names them all.
  while (failure === null && (notStored.length === 0 || ledger.committed)) {
    const round: ServerWrites[] = [];
    for (const server of flushes) {
      if (server.next < server.batches.length) round.push(server);
    }
    if (round.length === 0) break;
    const sent: ServerWrites[] = [];
    for (const server of round) {
      const flushBatch = server.batches[server.next]!;
      try {
        await server.store.sendBatch(flushBatch.batch);
        sent.push(server);
      } catch (error) {
        if (failure === null) {
          failure = error;
          failedStore = server.store;
          failedAction = actionOf(flushBatch.batch);
          failedBatch = flushBatch.writes;
        }
        if (!nothingSent(error)) {
          for (const write of flushBatch.writes) inFlight.push(write);
        }
      }
    }
    for (const server of sent) {
      const flushBatch = server.batches[server.next]!;
      server.next += 1;
      const outcome = await server.store.receiveBatch(flushBatch.batch);
      const refusedKeys: Map<string, string> = new Map<string, string>();
      for (const refusal of outcome.rejected) refusedKeys.set(refusal.key, refusal.reason);
      const vanished: string[] = [];
      for (let i = 0; i < flushBatch.writes.length; i++) {
        const write = flushBatch.writes[i]!;
        if (i >= outcome.answered) {
          // The replies stopped before this command's: memcached may or may not have applied it.
          inFlight.push(write);
          continue;
        }
        const reason = refusedKeys.get(write.op.key);
        if (reason === undefined) {
          ledger.applied.add(write);
        } else if (flushBatch.batch.kind === 'set') {
          notStored.push(write);
          ledger.noteRefused(write);
          if (notStoredServer === null) {
            notStoredServer = server.store;
            notStoredReason = reason;
          }
        } else {
          // A delete of a key memcached does not hold, or a touch of one it no longer holds: the key is absent.
          ledger.applied.add(write);
          if (flushBatch.batch.kind === 'touch') vanished.push(server.store.userKey(write.op.key));
        }
      }
      if (vanished.length > 0) warnVanishedTouches(server.store, vanished, what);
      if (outcome.failure !== null && failure === null) {
        failure = outcome.failure;
        failedStore = server.store;
        failedAction = actionOf(flushBatch.batch);
        failedBatch = flushBatch.writes;
      }
    }
  }
  if (failure !== null && failedStore !== null) ledger.fail(failure, failedStore, failedAction, failedBatch, inFlight);
  if (notStored.length > 0 && notStoredServer !== null) {
    throw new FlushFailed(
      'memcached at ' +
        notStoredServer.serverLabel +
        ' did not store ' +
        intToString(notStored.length) +
        ' key(s) while receiving ' +
        what +
        ': ' +
        notStoredReason,
      'See the memcached server log for the cause.',
      ledger.aftermath + ledger.detail([]),
    );
  }
  if (ledger.firstConflict !== null) {
    const [message, hint] = ledger.firstConflict;
    throw new FlushFailed(message, hint, ledger.aftermath + ledger.detail([]));
  }
}

/**
 * An expire-only UPDATE is a `touch` at COMMIT, and touch does not create keys: a key that expired, was evicted or
 * was deleted by another client after the UPDATE read it stays absent. That is what the transaction would see had it
 * run at COMMIT time, so the COMMIT goes on (failing it would leave the writes already sent applied anyway), and a
 * WARNING names the keys instead of losing the NOT_FOUND.
 */
export function warnVanishedTouches(store: CacheStore, userKeys: string[], what: string): void {
  warn(
    `memcached at ${store.serverLabel} no longer held ${intToString(userKeys.length)} key(s) whose expiration ` +
      `this transaction changed (${keyListText(userKeys)}), while sending ${what}: they expired, were evicted or ` +
      'were deleted before COMMIT, and stay absent',
    'An UPDATE of expire alone, like memcache_touch, is a memcached touch, which does not create keys; INSERT a key ' +
      'to store it again.',
  );
}

/** DETAIL opening of a failed flush whose applied writes stay (write_mode immediate, or after PostgreSQL committed). */
const APPLIED_STAYS = 'memcached has no transactions: what it applied stays. ';
/** DETAIL opening of a failed flush at pre_commit: the transaction aborts, and rollback deletes what was applied. */
const APPLIED_UNDONE =
  'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ';

/** The backend's hooks: begin. `serializable` is Multicorn's begin argument (1 under SERIALIZABLE). */
export function beginTransaction(serializable: boolean): void {
  state.serializable = serializable;
}

/** A statement has written through a table: its writes join the write set when it ends (or at COMMIT at the latest). */
export function statementOpened(statement: StatementWrites): void {
  state.openStatements.add(statement);
}

/** The statement's writes join the transaction's write set, at the statement's savepoint level. */
export function foldStatement(statement: StatementWrites): void {
  state.openStatements.delete(statement);
  const level = statement.savepointLevel;
  for (const write of statement.takeAll()) transactionWrites.record(level, write.store, write.op);
}

/** write_mode immediate: the statement's writes are sent as it ends; a failure is an ERROR and what was applied stays. */
export async function sendStatement(statement: StatementWrites): Promise<void> {
  state.openStatements.delete(statement);
  const writes = statement.takeAll();
  try {
    await flushWrites(writes, "the statement's writes", new Set<PendingWrite>(), APPLIED_STAYS);
  } catch (error) {
    if (error instanceof FlushFailed) raiseError(error.message, error.hint, error.detail);
    throw error;
  }
}

/** Statements still open at COMMIT (PostgreSQL ends every statement first; nothing is dropped if one did not). */
function foldOpenStatements(): void {
  const open: StatementWrites[] = [];
  for (const statement of state.openStatements) open.push(statement);
  for (const statement of open) foldStatement(statement);
}

/**
 * pre_commit: the write set goes to memcached, except under SERIALIZABLE (then commit sends it). A failure is an ERROR,
 * which aborts the transaction; the writes memcached applied are remembered so that rollback deletes them again.
 */
export async function sendAtPreCommit(): Promise<void> {
  if (state.openStatements.size > 0) foldOpenStatements();
  if (state.serializable || transactionWrites.isEmpty()) return;
  const applied: Set<PendingWrite> = new Set<PendingWrite>();
  try {
    await flushWrites(transactionWrites.takeAll(), "the transaction's writes", applied, APPLIED_UNDONE);
  } catch (error) {
    for (const write of applied) state.sent.push(write);
    if (error instanceof FlushFailed) {
      // Writes whose replies were lost may have been applied: rollback deletes them with the applied ones.
      for (const write of error.unknown) state.sent.push(write);
      raiseError(error.message, error.hint, error.detail);
    }
    throw error;
  }
  for (const write of applied) state.sent.push(write);
}

/**
 * commit: PostgreSQL has committed. Under SERIALIZABLE the write set is sent now, after PostgreSQL's commit-time
 * serialization check; nothing may raise here (the transaction is over), so a failure is a WARNING naming the keys.
 */
export async function sendAtCommit(): Promise<void> {
  state.sent = [];
  if (state.openStatements.size > 0) foldOpenStatements();
  // A transaction that only read (or sent its writes at pre_commit) has nothing to take.
  const writes = transactionWrites.isEmpty() ? [] : transactionWrites.takeAll();
  forgetAll();
  if (writes.length === 0) return;
  try {
    await flushWrites(writes, "the transaction's writes", new Set<PendingWrite>(), APPLIED_STAYS, true);
  } catch (error) {
    if (error instanceof FlushFailed) {
      warn(error.message + ' after PostgreSQL committed the transaction', error.hint, error.detail);
    } else {
      warn(
        "sending the transaction's writes after PostgreSQL committed failed: " +
          (error instanceof Error ? error.message : 'unknown error'),
      );
    }
  }
}

/**
 * rollback: nothing pending is sent. Writes memcached applied at pre_commit belong to a transaction that did not
 * commit after all (a later commit step failed), so they are deleted again, with a WARNING naming them; nothing here
 * may raise (the transaction is already aborting).
 */
export async function abandonTransaction(): Promise<void> {
  forgetAll();
  const sent = state.sent;
  state.sent = [];
  if (sent.length === 0) return;
  const undone: PendingWrite[] = [];
  for (const write of sent) {
    if (write.op.kind !== 'delete') undone.push(new PendingWrite({ kind: 'delete', key: write.op.key }, write.store));
  }
  const applied: Set<PendingWrite> = new Set<PendingWrite>();
  let failure: string | null = null;
  try {
    await flushWrites(undone, "the deletes of the aborted transaction's writes", applied, APPLIED_STAYS);
  } catch (error) {
    if (error instanceof FlushFailed) {
      failure = error.message + ' (' + error.detail + ')';
    } else {
      failure = error instanceof Error ? error.message : 'unknown error';
    }
  }
  warn(
    `the transaction aborted after its writes to ${intToString(sent.length)} key(s) were sent to memcached (${keyList(sent)})`,
    failure === null
      ? 'Those keys were deleted again: memcached misses them instead of holding values of a transaction that did not commit.'
      : 'Deleting them again failed: ' + failure,
  );
}

/** The transaction ended (after COMMIT, or ROLLBACK): nothing stays pending. */
export function forgetAll(): void {
  transactionWrites.clear();
  for (const statement of state.openStatements) statement.clear();
  state.openStatements.clear();
  state.serializable = false;
}

/** ROLLBACK TO SAVEPOINT (or a failed subtransaction) at `level`: the writes made since are dropped. */
export function rollbackToLevel(level: number): void {
  transactionWrites.rollbackTo(level);
  const dropped: StatementWrites[] = [];
  for (const statement of state.openStatements) {
    if (statement.savepointLevel >= level) dropped.push(statement);
  }
  for (const statement of dropped) {
    statement.clear();
    state.openStatements.delete(statement);
  }
}

/** RELEASE SAVEPOINT at `level`: the writes made since belong to the enclosing level. */
export function releaseLevel(level: number): void {
  transactionWrites.release(level);
}
