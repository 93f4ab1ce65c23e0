// The reply reader (src/memcache/replies.ts) in Node and emitted under /usr/bin/python3 on the same bytes: replies
// of every kind, hand-made and random, whole, split at every byte boundary, fed byte by byte, and 1 MB values in
// chunks. Node's outcomes must be exactly the expected ones, and Python's exactly Node's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalFromNode, runInNode, type Outcome } from '../rig/differential';
import { SEED, sample } from '../runtime/vectors';
import {
  anyCase,
  bytes,
  errorCase,
  joinCases,
  metadumpLine,
  metaReply,
  pipelineCase,
  valuesReply,
  type ReplyCase,
} from '../protocol/reply-models';
import { expectSameOutcomes, runAdapterInPython } from './agreement';

const ADAPTER = 'test/differential/protocol-adapter.ts';

async function bothSides(fn: string, vectors: unknown[][]): Promise<Outcome[]> {
  const node = await runInNode(ADAPTER, fn, vectors);
  const python = await runAdapterInPython(
    'protocol_adapter',
    fn.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    vectors,
  );
  expectSameOutcomes(fn, vectors, node, python);
  return node;
}

function canonical(value: unknown): string {
  return JSON.stringify(canonicalFromNode(value, false));
}

/** Every case read whole must give its expected outcomes, at every split and byte by byte too, on both sides. */
async function expectCases(cases: readonly ReplyCase[], label: string): Promise<void> {
  const outcomes = await bothSides(
    'readAtEverySplit',
    cases.map((c) => [c.data, c.kinds]),
  );
  cases.forEach((c, index) => {
    const outcome = outcomes[index]!;
    if (!('ok' in outcome)) throw new Error(`${label} #${index}: the adapter threw ${JSON.stringify(outcome)}`);
    const [whole, differing, byteByByte] = outcome.ok as [unknown, unknown, unknown];
    const context = `${label} #${index} (FC_SEED=${SEED}): ${JSON.stringify(Buffer.from(c.data).toString('latin1')).slice(0, 300)}`;
    expect(JSON.stringify(whole), context).toBe(canonical(c.expected));
    expect(differing, `${context}: split positions whose outcome differs`).toEqual([]);
    expect(byteByByte, `${context}: fed byte by byte`).toBe(true);
  });
}

const serverError = (known: string | null, length: number): string =>
  known !== null
    ? `memcached answered SERVER_ERROR "${known}"`
    : `memcached answered SERVER_ERROR with a text that is not a known memcached error (${length} bytes, not shown)`;

