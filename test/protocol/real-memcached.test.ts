// The protocol layer against real memcached 1.6.18 on loopback: every encoder's request written to a plain socket,
// the server's replies read back with the ReplyReader as they arrive. Each session's received bytes are then read
// again by the emitted Python (and by Node in other chunkings): the same outcomes as on the live socket.
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as protocol from '../../src/memcache/protocol';
import { ErrorReply, ReplyError, ReplyReader, type MetaReply } from '../../src/memcache/protocol';
import { errorOutcome, readReplies, type ReplyKind } from '../differential/protocol-adapter';
import { expectSameOutcomes, runAdapterInPython } from '../differential/agreement';
import { canonicalFromNode, type Outcome } from '../rig/differential';
import { startMemcached, type MemcachedAddress } from '../rig/memcached';
import { bytes, concat, metaReply } from './reply-models';

/** One connection: requests written as they are, replies read with a ReplyReader from the chunks as they come. */
class Session {
  private readonly socket = new Socket();
  private readonly reader = new ReplyReader();
  private readonly chunks: Uint8Array[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  /** Everything received, chunk by chunk, and the kinds read: replayed through Python afterwards. */
  readonly received: Uint8Array[] = [];
  readonly kinds: ReplyKind[] = [];
  readonly outcomes: unknown[] = [];

  static async open(address: MemcachedAddress): Promise<Session> {
    const session = new Session();
    await new Promise<void>((resolve, reject) => {
      session.socket.once('error', reject);
      session.socket.connect(address.port, address.host, () => resolve());
    });
    session.socket.setNoDelay(true);
    session.socket.on('data', (chunk: Buffer) => {
      const copy = new Uint8Array(chunk);
      session.received.push(copy);
      session.chunks.push(copy);
      session.wake?.();
    });
    session.socket.on('close', () => {
      session.closed = true;
      session.wake?.();
    });
    return session;
  }

  send(request: Uint8Array): void {
    this.socket.write(request);
  }

  /** Reads one reply of `kind` (a metadump: entries until its end), recording the outcome like readReplies does. */
  async read(kind: ReplyKind): Promise<unknown> {
    this.kinds.push(kind);
    const results: unknown[] = [];
    for (;;) {
      let result: unknown;
      try {
        result = this.readOnce(kind);
      } catch (error) {
        if (error instanceof ReplyError) this.outcomes.push(errorOutcome(error));
        throw error;
      }
      if (result === null) {
        await this.nextChunk();
        continue;
      }
      this.outcomes.push(result);
      if (kind !== 'metadump') return result;
      results.push(result);
      if (typeof result === 'string') return results;
    }
  }

  /** The error reply a read throws, recorded like readReplies records it. */
  async readError(kind: ReplyKind): Promise<ErrorReply> {
    try {
      await this.read(kind);
    } catch (error) {
      if (error instanceof ErrorReply) return error;
      throw error;
    }
    throw new Error(`expected an error reply to ${kind}`);
  }

  private readOnce(kind: ReplyKind): unknown {
    const r = this.reader;
    switch (kind) {
      case 'values':
        return r.readValues();
      case 'stored':
        return r.readStored();
      case 'deleted':
        return r.readDeleted();
      case 'touched':
        return r.readTouched();
      case 'counter':
        return r.readCounter();
      case 'stats':
        return r.readStats();
      case 'version':
        return r.readVersion();
      case 'meta':
        return r.readMeta();
      case 'metadump':
        return r.readMetadump();
    }
  }

  private async nextChunk(): Promise<void> {
    while (this.chunks.length === 0) {
      if (this.closed) throw new Error('memcached closed the connection');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    this.reader.feed(this.chunks.shift()!);
  }

  get buffered(): number {
    return this.reader.bufferedLength + this.chunks.reduce((total, chunk) => total + chunk.length, 0);
  }

  close(): void {
    this.socket.destroy();
  }
}

const canonical = (value: unknown): string => JSON.stringify(canonicalFromNode(value, false));
const k = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/**
 * The session's bytes read again: in Node as received, whole and in 7-byte chunks, and in Python the same ways;
 * every outcome list must be the live one.
 */
async function expectReplayAgrees(session: Session): Promise<void> {
  const live = [...session.outcomes, { left: session.buffered }];
  const all = concat(...session.received);
  const sevens = Array.from({ length: Math.ceil(all.length / 7) }, (_, i) => all.slice(i * 7, i * 7 + 7));
  const vectors = [
    [session.received, session.kinds],
    [[all], session.kinds],
    [sevens, session.kinds],
  ];
  const node: Outcome[] = vectors.map((v) => ({
    ok: canonicalFromNode(readReplies(v[0] as Uint8Array[], v[1] as ReplyKind[]), false),
  }));
  for (const outcome of node) expect(JSON.stringify((outcome as { ok: unknown }).ok)).toBe(canonical(live));
  const python = await runAdapterInPython('protocol_adapter', 'read_replies', vectors);
  expectSameOutcomes('read_replies (a live session replayed)', vectors, node, python);
}

let server: { address: MemcachedAddress; stop(): Promise<void> };
beforeAll(async () => {
  server = await startMemcached();
});
afterAll(async () => {
  await server.stop();
});

describe('classic commands on memcached 1.6.18', () => {
  it('version, storage commands, get/gets of many keys, cas, delete, touch, incr/decr, with exact replies', async () => {
    const s = await Session.open(server.address);
    try {
      s.send(protocol.encodeVersion());
      expect(await s.read('version')).toBe('1.6.18');

      const tricky = bytes('a\r\nEND\r\nVALUE x 0 1\r\n\u00ff');
      s.send(protocol.encodeStore('set', k('é:1'), 4294967295, 0, tricky));
      expect(await s.read('stored')).toBe('STORED');
      s.send(protocol.encodeStore('set', k('empty'), 0, 0, bytes('')));
      s.send(protocol.encodeStore('add', k('é:1'), 0, 0, bytes('no')));
      s.send(protocol.encodeStore('replace', k('missing'), 0, 0, bytes('no')));
      s.send(protocol.encodeStore('append', k('empty'), 9, 0, bytes('tail')));
      s.send(protocol.encodeStore('prepend', k('empty'), 9, 0, bytes('head-')));
      expect([
        await s.read('stored'),
        await s.read('stored'),
        await s.read('stored'),
        await s.read('stored'),
        await s.read('stored'),
      ]).toEqual(['STORED', 'NOT_STORED', 'NOT_STORED', 'STORED', 'STORED']);

      const keys = [k('é:1'), k('missing'), k('empty'), ...Array.from({ length: 100 }, (_, i) => k(`absent:${i}`))];
      s.send(protocol.encodeGet(keys));
      expect(canonical(await s.read('values'))).toBe(
        canonical([
          [k('é:1'), 4294967295, tricky, null],
          [k('empty'), 0, bytes('head-tail'), null],
        ]),
      );

      s.send(protocol.encodeGets([k('empty')]));
      const [[, , , cas]] = (await s.read('values')) as [[Uint8Array, number, Uint8Array, string]];
      expect(cas).toMatch(/^[1-9][0-9]*$/);
      s.send(protocol.encodeCas(k('empty'), 1, 0, bytes('new'), String(BigInt(cas) + 1000n)));
      s.send(protocol.encodeCas(k('empty'), 1, 0, bytes('new'), cas));
      s.send(protocol.encodeCas(k('missing'), 1, 0, bytes('new'), cas));
      expect([await s.read('stored'), await s.read('stored'), await s.read('stored')]).toEqual([
        'EXISTS',
        'STORED',
        'NOT_FOUND',
      ]);

      s.send(protocol.encodeTouch(k('empty'), 100));
      s.send(protocol.encodeTouch(k('missing'), 100));
      expect([await s.read('touched'), await s.read('touched')]).toEqual(['TOUCHED', 'NOT_FOUND']);
      s.send(protocol.encodeDelete(k('empty')));
      s.send(protocol.encodeDelete(k('empty')));
      expect([await s.read('deleted'), await s.read('deleted')]).toEqual(['DELETED', 'NOT_FOUND']);

      s.send(protocol.encodeStore('set', k('n'), 0, 0, bytes('18446744073709551615')));
      await s.read('stored');
      s.send(protocol.encodeIncr(k('n'), '1'));
      s.send(protocol.encodeDecr(k('n'), '5'));
      s.send(protocol.encodeIncr(k('n'), '18446744073709551615'));
      s.send(protocol.encodeIncr(k('missing'), '1'));
      expect([
        await s.read('counter'),
        await s.read('counter'),
        await s.read('counter'),
        await s.read('counter'),
      ]).toEqual([
        { found: true, value: '0' },
        { found: true, value: '0' },
        { found: true, value: '18446744073709551615' },
        { found: false, value: null },
      ]);
      s.send(protocol.encodeIncr(k('é:1'), '1'));
      const nonNumeric = await s.readError('counter');
      expect([nonNumeric.constructor.name, nonNumeric.message]).toEqual([
        'ClientErrorReply',
        'memcached answered CLIENT_ERROR "cannot increment or decrement non-numeric value"',
      ]);

      // noreply: no reply comes, the next reply is the get's.
      s.send(
        concat(
          protocol.encodeStore('set', k('quiet'), 0, 0, bytes('q'), true),
          protocol.encodeDelete(k('missing'), true),
          protocol.encodeGet([k('quiet')]),
        ),
      );
      expect(canonical(await s.read('values'))).toBe(canonical([[k('quiet'), 0, bytes('q'), null]]));
      expect(s.buffered).toBe(0);
      await expectReplayAgrees(s);
    } finally {
      s.close();
    }
  });

  it('values of 0 bytes, near 1 MB, and too large (SERVER_ERROR, data swallowed, connection in step)', async () => {
    const s = await Session.open(server.address);
    try {
      const big = new Uint8Array(1_000_000).map((_, i) => (i % 251) + (i % 3));
      s.send(protocol.encodeStore('set', k('big'), 3, 0, big));
      s.send(protocol.encodeStore('set', k('huge'), 0, 0, new Uint8Array(2 * 1024 * 1024)));
      expect(await s.read('stored')).toBe('STORED');
      const tooLarge = await s.readError('stored');
      expect([tooLarge.constructor.name, tooLarge.knownText]).toEqual([
        'ServerErrorReply',
        'object too large for cache',
      ]);
      s.send(protocol.encodeStore('set', k('zero'), 0, 0, bytes('')));
      expect(await s.read('stored')).toBe('STORED');
      s.send(protocol.encodeGets([k('big'), k('huge'), k('zero')]));
      const values = (await s.read('values')) as [Uint8Array, number, Uint8Array, string][];
      expect(
        values.map(([key, flags, value, cas]) => [
          Buffer.from(key).toString(),
          flags,
          value.length,
          /^[0-9]+$/.test(cas),
        ]),
      ).toEqual([
        ['big', 3, 1_000_000, true],
        ['zero', 0, 0, true],
      ]);
      expect(canonical(values[0]!.slice(0, 3))).toBe(canonical([k('big'), 3, big]));
      expect(s.received.length).toBeGreaterThan(2);
      await expectReplayAgrees(s);
    } finally {
      s.close();
    }
  });

  it('stats and its groups, and ERROR for a command memcached does not know', async () => {
    const s = await Session.open(server.address);
    try {
      s.send(protocol.encodeStats());
      const general = new Map((await s.read('stats')) as [string, string][]);
      expect(general.get('version')).toBe('1.6.18');
      expect(general.get('pid')).toMatch(/^[0-9]+$/);
      s.send(protocol.encodeStats('settings'));
      const settings = new Map((await s.read('stats')) as [string, string][]);
      expect(settings.get('item_size_max')).toBe('1048576');
      for (const group of ['items', 'slabs', 'sizes', 'conns'] as const) {
        s.send(protocol.encodeStats(group));
        expect(Array.isArray(await s.read('stats'))).toBe(true);
      }
      s.send(bytes('bogus\r\n'));
      const unknown = await s.readError('stats');
      expect([unknown.constructor.name, unknown.message]).toEqual([
        'UnknownCommandReply',
        'memcached answered ERROR: it does not know the command',
      ]);
      await expectReplayAgrees(s);
    } finally {
      s.close();
    }
  });
});

describe('meta commands on memcached 1.6.18', () => {
  it('ms/mg/md/ma with their flags, CAS compare, invalidation, autovivify, and a quiet pipeline ended by mn', async () => {
    const s = await Session.open(server.address);
    try {
      s.send(
        protocol.encodeMetaSet(k('m'), bytes('v\r\n1'), {
          clientFlags: 5,
          ttl: 100,
          returnCas: true,
          returnKey: true,
          opaque: bytes('o1'),
        }),
      );
      const stored = (await s.read('meta')) as MetaReply;
      expect(canonical({ ...stored, cas: null })).toBe(
        canonical(metaReply('HD', { key: k('m'), opaque: bytes('o1') })),
      );
      const cas = stored.cas!;
      expect(cas).toMatch(/^[1-9][0-9]*$/);

      s.send(
        protocol.encodeMetaGet(k('m'), {
          returnValue: true,
          returnCas: true,
          returnClientFlags: true,
          returnTtl: true,
          returnSize: true,
          returnKey: true,
          returnHit: true,
          returnLastAccess: true,
          opaque: bytes('7'),
        }),
      );
      expect(canonical(await s.read('meta'))).toBe(
        canonical(
          metaReply('VA', {
            value: bytes('v\r\n1'),
            cas,
            clientFlags: 5,
            ttl: 100,
            size: 4,
            key: k('m'),
            hit: false,
            lastAccess: 0,
            opaque: bytes('7'),
          }),
        ),
      );

      s.send(protocol.encodeMetaGet(k('none'), { returnValue: true, opaque: bytes('8'), returnKey: true }));
      expect(canonical(await s.read('meta'))).toBe(canonical(metaReply('EN', { opaque: bytes('8'), key: k('none') })));

      s.send(protocol.encodeMetaSet(k('m'), bytes('x'), { mode: 'add' }));
      s.send(protocol.encodeMetaSet(k('m'), bytes('x'), { compareCas: String(BigInt(cas) + 1n), returnCas: true }));
      s.send(protocol.encodeMetaSet(k('none'), bytes('x'), { mode: 'replace' }));
      s.send(protocol.encodeMetaSet(k('m'), bytes('-tail'), { mode: 'append' }));
      s.send(protocol.encodeMetaSet(k('m'), bytes('head-'), { mode: 'prepend' }));
      s.send(protocol.encodeMetaDelete(k('m'), { compareCas: '1' }));
      s.send(protocol.encodeMetaDelete(k('none'), { opaque: bytes('9') }));
      const statuses: unknown[] = [];
      for (let i = 0; i < 7; i++) {
        const reply = (await s.read('meta')) as MetaReply;
        statuses.push([reply.status, reply.cas, reply.opaque === null ? null : Buffer.from(reply.opaque).toString()]);
      }
      expect(statuses).toEqual([
        ['NS', null, null],
        ['EX', '0', null],
        ['NS', null, null],
        ['HD', null, null],
        ['HD', null, null],
        ['EX', null, null],
        ['NF', null, '9'],
      ]);

      // Invalidation: md I marks the item stale; the next mg sees X and wins the recache (W), the one after sees Z.
      s.send(protocol.encodeMetaDelete(k('m'), { invalidate: true, ttl: 30 }));
      s.send(protocol.encodeMetaGet(k('m'), { returnValue: true }));
      s.send(protocol.encodeMetaGet(k('m'), { returnTtl: true }));
      expect(canonical([await s.read('meta'), await s.read('meta'), await s.read('meta')])).toBe(
        canonical([
          metaReply('HD'),
          metaReply('VA', { value: bytes('head-v\r\n1-tail'), stale: true, won: true }),
          metaReply('HD', { ttl: 30, stale: true, winTokenSent: true }),
        ]),
      );

      // Autovivify on a miss: the first mg wins (W) an empty item, the second is told another client won (Z).
      s.send(protocol.encodeMetaGet(k('viv'), { vivifyTtl: 30, returnValue: true }));
      s.send(protocol.encodeMetaGet(k('viv'), { vivifyTtl: 30, returnValue: true }));
      expect(canonical([await s.read('meta'), await s.read('meta')])).toBe(
        canonical([
          metaReply('VA', { value: bytes(''), won: true }),
          metaReply('VA', { value: bytes(''), winTokenSent: true }),
        ]),
      );

      s.send(
        protocol.encodeMetaArithmetic(k('counter'), { vivifyTtl: 0, initial: '5', returnValue: true, returnTtl: true }),
      );
      s.send(protocol.encodeMetaArithmetic(k('counter'), { mode: 'decr', delta: '10', returnValue: true }));
      s.send(
        protocol.encodeMetaArithmetic(k('counter'), {
          delta: '18446744073709551615',
          returnValue: true,
          opaque: bytes('a'),
        }),
      );
      s.send(protocol.encodeMetaArithmetic(k('nothing'), {}));
      expect(canonical([await s.read('meta'), await s.read('meta'), await s.read('meta'), await s.read('meta')])).toBe(
        canonical([
          metaReply('VA', { value: bytes('5'), ttl: -1 }),
          metaReply('VA', { value: bytes('0') }),
          metaReply('VA', { value: bytes('18446744073709551615'), opaque: bytes('a') }),
          metaReply('NF'),
        ]),
      );
      s.send(protocol.encodeMetaArithmetic(k('m'), {}));
      const nonNumeric = await s.readError('meta');
      expect(nonNumeric.knownText).toBe('cannot increment or decrement non-numeric value');

      // A quiet pipeline: misses say nothing, hits come with their opaque, mn ends it.
      s.send(
        concat(
          protocol.encodeMetaSet(k('q1'), bytes('one'), { quiet: true }),
          protocol.encodeMetaGet(k('q1'), { returnValue: true, opaque: bytes('1'), quiet: true }),
          protocol.encodeMetaGet(k('q2'), { returnValue: true, opaque: bytes('2'), quiet: true }),
          protocol.encodeMetaDelete(k('q1'), { quiet: true }),
          protocol.encodeMetaNoop(),
        ),
      );
      expect(canonical([await s.read('meta'), await s.read('meta')])).toBe(
        canonical([metaReply('VA', { value: bytes('one'), opaque: bytes('1') }), metaReply('MN')]),
      );
      expect(s.buffered).toBe(0);
      await expectReplayAgrees(s);
    } finally {
      s.close();
    }
  });
});

describe('lru_crawler metadump', () => {
  it('dumps every item with its key decoded (non-ASCII, %, punctuation), entry by entry until END', async () => {
    const own = await startMemcached();
    const s = await Session.open(own.address);
    try {
      const keys = [k('plain'), k('é/ü%20'), k('a,b;c~d.e_f-g'), k('x'.repeat(250))];
      for (const [i, key] of keys.entries())
        s.send(protocol.encodeStore('set', key, i, i === 0 ? 0 : 3600, bytes(`value ${i}`)));
      for (const _ of keys) expect(await s.read('stored')).toBe('STORED');
      s.send(protocol.encodeMetadump());
      const dumped = (await s.read('metadump')) as unknown[];
      expect(dumped[dumped.length - 1]).toBe('END');
      const entries = dumped.slice(0, -1) as protocol.MetadumpEntry[];
      expect(entries.map((e) => Buffer.from(e.key).toString('utf8')).sort()).toEqual(
        keys.map((key) => Buffer.from(key).toString('utf8')).sort(),
      );
      const plain = entries.find((e) => Buffer.from(e.key).toString() === 'plain')!;
      expect([
        plain.expiresAt,
        plain.fetched,
        plain.clientFlags,
        plain.slabClass !== null && plain.slabClass >= 1,
        /^[1-9][0-9]*$/.test(plain.cas),
      ]).toEqual([-1, false, null, true, true]);
      expect(entries.every((e) => e.expiresAt === -1 || e.expiresAt > plain.lastAccess)).toBe(true);

      s.send(protocol.encodeMetadump([plain.slabClass!]));
      const inClass = (await s.read('metadump')) as unknown[];
      expect(inClass.length).toBeGreaterThan(1);
      s.send(protocol.encodeMetadump([63]));
      expect(await s.read('metadump')).toEqual(['END']);
      await expectReplayAgrees(s);
    } finally {
      s.close();
      await own.stop();
    }
  });

  it('a server started with -X refuses: ERROR metadump not allowed; without the crawler: CLIENT_ERROR lru crawler disabled', async () => {
    for (const [args, kind, text] of [
      [['-X'], 'ERROR', 'metadump not allowed'],
      [['-o', 'no_lru_crawler'], 'CLIENT_ERROR', 'lru crawler disabled'],
    ] as const) {
      const own = await startMemcached([...args]);
      const s = await Session.open(own.address);
      try {
        s.send(protocol.encodeMetadump());
        const refusal = await s.readError('metadump');
        expect([refusal.kind, refusal.knownText, refusal.message]).toEqual([
          kind,
          text,
          `memcached answered ${kind} "${text}"`,
        ]);
        s.send(protocol.encodeVersion());
        expect(await s.read('version')).toBe('1.6.18');
        await expectReplayAgrees(s);
      } finally {
        s.close();
        await own.stop();
      }
    }
  });
});
