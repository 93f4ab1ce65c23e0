// Socket port, Node binding: one TCP connection to a memcached server, as the memcached client (src/memcache/) needs
// it: connect with a timeout (and, when asked, TLS over it), send all bytes, receive what has arrived, tell whether an
// idle connection went stale. The Python binding is python-out/pymcache_fdw/_socket.py (socket + ssl + poll); the
// emitter maps `./ports/socket` there. Both raise SocketError with the same `failure` kinds and the same messages, so
// that the wrapper's ERRORs read the same on both platforms: OpenSSL's reasons (which differ in wording between
// OpenSSL builds and in how each platform reports them) become the fixed texts of tls-messages below. Nothing in this
// file is emitted.
import { closeSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP, Socket as NetSocket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
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
  /**
   * TLS failed: a certificate or key file that cannot be used, the server's certificate refused (untrusted, expired,
   * another host name), the client certificate refused by the server, or a server that does not speak TLS.
   */
  | 'tls'
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

// ---- TLS messages: the same fixed texts in _socket.py ----

/** OpenSSL's certificate verification results (X509_V_ERR_*) by name, as Node reports them in `error.code`. */
const UNTRUSTED_CERTIFICATE = [
  'UNABLE_TO_GET_ISSUER_CERT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
];
const OTHER_VERIFY_FAILURES = [
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
];

/** The fixed text for a failed verification of the server's certificate (`name` an X509_V_ERR_* name). */
function verifyFailure(name: string, host: string): SocketError {
  const prefix = 'certificate verify failed: ';
  if (UNTRUSTED_CERTIFICATE.includes(name)) {
    return new SocketError('tls', `${prefix}the server's certificate is not signed by a trusted certificate authority`);
  }
  if (name === 'CERT_HAS_EXPIRED') return new SocketError('tls', `${prefix}the server's certificate has expired`);
  if (name === 'CERT_NOT_YET_VALID')
    return new SocketError('tls', `${prefix}the server's certificate is not valid yet`);
  if (name === 'HOSTNAME_MISMATCH' || name === 'IP_ADDRESS_MISMATCH') {
    return new SocketError('tls', `${prefix}the server's certificate is not valid for the host name "${host}"`);
  }
  return new SocketError('tls', `${prefix}${name.toLowerCase().split('_').join(' ')}`);
}

/** OpenSSL reasons (SSL_R_*, as `ERR_SSL_<reason>` in Node and `SSLError.reason` in Python) with a fixed text. */
const NOT_TLS_REASONS = [
  'WRONG_VERSION_NUMBER',
  'HTTP_REQUEST',
  'RECORD_LAYER_FAILURE',
  'PACKET_LENGTH_TOO_LONG',
  'UNKNOWN_PROTOCOL',
];
const CLIENT_CERTIFICATE_REFUSED = [
  'SSLV3_ALERT_BAD_CERTIFICATE',
  'SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'SSLV3_ALERT_CERTIFICATE_REVOKED',
];
const NO_COMMON_VERSION = ['TLSV1_ALERT_PROTOCOL_VERSION', 'UNSUPPORTED_PROTOCOL', 'NO_PROTOCOLS_AVAILABLE'];
export const TLS_CLOSED_DURING_HANDSHAKE = 'the server closed the connection during the TLS handshake';

/** The fixed text for an OpenSSL reason. */
function reasonFailure(reason: string): SocketError {
  if (NOT_TLS_REASONS.includes(reason)) return new SocketError('tls', 'the server does not speak TLS on this port');
  if (reason === 'TLSV13_ALERT_CERTIFICATE_REQUIRED')
    return new SocketError('tls', 'the server requires a client certificate');
  if (reason === 'TLSV1_ALERT_UNKNOWN_CA') {
    return new SocketError('tls', 'the server does not trust the client certificate (unknown certificate authority)');
  }
  if (CLIENT_CERTIFICATE_REFUSED.includes(reason))
    return new SocketError('tls', 'the server refused the client certificate');
  if (NO_COMMON_VERSION.includes(reason))
    return new SocketError('tls', 'the server and the client have no TLS version in common');
  if (reason === 'UNEXPECTED_EOF_WHILE_READING') return new SocketError('tls', TLS_CLOSED_DURING_HANDSHAKE);
  return new SocketError('tls', `TLS failed: ${reason.toLowerCase().split('_').join(' ')}`);
}

/** Whether Node's error code is a TLS one (OpenSSL's, or Node's own host name check). */
function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_SSL_') ||
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
    UNTRUSTED_CERTIFICATE.includes(code) ||
    OTHER_VERIFY_FAILURES.includes(code) ||
    code === 'CERT_HAS_EXPIRED' ||
    code === 'CERT_NOT_YET_VALID'
  );
}

