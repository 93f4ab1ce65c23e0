// Listing one server's items for a scan without a key condition: `lru_crawler metadump all`, which streams a line
// per item (key, expiry, last access, CAS, size) until END. The dump runs on a connection of its own, opened for the
// scan and closed after it: memcached refuses anything pipelined before a metadump, and a scan stopped half-way (a
// LIMIT, a cancel) leaves the rest of the dump unread, so that connection cannot be used again. Entries are read one
// at a time as they arrive: a listing of a million items holds one line in memory, not a million.
import { raiseFailure } from './cache-store';
import { raiseError } from './errors';
import { Connection, TransportFailure } from './memcache/connection';
import { encodeMetadump, encodeStats, ErrorReply, type MetadumpEntry, type MetadumpEnd, type ReplyReader, type StatEntry } from './memcache/protocol';
import { pendingInterrupt } from './ports/backend';
import { refusalOrFailure } from './proxies';
import { intToString, parseDecimalInt, type Float } from './ports/runtime';
import { pause, SocketError } from './ports/socket';
import { endpointLabel, type ServerEndpoint } from './table-options';

/** What the user is told was being done when a listing fails. */
export const LISTING_TEXT = 'metadump of its items';
/** How long to wait before asking again when the crawler is busy with another client's listing. */
const BUSY_RETRY_SECONDS: Float = 0.05;
/** How long a scan waits in all for a crawler busy with other listings before it gives up with an ERROR. */
export const BUSY_WAIT_SECONDS = 30;
/** Entries read between two looks at PostgreSQL's interrupt flags: a cancel lands even when no row matches. */
const ENTRIES_PER_INTERRUPT_CHECK = 1000;

function readStats(reader: ReplyReader): StatEntry[] | null {
  return reader.readStats();
}

function readMetadump(reader: ReplyReader): MetadumpEntry | MetadumpEnd | null {
  return reader.readMetadump();
}

/** The crawler is listing items for another client (it serves one at a time). */
function isBusy(reply: MetadumpEntry | MetadumpEnd): boolean {
  return reply === 'BUSY';
}

/** memcached's clock (`time`) among its stats, or null when it does not report one. */
function serverClock(stats: StatEntry[]): number | null {
  for (const [name, value] of stats) {
    if (name === 'time') return parseDecimalInt(value);
  }
  return null;
}

/** The refusals that mean the server is set up not to list its items: an ERROR naming the memcached setting. */
function refuseListing(error: unknown, endpoint: ServerEndpoint): void {
  if (!(error instanceof ErrorReply)) return;
  const server = endpointLabel(endpoint);
  if (error.kind === 'ERROR' && error.knownText === 'metadump not allowed') {
    raiseError(
      'memcached at ' + server + ' does not allow listing its items: it was started with -X (--disable-dumping)',
      "A scan without a key condition lists the items of every server of the table. Start memcached without -X, or set the table option full_scan 'off' and select rows by key.",
    );
  }
  if (error.kind === 'CLIENT_ERROR' && error.knownText === 'lru crawler disabled') {
    raiseError(
      'memcached at ' + server + ' cannot list its items: its LRU crawler is disabled (-o no_lru_crawler)',
      "A scan without a key condition lists items with the LRU crawler. Enable it (memcached -o lru_crawler, or the command 'lru_crawler enable'), or set the table option full_scan 'off' and select rows by key.",
    );
  }
}

/**
 * Ends the statement with an ERROR for a failed listing of the server at `endpoint`: a refusal names the memcached
 * setting behind it; anything else reads as any other request's failure.
 */
export function raiseListingFailure(error: unknown, endpoint: ServerEndpoint): never {
  refuseListing(error, endpoint);
  return raiseFailure(error, endpoint, LISTING_TEXT);
}

/** One server's items, read one entry at a time; close() ends the listing at any point. */
export class ItemDump {
  readonly endpoint: ServerEndpoint;
  /** The server's clock when the listing started: entries give expiry and last access in it. */
  readonly serverTime: number;
  private readonly connection: Connection;
  /** The first reply of the listing, read by start(): handed out by the first next(). */
  private first: MetadumpEntry | MetadumpEnd | null;
  private finished: boolean;
  private sinceInterruptCheck: number;

