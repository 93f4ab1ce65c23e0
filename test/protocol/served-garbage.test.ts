// The fuzz run through the client's read path (issue 11: "a clear error naming the server, never a hang or a wrong
// row"): a real TCP peer (test/rig/faults.ts startOneReplyPeer) answers each lookup's `gets` with garbage, then closes
// the connection, and the lookup is the one a table makes (ServerPool.readThrough on a host/port table with timeout
// 0.5 s, each on a new connection). Each outcome is predicted from the bytes: the reference reading of a get reply
// (garbage.ts referenceGet, independent of the reader) gives the kind of outcome, and the error's message is the
// wrapper's text for that kind naming the peer's host:port and the operation, with the details (the reader's own
// description of what was wrong, or of the error reply) taken from the reply reader on the same bytes. Rows come only
// from a whole, valid reply to the keys asked. 200 random replies plus hand-made ones in Node, 60 through the emitted
// Python; FC_SEED replays a run.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeAllConnections } from '../../src/memcache/connection';
import { ErrorReply, ProtocolError, ReplyReader } from '../../src/memcache/protocol';
import { MulticornException } from '../../src/ports/host';
import { ServerPool } from '../../src/server-pool';
import { parseServerSet } from '../../src/table-options';
import { WriteSet } from '../../src/write-set';
import { startOneReplyPeer } from '../rig/faults';
import { SEED, sample } from '../runtime/vectors';
import { PythonClient, type PythonOutcome } from './client-driver';
import { mutate, mutation, protocolish, referenceGet } from './garbage';
import { anyCase, bytes, concat, latin1, pipelineCase, valuesCase } from './reply-models';

const NODE_RUNS = 200;
const PYTHON_RUNS = 60;
/** The keys a lookup asks for: one (the message names it) or several (the message says `get`). */
const KEY_SETS: readonly string[][] = [['k'], ['a', 'k', 'z']];

let peer: Awaited<ReturnType<typeof startOneReplyPeer>>;
let python: PythonClient;
let label: string;

beforeAll(async () => {
  peer = await startOneReplyPeer();
  label = `${peer.address.host}:${peer.address.port}`;
  python = new PythonClient();
});

afterAll(async () => {
  closeAllConnections();
  await python?.close();
  await peer?.stop();
});

beforeEach(() => {
  closeAllConnections();
});

/** What a lookup may end with: rows (key -> value as latin-1), or an ERROR's message. */
type Outcome = { rows: Record<string, string> } | { message: string };

/** The operation as messages name it. */
function what(keys: readonly string[]): string {
  return keys.length === 1 ? `get of key "${keys[0]!}"` : 'get';
}

/** The error the reply reader reports for `data` read whole as a get reply (its details word the message). */
function readerError(data: Uint8Array): unknown {
  const reader = new ReplyReader();
  reader.feed(data);
  try {
    reader.readValues();
  } catch (error) {
    return error;
  }
  return null;
}

/** The message of the wrapper's ERROR for a failed lookup, as describeFailure words it for this kind of failure. */
function errorMessage(kind: string, error: unknown, keys: readonly string[]): string {
  const operation = what(keys);
  if (kind === 'closed') return `memcached at ${label} closed the connection during ${operation}`;
  if (kind === 'ProtocolError') {
    const problem = error instanceof ProtocolError ? error.problem : 'a value for a key that was not asked for';
    return `the server at ${label} answered the ${operation} with something that is not a memcached reply: ${problem}`;
  }
  if (!(error instanceof ErrorReply))
    throw new Error(`the reader reported no error reply where the reference saw ${kind}`);
  const text = error.knownText ?? error.message;
  if (kind === 'UnknownCommandReply') {
    if (error.knownText === 'Too many open connections')
      return `memcached at ${label} refused the connection: Too many open connections`;
    return `memcached at ${label} does not know the command of the ${operation}: ${text}`;
  }
  if (kind === 'ClientErrorReply') return `memcached at ${label} rejected the ${operation}: ${text}`;
  return `memcached at ${label} failed the ${operation}: ${text}`;
}

/**
 * The outcome a lookup of `keys` must have when the server answers `data` and closes the connection: the reference
 * reading says whether the reply is whole (rows, matched to the keys in the order asked, as memcached answers; a value
 * for a key not asked, or out of order, is a ProtocolError), broken (its error kind) or cut short (the close).
 */
function expectedOutcome(data: Uint8Array, keys: readonly string[]): Outcome {
  const reference = referenceGet(data);
  if ('needMore' in reference) return { message: errorMessage('closed', null, keys) };
  if ('error' in reference) return { message: errorMessage(reference.error, readerError(data), keys) };
  const rows: Record<string, string> = {};
  let position = 0;
  for (const item of reference.items as Array<[Uint8Array, number, Uint8Array, string | null]>) {
    const key = latin1(item[0]);
    while (position < keys.length && keys[position] !== key) position += 1;
    if (position === keys.length) return { message: errorMessage('ProtocolError', null, keys) };
    rows[key] = latin1(item[2]);
    position += 1;
  }
  return { rows };
}

