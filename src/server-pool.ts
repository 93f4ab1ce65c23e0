// The servers of one table and which of them holds each key: the table's `distribution` over its `servers` list
// places every key where the application's own client places it (docs/servers.md). A statement's keys are grouped per
// server and each server gets all of its keys in one pipelined request, sent to every server before any reply is read
// (the servers work in parallel). While a server is marked down (server-store.ts) its keys go where the matching
// client sends them while it is down (`serverForWhileDown`), and where that client fails them instead (ketama),
// `on_server_error` decides: `error` fails the statement, `miss` reads them as misses with a WARNING. Writes to a
// server that is down always fail. What EXPLAIN says about the pool is explain-text.ts's.
import {
  CacheStore,
  describeFailure,
  isClientFailure,
  raiseFailure,
  type PendingGet,
  type StoredItem,
} from './cache-store';
import { createDistribution, DistributionError, type Distribution } from './distribution/index';
import { raiseError, warn } from './errors';
import { keyCountText, quoteForMessage, stripPrefix } from './keys';
import { LISTING_TEXT, raiseListingFailure } from './item-dump';
import { CommandRefused } from './proxies';
import type { StatEntry } from './memcache/protocol';
import { intToString, parseDecimalInt } from './ports/runtime';
import { OPTION_HINT, type ServerEndpoint, type ServerSetOptions } from './table-options';
import { failedAt, isMarkedDown, missable, noteFailure, noteSuccess, ServerStore } from './server-store';
import type { WriteSet } from './write-set';

/** One server's statistics, as the stats table shows them. */
export class ServerStats {
  readonly endpoint: ServerEndpoint;
  readonly stats: StatEntry[];

  constructor(endpoint: ServerEndpoint, stats: StatEntry[]) {
    this.endpoint = endpoint;
    this.stats = stats;
  }
}

/** Where a statement's keys go: the keys of each server position, and the keys no server can take now. */
class KeyGroups {
  readonly perServer: string[][];
  /** Keys whose server is marked down and which the matching client does not move, by their server's position. */
  readonly stranded: string[][];
  /** The positions of servers marked down some of whose keys moved to other servers. */
  readonly moved: Set<number>;

  constructor(serverCount: number) {
    this.perServer = [];
    this.stranded = [];
    this.moved = new Set<number>();
    for (let i = 0; i < serverCount; i++) {
      this.perServer.push([]);
      this.stranded.push([]);
    }
  }
}

/** The servers of one table (its prefix included): key placement, grouping per server, and the failure policy. */
export class ServerPool {
  readonly settings: ServerSetOptions;
  /** One CacheStore per server, in list order. */
  readonly stores: CacheStore[];
  private readonly prefix: string;
  private readonly distribution: Distribution;
  /** The store of a one-server table: every key goes there without hashing. */
  readonly only: CacheStore | null;

  constructor(settings: ServerSetOptions, prefix: string) {
    this.settings = settings;
    this.prefix = prefix;
    try {
      this.distribution = createDistribution(settings.distribution, settings.addresses);
    } catch (error) {
      if (error instanceof DistributionError)
        raiseError('invalid value for option "servers": ' + error.message, OPTION_HINT);
      throw error;
    }
    // A plain CacheStore where nothing is to be noted or decided: the one-server table of host/port, as before.
    const policed = settings.listed || settings.onServerError === 'miss' || settings.retryInterval > 0;
    this.stores = [];
    for (const endpoint of settings.endpoints) {
      this.stores.push(
        policed
          ? new ServerStore(endpoint, prefix, settings.onServerError === 'miss', settings.retryInterval)
          : new CacheStore(endpoint, prefix),
      );
    }
    this.only = this.stores.length === 1 ? this.stores[0]! : null;
  }

  /** Whether any server of the table is marked down now (never, while no server has failed). */
  private anyDown(): boolean {
    if (failedAt.size === 0 || this.settings.retryInterval <= 0) return false;
    for (const store of this.stores) {
      if (isMarkedDown(store.serverLabel, this.settings.retryInterval)) return true;
    }
    return false;
  }

  /** Per server position, whether it is marked down now. */
  private downFlags(): boolean[] {
    const flags: boolean[] = [];
    for (const store of this.stores) flags.push(isMarkedDown(store.serverLabel, this.settings.retryInterval));
    return flags;
  }

  /** The key the application hands its client: the distribution hashes keys without the table's prefix. */
  private applicationKey(fullKey: string): string {
    if (this.prefix === '') return fullKey;
    const key = stripPrefix(this.prefix, fullKey);
    return key === null ? fullKey : key;
  }

  /** The server position the application's client picks for `fullKey` while every server is up. */
  homeOf(fullKey: string): number {
    if (this.only !== null) return 0;
    return this.distribution.serverFor(this.applicationKey(fullKey));
  }