  private constructor(endpoint: ServerEndpoint, connection: Connection, serverTime: number, first: MetadumpEntry | MetadumpEnd) {
    this.endpoint = endpoint;
    this.connection = connection;
    this.serverTime = serverTime;
    this.first = first;
    this.finished = false;
    this.sinceInterruptCheck = 0;
  }

  /**
   * Starts listing the items of the server at `endpoint`: asks its clock, then its items, waiting while its crawler
   * is busy with another client's listing (up to BUSY_WAIT_SECONDS, then an ERROR). A failure of the connection or a
   * refusal is thrown as it is, for raiseListingFailure (or on_server_error) to report.
   */
  static async start(endpoint: ServerEndpoint): Promise<ItemDump> {
    const connection = new Connection(endpoint.host, endpoint.port, endpoint.security);
    let command = 'stats';
    try {
      await connection.ready(endpoint.connectTimeout);
      await connection.send(encodeStats(), endpoint.timeout);
      const stats = await connection.receive(readStats, endpoint.timeout);
      connection.done();
      command = 'lru_crawler metadump';
      const serverTime = serverClock(stats);
      if (serverTime === null) {
        connection.close();
        return raiseError(
          'memcached at ' + endpointLabel(endpoint) + ' does not report its clock (stat "time"), needed to list its items',
          'The server, or a proxy in front of it, is not a memcached that can list its items; select rows by key.',
        );
      }
      let waited: Float = 0;
      while (true) {
        await connection.send(encodeMetadump(), endpoint.timeout);
        const first: MetadumpEntry | MetadumpEnd = await connection.receive(readMetadump, endpoint.timeout);
        if (!isBusy(first)) return new ItemDump(endpoint, connection, serverTime, first);
        connection.done();
        if (waited >= BUSY_WAIT_SECONDS) {
          connection.close();
          return raiseError(
            'memcached at ' + endpointLabel(endpoint) + ' is busy listing its items for another client and stayed busy for ' +
              intToString(BUSY_WAIT_SECONDS) + ' s',
            'Its LRU crawler lists items for one client at a time: another scan without a key condition (or a crawl) is running on that server. Try again.',
          );
        }
        await pause(BUSY_RETRY_SECONDS);
        waited += BUSY_RETRY_SECONDS;
      }
    } catch (error) {
      connection.close();
      // pause() was interrupted: reported as an interrupted wait for the server.
      if (error instanceof SocketError) throw new TransportFailure('receive', error.failure, error.message);
      // A proxy (twemproxy) closes the connection on both commands: told apart from an outage by a `version`.
      throw await refusalOrFailure(error, command, connection, endpoint.connectTimeout, endpoint.timeout);
    }
  }

  /** The next item, or null once the server has listed them all; a failure is thrown as start() throws it. */
  async next(): Promise<MetadumpEntry | null> {
    if (this.finished) return null;
    let reply = this.first;
    this.first = null;
    try {
      if (reply === null) {
        this.sinceInterruptCheck += 1;
        if (this.sinceInterruptCheck >= ENTRIES_PER_INTERRUPT_CHECK) {
          this.sinceInterruptCheck = 0;
          const interrupt = pendingInterrupt();
          if (interrupt !== null) throw new TransportFailure('receive', 'interrupted', 'interrupted: ' + interrupt);
        }
        reply = await this.connection.receive(readMetadump, this.endpoint.timeout);
      }
    } catch (error) {
      this.close();
      throw error;
    }
    if (typeof reply !== 'string') return reply;
    this.finished = true;
    this.connection.close();
    if (reply === 'END') return null;
    return raiseError(
      'memcached at ' + endpointLabel(this.endpoint) + ' ended the ' + LISTING_TEXT + ' with ' + reply + ' instead of END',
      'The server stopped the listing half-way; try again.',
    );
  }

  /** Ends the listing (its connection is closed: the rest of the dump is never read). */
  close(): void {
    this.finished = true;
    this.connection.close();
  }
}
