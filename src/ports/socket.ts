// Socket port, Node binding: one TCP connection to a memcached server, as the memcached client (src/memcache/) needs
// it: connect with a timeout, send all bytes, receive what has arrived, tell whether an idle connection went stale.
// The Python binding is python-out/pymcache_fdw/_socket.py (socket + select); the emitter maps `./ports/socket` there.
// Both raise SocketError with the same `failure` kinds and the same messages, so that the wrapper's ERRORs read the
// same on both platforms. Nothing in this file is emitted.
import { Socket as NetSocket } from 'node:net';
import { formatFloat, type Bytes, type Float } from './runtime';

/** Why a socket operation failed, in the terms the wrapper reports. */
export type SocketFailure =
  /** Nothing listens on the port (ECONNREFUSED). */
  | 'refused'
  /** The host name does not resolve. */
  | 'not-found'
  /** No route to the host or network. */
  | 'unreachable'
  /** connect, send or receive did not finish within its timeout. */
  | 'timeout'
  /** The peer reset the connection (ECONNRESET, EPIPE). */
  | 'reset'
  /** PostgreSQL asked the statement to stop (cancel, statement_timeout, terminate): only in a backend. */
  | 'interrupted'
  /** Any other operating-system error; the message names its errno. */
  | 'other';

/** A failed socket operation. `message` is the same text on both platforms: see failureMessage. */
export class SocketError extends Error {
  readonly failure: SocketFailure;
  constructor(failure: SocketFailure, message: string) {
    super(message);
    this.name = 'SocketError';
    this.failure = failure;
  }
}

const ERRNO_FAILURES: Record<string, SocketFailure> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'not-found',
  EAI_AGAIN: 'not-found',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
};

/** The SocketError for an operating-system error with code `code` during `phase` ('connect', 'send', 'receive'). */
function osFailure(code: string | undefined, phase: string): SocketError {
  const failure = code === undefined ? 'other' : (ERRNO_FAILURES[code] ?? 'other');
  if (failure === 'refused') return new SocketError(failure, 'connection refused');
  if (failure === 'not-found') return new SocketError(failure, 'host name not found');
  if (failure === 'unreachable') return new SocketError(failure, 'host unreachable');
  if (failure === 'reset') return new SocketError(failure, `connection reset by the server during ${phase}`);
  if (failure === 'timeout') return new SocketError(failure, `${phase} timed out`);
  return new SocketError('other', `${phase} failed: ${code ?? 'unknown error'}`);
}

function timedOut(phase: string, seconds: Float): SocketError {
  return new SocketError('timeout', `${phase} timed out after ${formatFloat(seconds)} s`);
}

/** How to open a connection; the emitter passes these as keyword arguments (connect_timeout=...). */
export type SocketOptions = {
  /** Seconds to wait for the connection. */
  connectTimeout: Float;
};

/** Opens a TCP connection (TCP_NODELAY on: requests are small and latency-bound). */
export async function openSocket(host: string, port: number, options: SocketOptions): Promise<Socket> {
  const connectTimeout = options.connectTimeout;
  const raw = new NetSocket();
  raw.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.destroy();
      reject(timedOut('connect', connectTimeout));
    }, connectTimeout * 1000);
    raw.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      raw.destroy();
      reject(osFailure(error.code, 'connect'));
    });
    raw.connect({ host, port }, () => {
      clearTimeout(timer);
      raw.removeAllListeners('error');
      resolve();
    });
  });
  return new Socket(raw);
}

/** One open connection. Received bytes queue up until `receive` takes them; failures are kept for the next call. */
export class Socket {
  private readonly raw: NetSocket;
  private inbox: Buffer[] = [];
  private ended = false;
  private failure: SocketError | null = null;
  private wake: (() => void) | null = null;

  constructor(raw: NetSocket) {
    this.raw = raw;
    raw.on('data', (chunk: Buffer) => {
      this.inbox.push(chunk);
      this.notify();
    });
    raw.on('end', () => {
      this.ended = true;
      this.notify();
    });
    raw.on('error', (error: NodeJS.ErrnoException) => {
      this.failure = osFailure(error.code, 'receive');
      this.notify();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    if (wake !== null) wake();
  }

  /** Sends every byte of `data` within `timeout` seconds. */
  async sendAll(data: Bytes, timeout: Float): Promise<void> {
    if (this.failure !== null) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.raw.destroy();
        reject(timedOut('send', timeout));
      }, timeout * 1000);
      this.raw.write(data, (error?: Error | null) => {
        clearTimeout(timer);
        if (error === undefined || error === null) resolve();
        else reject(osFailure((error as NodeJS.ErrnoException).code, 'send'));
      });
    });
  }

  /**
   * The bytes that have arrived, waiting up to `timeout` seconds for at least one; empty when the server closed the
   * connection.
   */
  async receive(timeout: Float): Promise<Bytes> {
    if (this.inbox.length === 0 && !this.ended && this.failure === null) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.wake = null;
          reject(timedOut('receive', timeout));
        }, timeout * 1000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.inbox.length > 0) {
      const chunk = this.inbox.length === 1 ? this.inbox[0]! : Buffer.concat(this.inbox);
      this.inbox = [];
      return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (this.failure !== null) throw this.failure;
    return new Uint8Array(0);
  }

  /**
   * Whether a connection that was idle (every reply read) can no longer be used: the server closed it (memcached
   * restarted, or dropped an idle client), reset it, or sent something nobody asked for.
   */
  isStale(): boolean {
    return this.ended || this.failure !== null || this.inbox.length > 0 || this.raw.destroyed;
  }

  close(): void {
    this.raw.destroy();
    this.ended = true;
  }
}

/**
 * Waits `seconds` before asking a server again (memcached's LRU crawler busy with another listing). In a backend the
 * wait is cut short by an interrupt PostgreSQL acts on: SocketError `interrupted`, as for any other wait here.
 */
export async function pause(seconds: Float): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
}