/** The lookup a table makes, through the peer: rows, or the ERROR's message. */
async function lookUp(keys: readonly string[]): Promise<Outcome> {
  const table = new ServerPool(
    parseServerSet({ host: peer.address.host, port: String(peer.address.port), timeout: '0.5' }, true),
    '',
  );
  try {
    const found = await table.readThrough(new WriteSet(), [...keys]);
    return { rows: Object.fromEntries([...found].map(([key, item]) => [key, latin1(item.value)])) };
  } catch (error) {
    // Only the wrapper's ERROR (log_to_postgres at ERROR) is a report; anything else fails the run as it is.
    if (!(error instanceof MulticornException)) throw error;
    return { message: error.message };
  }
}

/**
 * Replies a peer may send instead of a get reply: protocol-like bytes, mutated replies of every kind, random bytes;
 * some of them ended by CRLF, so that more of them are whole lines.
 */
const servedGarbage: fc.Arbitrary<Uint8Array> = fc.oneof(
  protocolish,
  protocolish.map((data) => concat(data, bytes('\r\n'))),
  fc.tuple(valuesCase, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([c, m]) => mutate(c.data, m)),
  fc.tuple(fc.oneof(anyCase, pipelineCase), fc.array(mutation, { maxLength: 3 })).map(([c, m]) => mutate(c.data, m)),
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((data) => concat(data, bytes('\r\n'))),
);

/** Hand-made replies that cover every kind of outcome whatever the seed. */
const HAND_MADE: readonly string[] = [
  '',
  'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n',
  'SSH-2.0-OpenSSH_9.2\r\n',
  'STORED\r\n',
  'ERROR\r\n',
  'ERROR Too many open connections\r\n',
  'CLIENT_ERROR bad command line format\r\n',
  'SERVER_ERROR internal-db-password=hunter2\r\n',
  'VALUE k 0 5\r\nab',
  'VALUE k 0 1\r\nxyz\r\nEND\r\n',
  'VALUE other 0 1\r\nx\r\nEND\r\n',
  'VALUE k 0 1\r\nx\r\nVALUE k 0 1\r\ny\r\nEND\r\n',
  'VALUE k 0 1 18446744073709551616\r\nx\r\nEND\r\n',
  `VALUE ${'x'.repeat(9000)}`,
  'VALUE k 0 1\r\nx\r\nEND\r\n',
  'END\r\n',
];

type Case = { data: Uint8Array; keys: readonly string[] };

function cases(random: number): Case[] {
  const made = HAND_MADE.flatMap((text) => KEY_SETS.map((keys) => ({ data: bytes(text), keys })));
  const drawn = sample(servedGarbage, random).map((data, i) => ({ data, keys: KEY_SETS[i % KEY_SETS.length]! }));
  return [...made, ...drawn];
}

/** The kind of an outcome, for the coverage check: rows (or none), or the words of the message that tell the failure. */
function kindOf(outcome: Outcome): string {
  if ('rows' in outcome) return Object.keys(outcome.rows).length === 0 ? 'no rows' : 'rows';
  for (const start of [
    'closed the connection',
    'is not a memcached reply',
    'refused the connection',
    'does not know the command',
    'rejected the',
    'failed the',
  ])
    if (outcome.message.includes(start)) return start;
  return outcome.message;
}

const ALL_KINDS = [
  'closed the connection',
  'does not know the command',
  'failed the',
  'is not a memcached reply',
  'no rows',
  'refused the connection',
  'rejected the',
  'rows',
];

describe('garbage served by a real TCP peer to the read path of a table', () => {
  it(`Node, ${NODE_RUNS} random replies and the hand-made ones: exactly the predicted ERROR naming the peer, or the rows of a whole valid reply`, async () => {
    const all = cases(NODE_RUNS);
    const before = peer.connections();
    const differing: unknown[] = [];
    const kinds = new Set<string>();
    for (const { data, keys } of all) {
      closeAllConnections();
      peer.serve(data);
      const expected = expectedOutcome(data, keys);
      const actual = await lookUp(keys);
      kinds.add(kindOf(expected));
      if (!isDeepStrictEqual(actual, expected)) differing.push({ served: latin1(data), keys, expected, actual });
    }
    expect(differing, `FC_SEED=${SEED}`).toEqual([]);
    // One connection per lookup: no retry sent a request again, so every outcome is that of the reply served.
    expect(peer.connections() - before).toBe(all.length);
    expect([...kinds].sort()).toEqual(ALL_KINDS);
  });

  it(`Python, ${PYTHON_RUNS} random replies and the hand-made ones: the same outcomes through the emitted client`, async () => {
    const all = cases(PYTHON_RUNS);
    const before = peer.connections();
    const differing: unknown[] = [];
    for (const { data, keys } of all) {
      peer.serve(data);
      const expected = expectedOutcome(data, keys);
      const outcome = await python.request<PythonOutcome>({
        op: 'read',
        options: { host: peer.address.host, port: String(peer.address.port), timeout: '0.5' },
        keys,
      });
      if (!('rows' in outcome) && !('error' in outcome))
        throw new Error(`not an outcome of a read: ${JSON.stringify(outcome)}`);
      // The wrapper's ERROR is the host's MulticornException; any other exception is named with its class.
      const actual: Outcome =
        'rows' in outcome
          ? outcome
          : {
              message:
                outcome.error.class === 'MulticornException'
                  ? outcome.error.message
                  : `${outcome.error.class}: ${outcome.error.message}`,
            };
      if (!isDeepStrictEqual(actual, expected)) differing.push({ served: latin1(data), keys, expected, actual });
    }
    expect(differing, `FC_SEED=${SEED}`).toEqual([]);
    expect(peer.connections() - before).toBe(all.length);
  });
});