describe('hand-made replies of every kind: exact outcomes, whole and at every split, Node and Python alike', () => {
  it('get/gets: values holding CR LF, END and VALUE lines, a 0-byte value, CAS tokens up to 2^64 - 1', async () => {
    await expectCases(
      [
        valuesReply([]),
        valuesReply([[bytes('k'), 0, bytes(''), null]]),
        valuesReply([
          [bytes('a'), 4294967295, bytes('x\r\nEND\r\nVALUE b 0 1\r\ny\r\n'), null],
          [bytes('b:é'), 1, bytes('END'), null],
        ]),
        valuesReply([
          [bytes('k'), 7, bytes('\r\n'), '18446744073709551615'],
          [bytes('l'), 0, bytes('END\r\n'), '0'],
        ]),
        valuesReply([[bytes('k'.repeat(250)), 0, bytes('v'), '1']]),
      ],
      'values',
    );
  });

  it('storage, delete, touch, incr/decr (space-padded too), stats, version', async () => {
    await expectCases(
      [
        ...['STORED', 'NOT_STORED', 'EXISTS', 'NOT_FOUND'].map((w) => ({
          data: bytes(`${w}\r\n`),
          kinds: ['stored' as const],
          expected: [w, { left: 0 }],
        })),
        {
          data: bytes('DELETED\r\nNOT_FOUND\r\n'),
          kinds: ['deleted', 'deleted'],
          expected: ['DELETED', 'NOT_FOUND', { left: 0 }],
        },
        {
          data: bytes('TOUCHED\r\nNOT_FOUND\r\n'),
          kinds: ['touched', 'touched'],
          expected: ['TOUCHED', 'NOT_FOUND', { left: 0 }],
        },
        {
          data: bytes('18446744073709551615\r\n0  \r\nNOT_FOUND\r\n'),
          kinds: ['counter', 'counter', 'counter'],
          expected: [
            { found: true, value: '18446744073709551615' },
            { found: true, value: '0' },
            { found: false, value: null },
            { left: 0 },
          ],
        },
        {
          data: bytes(
            'STAT pid 42\r\nSTAT version 1.6.18\r\nSTAT 23:addr tcp:127.0.0.1:1\r\nSTAT empty \r\nSTAT spaced a b\r\nEND\r\n',
          ),
          kinds: ['stats'],
          expected: [
            [
              ['pid', '42'],
              ['version', '1.6.18'],
              ['23:addr', 'tcp:127.0.0.1:1'],
              ['empty', ''],
              ['spaced', 'a b'],
            ],
            { left: 0 },
          ],
        },
        {
          data: bytes('END\r\nVERSION 1.6.18\r\n'),
          kinds: ['stats', 'version'],
          expected: [[], '1.6.18', { left: 0 }],
        },
      ],
      'single lines',
    );
  });

  it('meta: VA with value and flags, EN with O and k, HD with the extra space of 1.6.10-1.6.17, MN, quiet pipelines', async () => {
    await expectCases(
      [
        {
          data: bytes(
            'VA 2 t100 f1 c2 s2 kk%20 O123 h0 l0\r\nxy\r\nEN O9 knokey\r\nHD \r\nNF  O1\r\nHD c3 W X Z b\r\nVA 1 t-1 c4\r\n5\r\nMN\r\n',
          ),
          kinds: ['meta', 'meta', 'meta', 'meta', 'meta', 'meta', 'meta'],
          expected: [
            metaReply('VA', {
              value: bytes('xy'),
              ttl: 100,
              clientFlags: 1,
              cas: '2',
              size: 2,
              key: bytes('k%20'),
              opaque: bytes('123'),
              hit: false,
              lastAccess: 0,
            }),
            metaReply('EN', { opaque: bytes('9'), key: bytes('nokey') }),
            metaReply('HD'),
            metaReply('NF', { opaque: bytes('1') }),
            metaReply('HD', { cas: '3', won: true, stale: true, winTokenSent: true, base64Key: true }),
            metaReply('VA', { value: bytes('5'), ttl: -1, cas: '4' }),
            metaReply('MN'),
            { left: 0 },
          ],
        },
        {
          data: bytes('VA 0 Q7\r\n\r\n'),
          kinds: ['meta'],
          expected: [metaReply('VA', { value: bytes('') }), { left: 0 }],
        },
      ],
      'meta',
    );
  });

  it('lru_crawler metadump: percent-encoded keys, the formats of 1.4.31, 1.6.18 and 1.6.24, END and the refusals', async () => {
    const entries = [
      {
        key: bytes('a\u0001b'),
        expiresAt: -1,
        lastAccess: 1795753469,
        cas: '1',
        fetched: false,
        slabClass: 1,
        size: 69,
        clientFlags: null,
      },
      {
        key: bytes('%/ é'),
        expiresAt: 1795753500,
        lastAccess: 0,
        cas: '18446744073709551615',
        fetched: true,
        slabClass: 63,
        size: 1048576,
        clientFlags: null,
      },
      {
        key: bytes('old'),
        expiresAt: 5,
        lastAccess: 6,
        cas: '7',
        fetched: true,
        slabClass: null,
        size: null,
        clientFlags: null,
      },
      {
        key: bytes('new'),
        expiresAt: 5,
        lastAccess: 6,
        cas: '7',
        fetched: true,
        slabClass: 2,
        size: 90,
        clientFlags: 4294967295,
      },
    ];
    await expectCases(
      [
        {
          data: bytes(`${entries.map(metadumpLine).join('')}END\r\n`),
          kinds: ['metadump'],
          expected: [...entries, 'END', { left: 0 }],
        },
        {
          data: bytes('key=a%2fb exp=1 la=2 cas=3 fetch=no cls=1 size=2 later=field\nEND\r\n'),
          kinds: ['metadump'],
          expected: [
            {
              key: bytes('a/b'),
              expiresAt: 1,
              lastAccess: 2,
              cas: '3',
              fetched: false,
              slabClass: 1,
              size: 2,
              clientFlags: null,
            },
            'END',
            { left: 0 },
          ],
        },
        ...[
          'BUSY currently processing crawler request',
          'BADCLASS invalid class id',
          'NOTSTARTED no items to crawl',
        ].map((line) => ({
          data: bytes(`${line}\r\n`),
          kinds: ['metadump' as const],
          expected: [line.split(' ')[0], { left: 0 }],
        })),
      ],
      'metadump',
    );
  });

  it('ERROR, CLIENT_ERROR and SERVER_ERROR instead of any reply: known texts named, others described by length only', async () => {
    await expectCases(
      [
        errorCase(
          'ERROR',
          'values',
          'UnknownCommandReply',
          'ERROR',
          null,
          0,
          'memcached answered ERROR: it does not know the command',
        ),
        errorCase(
          'ERROR metadump not allowed',
          'metadump',
          'UnknownCommandReply',
          'ERROR',
          'metadump not allowed',
          20,
          'memcached answered ERROR "metadump not allowed"',
        ),
        errorCase(
          'CLIENT_ERROR lru crawler disabled',
          'metadump',
          'ClientErrorReply',
          'CLIENT_ERROR',
          'lru crawler disabled',
          20,
          'memcached answered CLIENT_ERROR "lru crawler disabled"',
        ),
        errorCase(
          'SERVER_ERROR object too large for cache',
          'stored',
          'ServerErrorReply',
          'SERVER_ERROR',
          'object too large for cache',
          26,
          serverError('object too large for cache', 26),
        ),
        errorCase(
          'SERVER_ERROR password=hunter2 for db secret',
          'meta',
          'ServerErrorReply',
          'SERVER_ERROR',
          null,
          30,
          serverError(null, 30),
        ),
        errorCase(
          'CLIENT_ERROR ',
          'counter',
          'ClientErrorReply',
          'CLIENT_ERROR',
          null,
          0,
          'memcached answered CLIENT_ERROR with no text',
        ),
        errorCase(
          `SERVER_ERROR ${'x'.repeat(5000)}`,
          'stats',
          'ServerErrorReply',
          'SERVER_ERROR',
          null,
          5000,
          serverError(null, 5000),
        ),
        // The reader stays in step after an error reply: the next reply is read normally.
        joinCases([
          errorCase(
            'SERVER_ERROR out of memory storing object',
            'stored',
            'ServerErrorReply',
            'SERVER_ERROR',
            'out of memory storing object',
            28,
            serverError('out of memory storing object', 28),
          ),
          valuesReply([[bytes('k'), 1, bytes('v'), null]]),
        ]),
      ],
      'errors',
    );
  });

  it('bytes that are no reply: a ProtocolError naming lengths and known reply words, never the bytes', async () => {
    const protocolError = (
      data: string,
      kind: ReplyCase['kinds'][number],
      expected: string,
      problem: string,
    ): ReplyCase => ({
      data: bytes(data),
      kinds: [kind],
      expected: [
        {
          error: 'ProtocolError',
          message: `unreadable reply to ${expected} from memcached: ${problem}`,
          attributes: { expected, problem },
        },
      ],
    });
    await expectCases(
      [
        protocolError(
          'STORED\r\n',
          'values',
          'get/gets',
          'a line of 6 bytes starting with STORED where VALUE, END or an error was expected',
        ),
        protocolError(
          'secret-token\r\n',
          'stored',
          'a storage command',
          'a line of 12 bytes where STORED, NOT_STORED, EXISTS, NOT_FOUND or an error was expected',
        ),
        protocolError('VALUE k 0 3\r\nabcXY', 'values', 'get/gets', 'a data block of 3 bytes not followed by CRLF'),
        protocolError(
          'VALUE k x 3\r\n',
          'values',
          'get/gets',
          'a VALUE line of 11 bytes that is not VALUE <key> <flags> <bytes> [<cas>]',
        ),
        protocolError(
          'VALUE k 4294967296 1\r\n',
          'values',
          'get/gets',
          'a VALUE line of 20 bytes that is not VALUE <key> <flags> <bytes> [<cas>]',
        ),
        protocolError(
          'VALUE k 0 1 18446744073709551616\r\n',
          'values',
          'get/gets',
          'a CAS token of 20 bytes that is not an unsigned 64-bit number',
        ),
        protocolError(
          'HDX\r\n',
          'meta',
          'a meta command',
          'a line of 3 bytes where HD, VA, EN, NF, NS, EX, MN or an error was expected',
        ),
        protocolError(
          'HD t1x\r\n',
          'meta',
          'a meta command',
          'a t flag whose token of 2 bytes is not what memcached sends',
        ),
        protocolError(
          'key=a%zz exp=1 la=1 cas=1 fetch=no\n',
          'metadump',
          'lru_crawler metadump',
          'a line of 34 bytes with a key that is not 1 to 250 percent-encoded bytes',
        ),
        protocolError(
          'key=a exp=1 la=1 fetch=no\n',
          'metadump',
          'lru_crawler metadump',
          'a line of 25 bytes with one of the fields key, exp, la, cas and fetch missing',
        ),
      ],
      'protocol errors',
    );
  });
});