/** The SocketError for an error a TLS socket reported (`host` for the host name text). */
function tlsCodeFailure(code: string, host: string): SocketError {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return verifyFailure('HOSTNAME_MISMATCH', host);
  if (code.startsWith('ERR_SSL_')) return reasonFailure(code.slice('ERR_SSL_'.length));
  return verifyFailure(code, host);
}

/** The SocketError for any error a socket reported during `phase` (TLS ones included). */
function failureOf(error: NodeJS.ErrnoException, phase: string, host: string): SocketError {
  if (error.code !== undefined && isTlsCode(error.code)) return tlsCodeFailure(error.code, host);
  return osFailure(error.code, phase);
}

/** `reason` for a file that cannot be read, as _socket.py words errno. */
function fileReadFailure(role: string, path: string, code: string | undefined): SocketError {
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : `error ${code ?? 'unknown'}`;
  return new SocketError('tls', `cannot read the ${role} ${path}: ${reason}`);
}

function readPem(role: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileReadFailure(role, path, (error as NodeJS.ErrnoException).code);
  }
}

/** The TLS settings of a connection: `tls` 'on' verifies the server's certificate chain and host name. */
export type TlsMode = 'off' | 'on' | 'insecure';

/**
 * How to open a connection; the emitter passes these as keyword arguments (connect_timeout=..., tls=...). The TLS
 * settings may be left out (plain TCP).
 */
export type SocketOptions = {
  /** Seconds to wait for the connection, including the TLS handshake. */
  connectTimeout: Float;
  /** 'off' (plain TCP), 'on' (TLS, the certificate chain and the host name verified) or 'insecure' (TLS, no verification). */
  tls?: TlsMode;
  /** PEM file of the certificate authorities that sign the server's certificate; null: the platform's default ones. */
  tlsCaFile?: string | null;
  /** PEM files of the client certificate and its key, sent when the server asks for one; both or neither. */
  tlsCertFile?: string | null;
  tlsKeyFile?: string | null;
};

