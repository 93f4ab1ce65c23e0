// One connection per memcached server per backend, kept across statements and shared by every table naming that
// server the same way (TLS settings and credentials: ConnectionSecurity): the socket (src/ports/socket.ts) and the
// reply reader (replies.ts) that keeps its place in the reply stream. A connection is never reused half-read: any
// failure while a request's replies are outstanding closes it, and an idle connection the server closed (memcached
// restarted, or dropped us) is replaced before the next request. A new connection logs in first when the table has
// credentials and the server asks for them (memcached -Y).
import { openSocket, SocketError, type Socket, type SocketFailure, type TlsMode } from '../ports/socket';
import { formatFloat, intToString, utf8Encode, type Bytes, type Float } from '../ports/runtime';
import {
  describeReplyError,
  encodeStore,
  encodeVersion,
  ErrorReply,
  ProtocolError,
  ReplyReader,
  type StoreStatus,
} from './protocol';

/** Where a request failed: before anything was sent (connect), while sending, or while reading its replies. */
export type TransportPhase = 'connect' | 'send' | 'receive';

/**
 * Why: the socket's failure, `closed` (the server closed the connection in the middle of a reply), or `login`
 * (memcached refused the username and password).
 */
export type TransportFailureKind = SocketFailure | 'closed' | 'login';

/**
 * The connection to a server failed: a socket error, the server closed the connection in the middle of a reply
 * (`failure` 'closed'), or it refused the login. After `connect` nothing of the request reached the server; after
 * `send` or `receive` some requests may have.
 */
export class TransportFailure extends Error {
  readonly phase: TransportPhase;
  readonly failure: TransportFailureKind;

  constructor(phase: TransportPhase, failure: TransportFailureKind, message: string) {
    super(message);
    this.phase = phase;
    this.failure = failure;
  }
}

/**
 * How the backend talks to a server and who it is there: TLS (`tls` 'off', 'on' verifying the server's certificate
 * and host name, or 'insecure'), the files of the CA and of the client certificate, and the ASCII-authentication
 * credentials. Tables that differ in any of them use different connections to the same server.
 */
export interface ConnectionSecurity {
  tls: TlsMode;
  tlsCaFile: string | null;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  username: string | null;
  password: string | null;
}

/** Plain TCP, no login. */
export function plainConnection(): ConnectionSecurity {
  return { tls: 'off', tlsCaFile: null, tlsCertFile: null, tlsKeyFile: null, username: null, password: null };
}

/**
 * memcached 1.6.18 over TLS can leave the end of a pipelined request unread inside its TLS layer until more bytes
 * arrive (a lost wake-up: the decrypted bytes are not on the socket, so nothing tells it to read them), and the
 * replies stop. A TLS connection therefore waits for replies in slices of this many seconds; after a silent slice it
 * sends a `version` that wakes the server, whose reply comes after all the others.
 */
export const TLS_WAKE_SECONDS: Float = 0.05;

/** The key of the `set` that carries the login: memcached ignores it (and stores nothing). */
const LOGIN_KEY = 'pymcache_fdw_login';

function readVersion(reader: ReplyReader): string | null {
  return reader.readVersion();
}

function readStored(reader: ReplyReader): StoreStatus | null {
  return reader.readStored();
}

/** One server's connection; callers send a request, then read each of its replies with `receive`, then `done`. */
export class Connection {
  readonly host: string;
  readonly port: number;
  private readonly security: ConnectionSecurity;
  private socket: Socket | null;
  private reader: ReplyReader;
  /** A request was sent whose replies have not all been read: the stream is not in step for another request. */
  private inFlight: boolean;
  /** A TLS wake-up `version` was sent during the request: its reply is still to come, so `done` closes the socket. */
  private woken: boolean;

  constructor(host: string, port: number, security: ConnectionSecurity) {
    this.host = host;
    this.port = port;
    this.security = security;
    this.socket = null;
    this.reader = new ReplyReader();
    this.inFlight = false;
    this.woken = false;
  }

  /** Whether a socket is open now (the tests count connections). */
  get isOpen(): boolean {
    return this.socket !== null;
  }

  /**
   * Makes the connection ready for a request: an open, idle, healthy socket is kept (true: reused); otherwise a new
   * one is opened, with TLS and the login when the security settings ask for them (false). `connectTimeout` bounds
   * the connect, the TLS handshake and each step of the login. A refused or timed-out connect, a TLS failure or a
   * refused login is a TransportFailure of phase `connect`.
   */
  async ready(connectTimeout: Float): Promise<boolean> {
    const current = this.socket;
    if (current !== null && !this.inFlight && !current.isStale()) return true;
    this.close();
    const security = this.security;
    try {
      this.socket = await openSocket(this.host, this.port, {
        connectTimeout: connectTimeout,
        tls: security.tls,
        tlsCaFile: security.tlsCaFile,
        tlsCertFile: security.tlsCertFile,
        tlsKeyFile: security.tlsKeyFile,
      });
    } catch (error) {
      if (error instanceof SocketError) throw new TransportFailure('connect', error.failure, error.message);
      throw error;
    }
    const username = security.username;
    const password = security.password;
    if (username !== null && password !== null) await this.logIn(username, password, connectTimeout);
    return false;
  }

