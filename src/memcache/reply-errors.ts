/**
 * The errors the reply reader reports, and the one way to describe them.
 *
 * A reply's bytes come from the peer, which may be a wrong or hostile server, and our messages end up in the
 * PostgreSQL server log; so no message ever holds peer bytes. An error text of memcached (or of a proxy in front of
 * it) that is in the lists below is named; anything else is described by its kind and length only.
 */
import { bytesFind, bytesStartsWith, intToString, latin1Decode, utf8Encode, type Bytes } from '../ports/runtime';
import { SPACE } from './tokens';

/** `ERROR <text>` lines of memcached 1.6.18 (proto_text.c, memcached.c); a bare `ERROR` has no text. */
export const KNOWN_ERROR_TEXTS: readonly string[] = [
  'Too many open connections',
  'metadump not allowed',
  'cannot pipeline other commands before metadump',
  'cannot pipeline other commands before watch',
  'an unknown error happened',
  'failed to start lru crawler thread',
  'failed to stop lru crawler thread',
  'hot and warm pcts must not exceed 80',
  'hot/warm age factors must be greater than 0',
];

/** `CLIENT_ERROR <text>` lines of memcached 1.6.18 (proto_text.c, proto_proxy.c). */
export const KNOWN_CLIENT_ERROR_TEXTS: readonly string[] = [
  'bad data chunk',
  'bad command line',
  'bad command line format',
  'bad command line format.  Usage: delete <key> [noreply]',
  'bad command line termination',
  'bad token in command line format',
  'cannot increment or decrement non-numeric value',
  'invalid exptime argument',
  'invalid numeric delta argument',
  'invalid numeric delta value',
  'invalid numeric initial value',
  'duplicate flag',
  'invalid flag',
  'invalid or duplicate flag',
  'incorrect length for M token',
  'invalid mode for ma M token',
  'invalid mode for ms M token',
  'opaque token too long',
  'options flags are too long',
  'options flags too long',
  'error decoding key',
  'unauthenticated',
  'authentication failure',
  'bad authentication token format',
  'flush_all not allowed',
  'stats cachedump not allowed',
  'watch commands not allowed',
  'lru crawler disabled',
  'slab reassignment disabled',
  'sleep must be one second or less',
  'Illegal slab id',
  'invalid shutdown mode',
  'usage: stats detail on|off|dump',
];

/** `SERVER_ERROR <text>` lines of memcached 1.6.18 itself (proto_text.c, memcached.c). */
const MEMCACHED_SERVER_ERROR_TEXTS: readonly string[] = [
  'out of memory storing object',
  'object too large for cache',
  'out of memory',
  'Out of memory allocating new item',
  'out of memory writing get response',
  'out of memory writing stats',
  'out of memory reading request',
  'Out of memory during read',
  'refcount overflow during fetch',
  'output line too long',
  'Unhandled storage type.',
];

/** `SERVER_ERROR <text>` lines of memcached's built-in proxy (proto_proxy.c). */
const PROXY_SERVER_ERROR_TEXTS: readonly string[] = [
  'backend failure',
  'bad response',
  'lua failure',
  'parsing request',
  'key too long',
  'request too long',
];

/** twemproxy answers `SERVER_ERROR <strerror(errno)>` (glibc's texts) or `SERVER_ERROR unknown`. */
const TWEMPROXY_SERVER_ERROR_TEXTS: readonly string[] = [
  'unknown',
  'Connection refused',
  'Connection timed out',
  'Connection reset by peer',
  'Broken pipe',
  'No route to host',
  'Host is down',
  'Network is unreachable',
  'Cannot allocate memory',
  'Transport endpoint is not connected',
  'Invalid argument',
];

/** Every known `SERVER_ERROR <text>` line: memcached's, its built-in proxy's and twemproxy's. */
export const KNOWN_SERVER_ERROR_TEXTS: readonly string[] = [
  ...MEMCACHED_SERVER_ERROR_TEXTS,
  ...PROXY_SERVER_ERROR_TEXTS,
  ...TWEMPROXY_SERVER_ERROR_TEXTS,
];

/** The first word of every reply line the reader knows; an unexpected line starting with one of them says so. */
const REPLY_WORDS: readonly string[] = [
  'VALUE',
  'END',
  'STORED',
  'NOT_STORED',
  'EXISTS',
  'NOT_FOUND',
  'DELETED',
  'TOUCHED',
  'STAT',
  'VERSION',
  'OK',
  'RESET',
  'BUSY',
  'BADCLASS',
  'NOTSTARTED',
  'ERROR',
  'CLIENT_ERROR',
  'SERVER_ERROR',
  'HD',
  'VA',
  'EN',
  'NF',
  'NS',
  'EX',
  'MN',
  'ME',
];

const KNOWN_TEXTS: Map<ErrorReplyKind, Set<string>> = new Map([
  ['ERROR', new Set(KNOWN_ERROR_TEXTS)],
  ['CLIENT_ERROR', new Set(KNOWN_CLIENT_ERROR_TEXTS)],
  ['SERVER_ERROR', new Set(KNOWN_SERVER_ERROR_TEXTS)],
]);
const KNOWN_REPLY_WORDS: Set<string> = new Set(REPLY_WORDS);

/** Longer texts and words are not decoded at all: every known one is shorter. */
const LONGEST_KNOWN_TEXT = 64;
const LONGEST_REPLY_WORD = 12;

/** The three error replies memcached may send instead of any reply. */
export type ErrorReplyKind = 'ERROR' | 'CLIENT_ERROR' | 'SERVER_ERROR';

