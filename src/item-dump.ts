// Listing one server's items for a scan without a key condition: `lru_crawler metadump hash` (the hash table walk;
// `metadump all`, the LRU walk, where the server has no hash walk), which streams a line per item (key, expiry, last
// access, CAS, size) until END. The dump runs on a connection of its own (memcached
// refuses anything pipelined before a metadump), received whole into a spool at network speed and closed, then read
// entry by entry from the spool: a listing of a million items holds one line in memory, and never holds the server.
import { raiseFailure } from './cache-store';
import { raiseError } from './errors';
import { Connection, TransportFailure } from './memcache/connection';
import {
  encodeMetadump,
  encodeMetadumpHash,
  encodeStats,
  ErrorReply,
  ProtocolError,
  ReplyReader,
  type MetadumpEntry,
  type MetadumpEnd,
  type StatEntry,
} from './memcache/protocol';
import { pendingInterrupt } from './ports/backend';
import { refusalOrFailure } from './proxies';
import { bytesFind, intToString, parseDecimalInt, utf8Encode, type Bytes, type Float } from './ports/runtime';
import { openSpool, pause, SocketError, type Spool } from './ports/socket';
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

/** Bytes read from a spool at a time: the reply reader then holds at most this much and a line. */
const SPOOL_READ_BYTES = 65536;
const CR = 0x0d;
const LF = 0x0a;
const CRLF: Bytes = utf8Encode('\r\n');

/**
 * Receives the whole reply of a metadump into `spool`, as fast as it comes: entry lines end with a bare LF and hold
 * no CR (keys are percent-encoded), so the first CRLF ends the reply (END, or a refusal such as BUSY). Looks at
 * PostgreSQL's interrupt flags between chunks: a reply that keeps coming is still cancellable.
 */
async function drainListing(connection: Connection, spool: Spool, timeout: Float): Promise<void> {
  let endsWithCr = false;
  while (true) {
    const interrupt = pendingInterrupt();
    if (interrupt !== null) throw new TransportFailure('receive', 'interrupted', 'interrupted: ' + interrupt);
    const chunk = await connection.receiveBytes(timeout);
    spool.write(chunk);
    if ((endsWithCr && chunk[0]! === LF) || bytesFind(chunk, CRLF, 0) >= 0) return;
    endsWithCr = chunk[chunk.length - 1]! === CR;
  }
}

/**
 * One server's items, read one entry at a time. memcached's crawler lists for one client at a time and, while that
 * client does not read, holds a lock that blocks the next client's crawler command (and the memcached thread serving
 * it) and its own expiry crawls: so the listing is received whole into a spool (a temporary file) at network speed,
 * the connection closed, and the entries parsed from the spool as the query asks for rows. A cursor left open on a
 * listing holds a file, never the server.
 */
export class ItemDump {
  readonly endpoint: ServerEndpoint;
  /** The server's clock when the listing started: entries give expiry and last access in it. */
  readonly serverTime: number;
  private readonly spool: Spool;
  private readonly reader: ReplyReader;
  /** The first reply of the listing, read by start(): handed out by the first next(). */
  private first: MetadumpEntry | MetadumpEnd | null;
  private finished: boolean;
  private sinceInterruptCheck: number;

  private constructor(
    endpoint: ServerEndpoint,
    spool: Spool,
    reader: ReplyReader,
    serverTime: number,
    first: MetadumpEntry | MetadumpEnd,
  ) {
    this.endpoint = endpoint;
    this.spool = spool;
    this.reader = reader;
    this.serverTime = serverTime;
    this.first = first;
    this.finished = false;
    this.sinceInterruptCheck = 0;
  }

  /**
   * Lists the items of the server at `endpoint` into a spool: asks its clock, then its items, waiting while its
   * crawler is busy with another client's listing (up to BUSY_WAIT_SECONDS, then an ERROR). A failure of the
   * connection or a refusal is thrown as it is, for raiseListingFailure (or on_server_error) to report.
   */
  static async start(endpoint: ServerEndpoint): Promise<ItemDump> {
    const connection = new Connection(endpoint.host, endpoint.port, endpoint.security);
    let command = 'stats';
    let spool: Spool | null = null;
    try {
      await connection.ready(endpoint.connectTimeout);
      await connection.send(encodeStats(), endpoint.timeout);
      const stats = await connection.receive(readStats, endpoint.timeout);
      connection.done();
      const serverTime = serverClock(stats);
      if (serverTime === null) {
        connection.close();
        return raiseError(
          'memcached at ' +
            endpointLabel(endpoint) +
            ' does not report its clock (stat "time"), needed to list its items',
          'The server, or a proxy in front of it, is not a memcached that can list its items; select rows by key.',
        );
      }
      command = 'lru_crawler metadump';
      let waited: Float = 0;
      // The hash table walk lists every item; a server without it (BADCLASS) walks its LRUs instead, which can miss
      // an item the LRU maintainer is moving at that moment.
      let byHash = true;
      while (true) {
        await connection.send(byHash ? encodeMetadumpHash() : encodeMetadump(), endpoint.timeout);
        const received = openSpool();
        spool = received;
        await drainListing(connection, received, endpoint.timeout);
        const reader = new ReplyReader();
        const first: MetadumpEntry | MetadumpEnd = readSpooled(reader, received);
        if (byHash && first === 'BADCLASS') {
          received.close();
          spool = null;
          connection.done();
          byHash = false;
          continue;
        }
        if (!isBusy(first)) {
          connection.close();
          return new ItemDump(endpoint, received, reader, serverTime, first);
        }
        received.close();
        spool = null;
        connection.done();
        if (waited >= BUSY_WAIT_SECONDS) {
          connection.close();
          return raiseError(
            'memcached at ' +
              endpointLabel(endpoint) +
              ' is busy listing its items for another client and stayed busy for ' +
              intToString(BUSY_WAIT_SECONDS) +
              ' s',
            'Its LRU crawler lists items for one client at a time: another scan without a key condition (or a crawl) is running on that server. Try again.',
          );
        }
        await pause(BUSY_RETRY_SECONDS);
        waited += BUSY_RETRY_SECONDS;
      }
    } catch (error) {
      connection.close();
      if (spool !== null) spool.close();
      // pause() was interrupted, or the spool's disk failed: reported as any other failure of the listing.
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
        reply = readSpooled(this.reader, this.spool);
      }
    } catch (error) {
      this.close();
      throw error;
    }
    if (typeof reply !== 'string') return reply;
    this.close();
    if (reply === 'END') return null;
    return raiseError(
      'memcached at ' +
        endpointLabel(this.endpoint) +
        ' ended the ' +
        LISTING_TEXT +
        ' with ' +
        reply +
        ' instead of END',
      'The server stopped the listing half-way; try again.',
    );
  }

  /** Ends the listing: its spool is freed (the server was let go when the listing was received). */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.spool.close();
  }
}

/**
 * The next reply of a listing received into `spool`: an entry, END or a refusal. Error replies (ERROR, CLIENT_ERROR)
 * are thrown by the reader; a spool that ends before the reply does is a ProtocolError.
 */
function readSpooled(reader: ReplyReader, spool: Spool): MetadumpEntry | MetadumpEnd {
  while (true) {
    const reply = reader.readMetadump();
    if (reply !== null) return reply;
    const chunk = spool.read(SPOOL_READ_BYTES);
    if (chunk.length === 0) throw new ProtocolError('lru_crawler metadump', 'a reply cut short');
    reader.feed(chunk);
  }
}
