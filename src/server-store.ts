// One server of a cache table that has several servers or a server-failure policy, and the backend's registry of
// failed servers: a server that fails is marked down for `retry_interval` seconds (per backend, shared by every table
// naming it), and a read of it follows `on_server_error` (`error` fails the statement, `miss` reads its keys as misses
// with a WARNING). Which server holds a key, and what the pool does while one is down, is server-pool.ts.
import {
  CacheStore,
  describeFailure,
  isOutage,
  operationText,
  raiseFailure,
  type BatchOutcome,
  type StoredItem,
  type StoreOp,
  type WriteBatch,
} from './cache-store';
import { warn } from './errors';
import { ErrorReply, type StatEntry } from './memcache/protocol';
import { intToString, nowSeconds } from './ports/runtime';
import type { ServerEndpoint } from './table-options';

/** When each server (`host:port`) last failed, in unix seconds. A later success forgets it. */
export const failedAt: Map<string, number> = new Map<string, number>();

/** Forgets every failure (Node tests only; a backend forgets a server's failure when it answers again). */
export function forgetServerFailures(): void {
  failedAt.clear();
}

/** Whether the server `label` failed less than `retryInterval` seconds ago, so that it is not tried now. */
export function isMarkedDown(label: string, retryInterval: number): boolean {
  if (retryInterval <= 0) return false;
  const at = failedAt.get(label);
  return at !== undefined && nowSeconds() < at + retryInterval;
}

/** A failure after which on_server_error miss reads a server's keys as misses: an outage, or a SERVER_ERROR. */
export function missable(error: unknown): boolean {
  return isOutage(error) || (error instanceof ErrorReply && error.kind === 'SERVER_ERROR');
}

export function noteFailure(label: string, error: unknown): void {
  if (isOutage(error)) failedAt.set(label, nowSeconds());
}

export function noteSuccess(label: string): void {
  if (failedAt.size > 0) failedAt.delete(label);
}

/**
 * The cache-table side of one server of a table with several servers, or with a server-failure policy: the
 * operations of CacheStore, with each outage noted (so that the server is left alone for retry_interval) and reads
 * following on_server_error.
 */
export class ServerStore extends CacheStore {
  /** on_server_error miss: a read that fails takes this server's keys as misses, with a WARNING. */
  private readonly missOnFailure: boolean;
  private readonly retryInterval: number;

  constructor(endpoint: ServerEndpoint, prefix: string, missOnFailure: boolean, retryInterval: number) {
    super(endpoint, prefix);
    this.missOnFailure = missOnFailure;
    this.retryInterval = retryInterval;
  }

  /** A failed `get` marks an outage, and under on_server_error miss reads this server's keys as misses. */
  protected override readFailed(
    error: unknown,
    chunk: string[],
    found: Map<string, StoredItem>,
  ): Map<string, StoredItem> {
    noteFailure(this.serverLabel, error);
    const what = operationText('get', chunk.length === 1 ? this.userKey(chunk[0]!) : null);
    const report = describeFailure(error, this.endpoint, what);
    if (report === null || !this.missOnFailure || !missable(error)) {
      return raiseFailure(error, this.endpoint, what);
    }
    warn(
      report.message + '; its keys are read as misses (on_server_error miss)',
      this.retryInterval > 0
        ? 'It is not tried again for ' + intToString(this.retryInterval) + ' seconds (retry_interval).'
        : report.hint,
    );
    return found;
  }

  protected override readSucceeded(): void {
    noteSuccess(this.serverLabel);
  }

  /** memcached's `stats`, noting an outage (the write path asks `stats settings` for the item size limit). */
  override async fetchStats(command: string): Promise<StatEntry[]> {
    try {
      const stats = await super.fetchStats(command);
      noteSuccess(this.serverLabel);
      return stats;
    } catch (error) {
      noteFailure(this.serverLabel, error);
      throw error;
    }
  }

  // The pipelined sends of a flush: failures propagate as they are (the flush reports them), outages are noted.

  override async addOne(op: StoreOp): Promise<boolean> {
    try {
      const stored = await super.addOne(op);
      noteSuccess(this.serverLabel);
      return stored;
    } catch (error) {
      noteFailure(this.serverLabel, error);
      throw error;
    }
  }

  override async sendBatch(batch: WriteBatch): Promise<void> {
    try {
      await super.sendBatch(batch);
    } catch (error) {
      noteFailure(this.serverLabel, error);
      throw error;
    }
  }

  override async receiveBatch(batch: WriteBatch): Promise<BatchOutcome> {
    const outcome = await super.receiveBatch(batch);
    if (outcome.failure === null) {
      noteSuccess(this.serverLabel);
    } else {
      noteFailure(this.serverLabel, outcome.failure);
    }
    return outcome;
  }
}