  /**
   * memcached's ASCII authentication (memcached -Y). A `version` first tells whether the server asks for a login (one
   * that does answers every command before it with CLIENT_ERROR unauthenticated); only then are the credentials sent,
   * as a `set` whose data is `<username> <password>` (memcached takes it as the login and stores nothing). A server
   * without -Y never receives them, so they cannot end up stored as an item. Any failure closes the connection and is
   * a TransportFailure of phase `connect`: nothing of the caller's request was sent.
   */
  private async logIn(username: string, password: string, timeout: Float): Promise<void> {
    try {
      await this.send(encodeVersion(), timeout);
      try {
        await this.receive(readVersion, timeout);
        this.done();
        return;
      } catch (error) {
        if (!(error instanceof ErrorReply) || error.kind !== 'CLIENT_ERROR' || error.knownText !== 'unauthenticated')
          throw error;
      }
      const login = encodeStore('set', utf8Encode(LOGIN_KEY), 0, 0, utf8Encode(username + ' ' + password));
      await this.send(login, timeout);
      await this.receive(readStored, timeout);
      this.done();
    } catch (error) {
      this.close();
      if (error instanceof ErrorReply) {
        const text = error.knownText !== null ? error.knownText : describeReplyError(error);
        throw new TransportFailure('connect', 'login', text);
      }
      if (error instanceof TransportFailure) throw new TransportFailure('connect', error.failure, error.message);
      throw error;
    }
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
      this.reader.feed(await this.nextChunk(timeout));
      received = true;
    }
  }

  /**
   * The next bytes the server sends, as they arrive, bypassing the reply reader (a listing is drained whole to a
   * spool and read from there). The reader must hold nothing: no reply of an earlier request may be pending.
   */
  async receiveBytes(timeout: Float): Promise<Bytes> {
    if (this.reader.bufferedLength > 0) {
      this.close();
      throw new ProtocolError('a listing', 'bytes that came before its reply');
    }
    return await this.nextChunk(timeout);
  }

  /**
   * The next bytes from the socket within `timeout`; a failure, or the server closing the connection, closes it here
   * (never reused half-read) and is a TransportFailure of phase `receive`.
   */
  private async nextChunk(timeout: Float): Promise<Bytes> {
    const socket = this.socket;
    if (socket === null) throw new TransportFailure('receive', 'closed', 'the connection is not open');
    let chunk: Bytes;
    try {
      chunk = this.security.tls === 'off' ? await socket.receive(timeout) : await this.receiveWaking(socket, timeout);
    } catch (error) {
      this.close();
      if (error instanceof SocketError) throw new TransportFailure('receive', error.failure, error.message);
      throw error;
    }
    if (chunk.length === 0) {
      this.close();
      throw new TransportFailure('receive', 'closed', 'the server closed the connection');
    }
    return chunk;
  }

  /** The next chunk from a TLS server within `timeout`, waking it after each silent slice (TLS_WAKE_SECONDS). */
  private async receiveWaking(socket: Socket, timeout: Float): Promise<Bytes> {
    let waited: Float = 0.0;
    while (true) {
      const slice: Float = timeout - waited < TLS_WAKE_SECONDS ? timeout - waited : TLS_WAKE_SECONDS;
      try {
        return await socket.receive(slice);
      } catch (error) {
        if (!(error instanceof SocketError) || error.failure !== 'timeout') throw error;
      }
      waited = waited + slice;
      if (waited >= timeout)
        throw new TransportFailure('receive', 'timeout', 'receive timed out after ' + formatFloat(timeout) + ' s');
      await socket.sendAll(encodeVersion(), timeout);
      this.woken = true;
    }
  }

  /**
   * Every reply of the request was read: the connection may take the next request (unless a TLS wake-up's reply is
   * still to come: then it is closed, and the next request opens a new one).
   */
  done(): void {
    this.inFlight = false;
    if (this.woken) this.close();
  }

  /** Closes the socket; the next request opens a new one with a fresh reader. */
  close(): void {
    const socket = this.socket;
    this.socket = null;
    this.inFlight = false;
    this.woken = false;
    this.reader = new ReplyReader();
    if (socket !== null) socket.close();
  }
}

/**
 * The backend's connections, by host, port and security settings: one per server, whatever timeouts the tables naming
 * it use; a TLS table and a plain one (or two with different credentials) on the same server do not share one.
 */
const connections: Map<string, Connection> = new Map<string, Connection>();

/** The registry key of a connection (it holds the password: it is never shown anywhere). */
function connectionKey(host: string, port: number, security: ConnectionSecurity): string {
  const parts: string[] = [host, intToString(port), security.tls];
  for (const part of [
    security.tlsCaFile,
    security.tlsCertFile,
    security.tlsKeyFile,
    security.username,
    security.password,
  ]) {
    parts.push(part === null ? '' : '=' + part);
  }
  return parts.join('\n');
}

/** The backend's connection to `host`:`port` with `security`, created (not yet opened) on first use. */
export function connectionTo(host: string, port: number, security: ConnectionSecurity): Connection {
  const key = connectionKey(host, port, security);
  const existing = connections.get(key);
  if (existing !== undefined) return existing;
  const connection = new Connection(host, port, security);
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
