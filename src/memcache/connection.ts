// One connection per memcached server per backend, kept across statements and shared by every table naming that
// server: the socket (src/ports/socket.ts) and the reply reader (replies.ts) that keeps its place in the reply
// stream. A connection is never reused half-read: any failure while a request's replies are outstanding closes it,
// and an idle connection the server closed (memcached restarted, or dropped us) is replaced before the next request.
import { openSocket, SocketError, type Socket, type SocketFailure } from '../ports/socket';
import { intToString, type Bytes, type Float } from '../ports/runtime';
import { ProtocolError, ReplyReader } from './protocol';

/** Where a request failed: before anything was sent (connect), while sending, or while reading its replies. */
export type TransportPhase = 'connect' | 'send' | 'receive';

/**
 * The connection to a server failed: a socket error, or the server closed the connection in the middle of a reply
 * (`failure` 'closed'). After `connect` nothing reached the server; after `send` or `receive` some requests may have.
 */
export class TransportFailure extends Error {
  readonly phase: TransportPhase;
  readonly failure: SocketFailure | 'closed';

  constructor(phase: TransportPhase, failure: SocketFailure | 'closed', message: string) {
    super(message);
    this.phase = phase;
    this.failure = failure;
  }
}

/** One server's connection; callers send a request, then read each of its replies with `receive`, then `done`. */
export class Connection {
  readonly host: string;
  readonly port: number;
  private socket: Socket | null;
  private reader: ReplyReader;
  /** A request was sent whose replies have not all been read: the stream is not in step for another request. */
  private inFlight: boolean;

  constructor(host: string, port: number) {
    this.host = host;
    this.port = port;
    this.socket = null;
    this.reader = new ReplyReader();
    this.inFlight = false;
  }

  /** Whether a socket is open now (the tests count connections). */
  get isOpen(): boolean {
    return this.socket !== null;
  }

  /**
   * Makes the connection ready for a request: an open, idle, healthy socket is kept (true: reused); otherwise a new
   * one is opened (false). A refused or timed-out connect is a TransportFailure of phase `connect`.
   */
  async ready(connectTimeout: Float): Promise<boolean> {
    const current = this.socket;
    if (current !== null && !this.inFlight && !current.isStale()) return true;
    this.close();
    try {
      this.socket = await openSocket(this.host, this.port, { connectTimeout: connectTimeout });
    } catch (error) {
      if (error instanceof SocketError) throw new TransportFailure('connect', error.failure, error.message);
      throw error;
    }
    return false;
  }

  /** Sends `request` (one or several pipelined commands); every reply must then be read before the next request. */
  async send(request: Bytes, timeout: Float): Promise<void> {
    const socket = this.socket;
    if (socket === null) throw new TransportFailure('send', 'closed', 'the connection is not open');
    this.inFlight = true;
    try {
      await socket.sendAll(request, timeout);
    } catch (error) {
      this.close();
      if (error instanceof SocketError) throw new TransportFailure('send', error.failure, error.message);
      throw error;
    }
  }

  /**
   * The next reply of the request in flight, as `read` takes it from the reply reader (null until it has fully
   * arrived). An error reply (ERROR, CLIENT_ERROR, SERVER_ERROR) is thrown and leaves the stream in step; a reply that
   * cannot be read (ProtocolError), a timeout or a closed connection closes the connection.
   */
  async receive<T>(read: (reader: ReplyReader) => T | null, timeout: Float): Promise<T> {
    // No reply is complete without a byte of it: with nothing received yet (a request just sent), wait for bytes
    // before reading; after a chunk is fed there always are some. (This connection's reader is never a failed one: a
    // ProtocolError closes the connection.)
    let received = this.reader.bufferedLength > 0;
    while (true) {
      if (received) {
        let reply: T | null;
        try {
          reply = read(this.reader);
        } catch (error) {
          if (error instanceof ProtocolError) this.close();
          throw error;
        }
        if (reply !== null) return reply;
      }
      const socket = this.socket;
      if (socket === null) throw new TransportFailure('receive', 'closed', 'the connection is not open');
      let chunk: Bytes;
      try {
        chunk = await socket.receive(timeout);
      } catch (error) {
        this.close();
        if (error instanceof SocketError) throw new TransportFailure('receive', error.failure, error.message);
        throw error;
      }
      if (chunk.length === 0) {
        this.close();
        throw new TransportFailure('receive', 'closed', 'the server closed the connection');
      }
      this.reader.feed(chunk);
      received = true;
    }
  }

  /** Every reply of the request was read: the connection may take the next request. */
  done(): void {
    this.inFlight = false;
  }

  /** Closes the socket; the next request opens a new one with a fresh reader. */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    this.inFlight = false;
    this.reader = new ReplyReader();
    if (socket !== null) socket.close();
  }
}

/** The backend's connections, by `host port`: one per server, whatever timeouts the tables naming it use. */
const connections: Map<string, Connection> = new Map<string, Connection>();

/** The backend's connection to `host`:`port`, created (not yet opened) on first use. */
export function connectionTo(host: string, port: number): Connection {
  const key = host + ' ' + intToString(port);
  const existing = connections.get(key);
  if (existing !== undefined) return existing;
  const connection = new Connection(host, port);
  connections.set(key, connection);
  return connection;
}

/** How many sockets the backend holds open (tests check that tables on one server share one). */
export function openConnectionCount(): number {
  let open = 0;
  for (const connection of connections.values()) {
    if (connection.isOpen) open += 1;
  }
  return open;
}

/** Closes and forgets every connection (Node tests; a backend keeps its connections until it exits). */
export function closeAllConnections(): void {
  for (const connection of connections.values()) connection.close();
  connections.clear();
}