describe('random replies: exact outcomes at every split, Node and Python alike', () => {
  it('one reply of every kind, random (200 cases, each split at every byte boundary and fed byte by byte)', async () => {
    await expectCases(sample(anyCase, 200), 'random reply');
  });

  it('pipelines of up to 5 replies of mixed kinds in one stream (100 cases)', async () => {
    await expectCases(sample(pipelineCase, 100), 'random pipeline');
  });
});

describe('large values: 1 MB in 64 KB chunks and at sampled boundaries', () => {
  const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 7 + (i >> 9)) & 0xff);
  big.set(bytes('\r\nEND\r\n'), 1000);
  const reply = valuesReply([
    [bytes('big'), 3, big, '99'],
    [bytes('small'), 0, bytes('x'), '100'],
  ]);

  function chunked(data: Uint8Array, cuts: number[]): Uint8Array[] {
    const sorted = [...new Set(cuts.filter((c) => c > 0 && c < data.length))].sort((a, b) => a - b);
    return [0, ...sorted].map((start, i) => data.slice(start, sorted[i] ?? data.length));
  }

  it('whole, in 64 KB chunks, and split around the header, the data block end and the END line', async () => {
    const sixtyFour = Array.from({ length: 17 }, (_, i) => i * 65536);
    const header = 'VALUE big 3 1048576 99\r\n'.length;
    const edges = [
      1,
      5,
      header - 2,
      header - 1,
      header,
      header + 1,
      header + big.length,
      header + big.length + 1,
      header + big.length + 2,
      reply.data.length - 3,
      reply.data.length - 1,
    ];
    const randomCuts = sample(
      fc.array(fc.integer({ min: 1, max: reply.data.length - 1 }), { minLength: 1, maxLength: 40 }),
      6,
    );
    const chunkings = [
      [reply.data],
      chunked(reply.data, sixtyFour),
      ...edges.map((e) => chunked(reply.data, [e])),
      chunked(reply.data, edges),
      ...randomCuts.map((c) => chunked(reply.data, c)),
    ];
    const outcomes = await bothSides(
      'readReplies',
      chunkings.map((chunks) => [chunks, reply.kinds]),
    );
    outcomes.forEach((outcome, i) =>
      expect(JSON.stringify((outcome as { ok: unknown }).ok), `chunking #${i}`).toBe(canonical(reply.expected)),
    );
  });

  it('a value longer than the reader allows is a ProtocolError before its bytes arrive', async () => {
    const outcomes = await bothSides('readReplies', [[[reply.data.slice(0, 30)], reply.kinds, 1024 * 1024 - 1]]);
    const problem = 'a data block of 1048576 bytes, more than the 1048575 bytes allowed';
    expect(JSON.stringify((outcomes[0] as { ok: unknown }).ok)).toBe(
      canonical([
        {
          error: 'ProtocolError',
          message: `unreadable reply to get/gets from memcached: ${problem}`,
          attributes: { expected: 'get/gets', problem },
        },
      ]),
    );
  });
});