/** The TLS context for `options` (files read now), or a SocketError of kind 'tls' naming the file that cannot be used. */
function secureContextFor(options: SocketOptions): SecureContext {
  const caFile = options.tlsCaFile ?? null;
  const certFile = options.tlsCertFile ?? null;
  const keyFile = options.tlsKeyFile ?? null;
  let ca: Buffer | null = null;
  if (caFile !== null) {
    ca = readPem('CA file', caFile);
    // Node would silently ignore a file without certificates (and then trust nobody); OpenSSL refuses it in Python.
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new SocketError('tls', `no certificate in the CA file ${caFile}`);
  }
  let cert: Buffer | null = null;
  let key: Buffer | null = null;
  if (certFile !== null && keyFile !== null) {
    cert = readPem('client certificate file', certFile);
    key = readPem('client key file', keyFile);
  }
  try {
    return createSecureContext({
      minVersion: 'TLSv1.2',
      ...(ca !== null ? { ca } : {}),
      ...(cert !== null && key !== null ? { cert, key } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return failTls('the client certificate and key do not match');
    if (ca !== null && cert === null) return failTls(`no certificate in the CA file ${caFile ?? ''}`);
    return failTls('the client certificate or key is not usable PEM');
  }
}

function failTls(message: string): never {
  throw new SocketError('tls', message);
}

/** How long a TLS 1.3 connection waits after its handshake for the server's verdict on the client (see startTls). */
export const POST_HANDSHAKE_WAIT_MS = 250;

/** TLS over the connected `raw`, within `remainingMs`; failures are SocketErrors (kind 'tls', or 'timeout'). */
function startTls(
  raw: NetSocket,
  host: string,
  mode: TlsMode,
  context: SecureContext,
  remainingMs: number,
  connectTimeout: Float,
): Promise<NetSocket> {
  return new Promise<NetSocket>((resolve, reject) => {
    const options: ConnectionOptions = { socket: raw, host, secureContext: context, rejectUnauthorized: mode === 'on' };
    // SNI carries names only; the certificate is checked against `host` either way.
    if (isIP(host) === 0) options.servername = host;
    const secure = tlsConnect(options);
    const timer = setTimeout(
      () => {
        secure.destroy();
        reject(timedOut('TLS handshake', connectTimeout));
      },
      Math.max(remainingMs, 0),
    );
    // TLS 1.3: the client's handshake ends before the server has checked the client's certificate; the server's first
    // record after it says how that went (session tickets, or an alert refusing the certificate). Waiting for it
    // (POST_HANDSHAKE_WAIT_MS at most) reports a refusal here, and the same way in both bindings, instead of racing
    // the first request (which the server answers by closing the connection).
    let handshakeDone = false;
    let verdict = false;
    const settle = (): void => {
      if (secure.listenerCount('session') === 0) return;
      clearTimeout(timer);
      secure.removeAllListeners('error');
      secure.removeAllListeners('session');
      resolve(secure);
    };
    secure.on('session', () => {
      verdict = true;
      // Node calls this from inside OpenSSL's read: a request written before it returns would never be sent.
      if (handshakeDone) setImmediate(settle);
    });
    secure.once('secureConnect', () => {
      handshakeDone = true;
      if (verdict || secure.getProtocol() !== 'TLSv1.3') {
        setImmediate(settle);
        return;
      }
      setTimeout(settle, Math.min(POST_HANDSHAKE_WAIT_MS, Math.max(remainingMs, 0)));
    });
    secure.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      secure.removeAllListeners('session');
      secure.destroy();
      const code = error.code ?? '';
      reject(isTlsCode(code) ? tlsCodeFailure(code, host) : new SocketError('tls', TLS_CLOSED_DURING_HANDSHAKE));
    });
  });
}

/**
 * Opens a TCP connection (TCP_NODELAY on: requests are small and latency-bound) and, unless `tls` is 'off', TLS over
 * it. connect_timeout bounds both. A certificate or key file that cannot be used fails before anything is sent.
 */
export async function openSocket(host: string, port: number, options: SocketOptions): Promise<Socket> {
  const connectTimeout = options.connectTimeout;
  const mode = options.tls ?? 'off';
  const context = mode === 'off' ? null : secureContextFor(options);
  const deadline = Date.now() + connectTimeout * 1000;
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
  if (context === null) return new Socket(raw, host);
  return new Socket(await startTls(raw, host, mode, context, deadline - Date.now(), connectTimeout), host);
}

/** One open connection. Received bytes queue up until `receive` takes them; failures are kept for the next call. */
export class Socket {
  private readonly raw: NetSocket;
  private inbox: Buffer[] = [];
  private ended = false;
  private failure: SocketError | null = null;
  private wake: (() => void) | null = null;
  private readonly host: string;

  /** `raw` is a TLS socket when TLS is on; `host` words a host name mismatch reported later. */
  constructor(raw: NetSocket, host: string) {
    this.raw = raw;
    this.host = host;
    raw.on('data', (chunk: Buffer) => {
      this.inbox.push(chunk);
      this.notify();
    });
    raw.on('end', () => {
      this.ended = true;
      this.notify();
    });
    raw.on('error', (error: NodeJS.ErrnoException) => {
      this.failure = failureOf(error, 'receive', host);
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
        else reject(failureOf(error as NodeJS.ErrnoException, 'send', this.host));
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

let spoolCounter = 0;

/**
 * Bytes kept in a temporary file and read back in order: a listing drained from memcached at network speed (so that
 * its crawler, which serves one client at a time and blocks while that client does not read, is let go at once) and
 * parsed at the query's pace. The file is removed when the spool is made; close() frees it. Failures of the disk are
 * SocketError `other`.
 */
export class Spool {
  private readonly descriptor: number;
  private written: number;
  private readPosition: number;

  constructor(descriptor: number) {
    this.descriptor = descriptor;
    this.written = 0;
    this.readPosition = 0;
  }

  /** Appends `data`. */
  write(data: Bytes): void {
    try {
      let offset = 0;
      while (offset < data.length)
        offset += writeSync(this.descriptor, data, offset, data.length - offset, this.written + offset);
    } catch (error) {
      throw spoolFailure('writing', error);
    }
    this.written += data.length;
  }

  /** Up to `size` bytes from where the last read ended; empty at the end. */
  read(size: number): Bytes {
    const wanted = Math.min(size, this.written - this.readPosition);
    if (wanted <= 0) return new Uint8Array(0);
    const buffer = new Uint8Array(wanted);
    let got = 0;
    try {
      while (got < wanted) got += readSync(this.descriptor, buffer, got, wanted - got, this.readPosition + got);
    } catch (error) {
      throw spoolFailure('reading', error);
    }
    this.readPosition += wanted;
    return buffer;
  }

  /** Frees the file (repeating it changes nothing). */
  close(): void {
    if (this.readPosition < 0) return;
    this.readPosition = -1;
    closeSync(this.descriptor);
  }
}

function spoolFailure(doing: string, error: unknown): SocketError {
  const code = (error as NodeJS.ErrnoException).code;
  return new SocketError('other', `${doing} the temporary file of a listing failed: ${code ?? 'unknown error'}`);
}

/** A new, empty spool in the system's temporary directory. */
export function openSpool(): Spool {
  spoolCounter += 1;
  const path = join(tmpdir(), `pymcache_fdw-spool-${process.pid}-${spoolCounter}`);
  let descriptor: number;
  try {
    descriptor = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
  } catch (error) {
    throw spoolFailure('creating', error);
  }
  return new Spool(descriptor);
}