  /** `fullKeys` grouped by the server that holds each key now (see KeyGroups). */
  private group(fullKeys: string[]): KeyGroups {
    const groups = new KeyGroups(this.stores.length);
    if (!this.anyDown()) {
      if (this.only !== null) {
        for (const fullKey of fullKeys) groups.perServer[0]!.push(fullKey);
        return groups;
      }
      const distribution = this.distribution;
      for (const fullKey of fullKeys) {
        groups.perServer[distribution.serverFor(this.applicationKey(fullKey))]!.push(fullKey);
      }
      return groups;
    }
    const down = this.downFlags();
    for (const fullKey of fullKeys) {
      const key = this.applicationKey(fullKey);
      const home = this.distribution.serverFor(key);
      if (!down[home]!) {
        groups.perServer[home]!.push(fullKey);
        continue;
      }
      const moved = this.distribution.serverForWhileDown(key, down);
      if (moved === null) {
        groups.stranded[home]!.push(fullKey);
      } else {
        groups.perServer[moved]!.push(fullKey);
        groups.moved.add(home);
      }
    }
    return groups;
  }

  /** `memcached at h:p is marked down after a failure less than N seconds ago (retry_interval)`. */
  private downText(position: number): string {
    return (
      'memcached at ' +
      this.stores[position]!.serverLabel +
      ' is marked down after a failure less than ' +
      intToString(this.settings.retryInterval) +
      ' seconds ago (retry_interval)'
    );
  }

  /** Reports the keys of servers that are down and not moved: misses with a WARNING, or an ERROR (on_server_error). */
  private reportStranded(groups: KeyGroups): void {
    for (let position = 0; position < this.stores.length; position++) {
      const store = this.stores[position]!;
      if (groups.moved.has(position)) {
        warn(
          this.downText(position) +
            ': its keys are read from the servers distribution ' +
            this.settings.distribution +
            ' moves them to while it is down',
        );
      }
      const stranded = groups.stranded[position]!;
      if (stranded.length === 0) continue;
      const userKeys: string[] = [];
      for (const fullKey of stranded) userKeys.push(store.userKey(fullKey));
      if (this.settings.onServerError === 'miss') {
        warn(this.downText(position) + ': ' + keyCountText(userKeys) + ' read as misses (on_server_error miss)');
      } else {
        raiseError(
          this.downText(position) + ': cannot get ' + keyCountText(userKeys),
          'It is tried again once retry_interval seconds have passed since the failure; on_server_error ' +
            "'miss' reads the other servers' keys meanwhile.",
        );
      }
    }
  }

  /**
   * The items a scan of `fullKeys` sees: `writeSet`'s pending writes over what the servers hold (read-your-writes).
   * Each server gets all of its keys in one pipelined request, and every server's request is sent before any reply
   * is read, so the servers answer in parallel.
   */
  async readThrough(
    writeSet: WriteSet,
    fullKeys: string[],
    withFacts: boolean = false,
  ): Promise<Map<string, StoredItem>> {
    const only = this.only;
    // failedAt is tested here first: while no server has failed, the common case costs no call to anyDown.
    if (only !== null && (failedAt.size === 0 || !this.anyDown())) {
      // The common case, one server and nothing pending: its answer is the scan's, with no layer in between.
      if (writeSet.isEmpty()) return await only.receiveGet(await only.sendGet(fullKeys, withFacts));
      return await writeSet.readThrough(only, fullKeys, withFacts);
    }
    const groups = this.group(fullKeys);
    this.reportStranded(groups);
    const found: Map<string, StoredItem> = new Map<string, StoredItem>();
    const sent: PendingGet[] = [];
    const senders: CacheStore[] = [];
    for (let position = 0; position < this.stores.length; position++) {
      const keys = groups.perServer[position]!;
      if (keys.length === 0) continue;
      const store = this.stores[position]!;
      const toFetch = writeSet.pendingView(store, keys, found);
      if (toFetch.length === 0) continue;
      sent.push(await store.sendGet(toFetch, withFacts));
      senders.push(store);
    }
    for (let i = 0; i < sent.length; i++) {
      for (const [key, item] of await senders[i]!.receiveGet(sent[i]!)) found.set(key, item);
    }
    return found;
  }

  /**
   * The store that writes `fullKey`: its server, or where the client moves it while that server is down. A key
   * whose server is down and which the client does not move cannot be written (whatever on_server_error says).
   */
  storeFor(fullKey: string): CacheStore {
    const anyDown = this.anyDown();
    const only = this.only;
    if (only !== null && !anyDown) return only;
    const key = this.applicationKey(fullKey);
    const home = this.distribution.serverFor(key);
    if (!anyDown) return this.stores[home]!;
    const position = this.distribution.serverForWhileDown(key, this.downFlags());
    if (position !== null) return this.stores[position]!;
    const store = this.stores[home]!;
    return raiseError(
      this.downText(home) + ': cannot write key ' + quoteForMessage(store.userKey(fullKey)),
      'Writes to a server that is down fail whatever on_server_error says; it is tried again once retry_interval ' +
        'seconds have passed since the failure.',
    );
  }