describe('incomplete replies ask for more bytes', () => {
  it('every proper prefix of a reply reads as "need more", after only the metadump entries it holds whole', async () => {
    const cases = sample(anyCase, 60).filter((c) => c.data.length > 1);
    const cuts = cases.map((c) => [1, Math.floor(c.data.length / 2), c.data.length - 1]);
    const vectors = cases.flatMap((c, i) => cuts[i]!.map((cut) => [[c.data.slice(0, cut)], c.kinds]));
    const outcomes = await bothSides('readReplies', vectors);
    let index = 0;
    cases.forEach((c, i) => {
      for (const cut of cuts[i]!) {
        const ok = (outcomes[index] as { ok: unknown[] }).ok;
        // Metadump entry lines end with a bare LF; a reply's last line always ends at the reply's last byte.
        const wholeLines = c.kinds[0] === 'metadump' ? [...c.data.slice(0, cut)].filter((b) => b === 0x0a).length : 0;
        expect(JSON.stringify(ok.slice(0, -1)), `prefix of ${cut} bytes of case #${i}`).toBe(
          canonical(c.expected.slice(0, wholeLines)),
        );
        const last = JSON.stringify(ok[ok.length - 1]);
        const buffered = /^\{"dict":\[\["needMore",\{"int":"(\d+)"\}\]\]\}$/.exec(last);
        expect(buffered, `prefix of ${cut} bytes of case #${i}: ${last}`).not.toBeNull();
        expect(Number(buffered![1])).toBeLessThanOrEqual(cut);
        index += 1;
      }
    });
  });
});