/** Everything the reply reader throws because of what it received. */
export class ReplyError extends Error {}

/**
 * memcached answered ERROR, CLIENT_ERROR or SERVER_ERROR instead of the expected reply. The line is consumed and the
 * connection stays in step (after a SERVER_ERROR memcached may close it). `knownText` is the error text when it is
 * one of the known ones, else null; `textLength` is the length of the text in bytes (0 for a bare `ERROR`).
 */
export class ErrorReply extends ReplyError {
  readonly kind: ErrorReplyKind;
  readonly knownText: string | null;
  readonly textLength: number;

  constructor(kind: ErrorReplyKind, knownText: string | null, textLength: number) {
    super(describeErrorReply(kind, knownText, textLength));
    this.kind = kind;
    this.knownText = knownText;
    this.textLength = textLength;
  }
}

/** `ERROR`: memcached does not know the command (or, with a text, refused it: `ERROR metadump not allowed`). */
export class UnknownCommandReply extends ErrorReply {
  constructor(knownText: string | null, textLength: number) {
    super('ERROR', knownText, textLength);
  }
}

/** `CLIENT_ERROR`: the request broke the protocol, or the server refused it (`CLIENT_ERROR unauthenticated`). */
export class ClientErrorReply extends ErrorReply {
  constructor(knownText: string | null, textLength: number) {
    super('CLIENT_ERROR', knownText, textLength);
  }
}

/** `SERVER_ERROR`: the server could not carry out the command (`SERVER_ERROR object too large for cache`). */
export class ServerErrorReply extends ErrorReply {
  constructor(knownText: string | null, textLength: number) {
    super('SERVER_ERROR', knownText, textLength);
  }
}

/**
 * Bytes that are not a reply of the expected kind: the stream is out of step and the connection must be closed.
 * The reader stays failed: every later read throws the same error. `expected` names the reply that was being read,
 * `problem` says what was wrong in our own words (lengths and known reply words only).
 */
export class ProtocolError extends ReplyError {
  readonly expected: string;
  readonly problem: string;

  constructor(expected: string, problem: string) {
    super(describeProtocolError(expected, problem));
    this.expected = expected;
    this.problem = problem;
  }
}

function describeErrorReply(kind: ErrorReplyKind, knownText: string | null, textLength: number): string {
  if (knownText !== null) return `memcached answered ${kind} "${knownText}"`;
  if (textLength === 0)
    return kind === 'ERROR'
      ? 'memcached answered ERROR: it does not know the command'
      : `memcached answered ${kind} with no text`;
  return `memcached answered ${kind} with a text that is not a known memcached error (${intToString(textLength)} bytes, not shown)`;
}

function describeProtocolError(expected: string, problem: string): string {
  return `unreadable reply to ${expected} from memcached: ${problem}`;
}

/**
 * The safe description of an error the reply reader threw: what a log or an ERROR message may say about it. It names
 * known memcached error texts and reply words, and gives only kinds and lengths of anything else the peer sent.
 */
export function describeReplyError(error: ReplyError): string {
  if (error instanceof ErrorReply) return describeErrorReply(error.kind, error.knownText, error.textLength);
  if (error instanceof ProtocolError) return describeProtocolError(error.expected, error.problem);
  return 'unreadable reply from memcached';
}

/** `a line of 12 bytes`, naming the reply word it starts with when it is one the reader knows. */
export function describeLine(line: Bytes): string {
  const length = `a line of ${intToString(line.length)} bytes`;
  const space = bytesFind(line, SPACE, 0);
  const wordLength = space < 0 ? line.length : space;
  if (wordLength > LONGEST_REPLY_WORD) return length;
  const word = latin1Decode(line.slice(0, wordLength));
  return KNOWN_REPLY_WORDS.has(word) ? `${length} starting with ${word}` : length;
}

const ERROR_WORD: Bytes = utf8Encode('ERROR');
const CLIENT_ERROR_WORD: Bytes = utf8Encode('CLIENT_ERROR');
const SERVER_ERROR_WORD: Bytes = utf8Encode('SERVER_ERROR');

/** The text after `word ` in `line`, an empty text when the line is the word alone, or null when it is neither. */
function textAfter(line: Bytes, word: Bytes): Bytes | null {
  if (!bytesStartsWith(line, word, 0)) return null;
  if (line.length === word.length) return line.slice(word.length);
  return bytesStartsWith(line, SPACE, word.length) ? line.slice(word.length + 1) : null;
}

/** `text` when it is one of the known texts of `kind`, else null; nothing else of the peer's text is kept. */
function knownText(kind: ErrorReplyKind, text: Bytes): string | null {
  if (text.length === 0 || text.length > LONGEST_KNOWN_TEXT) return null;
  const decoded = latin1Decode(text);
  return KNOWN_TEXTS.get(kind)!.has(decoded) ? decoded : null;
}

/**
 * The error reply `line` (without its CRLF) holds, or null when it is not one: `ERROR`, `ERROR <text>`,
 * `CLIENT_ERROR <text>`, `SERVER_ERROR <text>`.
 */
export function errorReplyOf(line: Bytes): ErrorReply | null {
  const error = textAfter(line, ERROR_WORD);
  if (error !== null) return new UnknownCommandReply(knownText('ERROR', error), error.length);
  const client = textAfter(line, CLIENT_ERROR_WORD);
  if (client !== null) return new ClientErrorReply(knownText('CLIENT_ERROR', client), client.length);
  const server = textAfter(line, SERVER_ERROR_WORD);
  if (server !== null) return new ServerErrorReply(knownText('SERVER_ERROR', server), server.length);
  return null;
}