  /**
   * The position of the server a lookup of `fullKey` reads now: its home server, or where the matching client moves
   * it while that one is down; null when its server is down and the key is not moved.
   */
  readPositionOf(fullKey: string): number | null {
    if (this.only !== null) return 0;
    const key = this.applicationKey(fullKey);
    const home = this.distribution.serverFor(key);
    if (!this.anyDown()) return home;
    const down = this.downFlags();
    if (!down[home]!) return home;
    return this.distribution.serverForWhileDown(key, down);
  }

  /**
   * Whether the server at `position` can be listed now. A server marked down is skipped with a WARNING under
   * on_server_error miss (false), and is an ERROR otherwise.
   */
  listable(position: number): boolean {
    if (!isMarkedDown(this.stores[position]!.serverLabel, this.settings.retryInterval)) return true;
    if (this.settings.onServerError === 'miss') {
      warn(this.downText(position) + ': its items are left out of the scan (on_server_error miss)');
      return false;
    }
    return raiseError(
      this.downText(position) + ': cannot list its items',
      'It is tried again once retry_interval seconds have passed since the failure; on_server_error ' +
        "'miss' lists the other servers' items meanwhile.",
    );
  }

  /**
   * A listing of the server at `position` failed (`error` as item-dump.ts throws it): under on_server_error miss an
   * outage or SERVER_ERROR leaves the server's (remaining) items out of the scan with a WARNING; anything else is an
   * ERROR naming the server.
   */
  listingFailed(position: number, error: unknown): void {
    const store = this.stores[position]!;
    noteFailure(store.serverLabel, error);
    const report = describeFailure(error, store.endpoint, LISTING_TEXT);
    if (report !== null && this.settings.onServerError === 'miss' && missable(error)) {
      warn(report.message + '; its items are left out of the scan (on_server_error miss)', report.hint);
      return;
    }
    raiseListingFailure(error, store.endpoint);
  }

  /**
   * How many items the servers hold (memcached's curr_items, summed), for the planner's estimate of a scan without a
   * key condition; null when a server does not answer (the scan itself reports that).
   */
  async itemCount(): Promise<number | null> {
    let total = 0;
    for (const store of this.stores) {
      let stats: StatEntry[];
      try {
        stats = await store.fetchStats('');
      } catch (error) {
        if (isClientFailure(error)) return null;
        throw error;
      }
      let found = false;
      for (const [name, value] of stats) {
        if (name !== 'curr_items') continue;
        const count = parseDecimalInt(value);
        if (count === null) return null;
        total += count;
        found = true;
      }
      if (!found) return null;
    }
    return total;
  }

  /**
   * Asks every server its item limits once (a query reading item sizes needs memcached's per-item overhead). A server
   * that does not answer is left for the read itself to report (or to read as misses); its sizes stay unknown.
   */
  async learnItemLimits(): Promise<void> {
    for (const store of this.stores) {
      try {
        await store.fetchItemLimits();
      } catch (error) {
        if (!isClientFailure(error) && !(error instanceof CommandRefused)) throw error;
      }
    }
  }

  /**
   * memcached's `stats` (with an optional argument) of every server, in list order. A server that is down or fails
   * is left out with a WARNING under on_server_error miss, and is an ERROR otherwise.
   */
  async statsOfEachServer(command: string): Promise<ServerStats[]> {
    const what = command === '' ? 'stats' : 'stats ' + command;
    const result: ServerStats[] = [];
    for (let position = 0; position < this.stores.length; position++) {
      const endpoint = this.settings.endpoints[position]!;
      const label = this.stores[position]!.serverLabel;
      if (isMarkedDown(label, this.settings.retryInterval)) {
        if (this.settings.onServerError === 'miss') {
          warn(this.downText(position) + ': its statistics are left out (on_server_error miss)');
          continue;
        }
        raiseError(
          this.downText(position) + ': cannot get its ' + what,
          'It is tried again once retry_interval seconds have passed since the failure; on_server_error ' +
            "'miss' shows the other servers' statistics meanwhile.",
        );
      }
      let stats: StatEntry[];
      try {
        stats = await this.stores[position]!.fetchStats(command);
      } catch (error) {
        noteFailure(label, error);
        const report = describeFailure(error, endpoint, what);
        if (report !== null && this.settings.onServerError === 'miss' && missable(error)) {
          warn(report.message + '; its statistics are left out (on_server_error miss)', report.hint);
          continue;
        }
        return raiseFailure(error, endpoint, what);
      }
      noteSuccess(label);
      result.push(new ServerStats(endpoint, stats));
    }
    return result;
  }
}
