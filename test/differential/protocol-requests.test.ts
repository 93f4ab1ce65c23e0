// The request encoders (src/memcache/requests.ts) in Node and emitted under /usr/bin/python3: the same bytes for
// random inputs, the same InvalidRequestError for inputs that would break the framing, and exact bytes for
// hand-picked requests of every command.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float, runInNode, snakeCase } from '../rig/differential';
import { sample } from '../runtime/vectors';
import { bytes, keyBytes, u32, u64Digits, valueBytes } from '../protocol/reply-models';
import { expectAgreement, expectSameOutcomes, runAdapterInPython } from './agreement';

const REQUESTS = 'src/memcache/requests.ts';

/** Options objects as the emitted code sees them: every property present, absent ones undefined (None in Python). */
const META_GET_KEYS = [
  'returnValue',
  'returnCas',
  'returnClientFlags',
  'returnTtl',
  'returnSize',
  'returnKey',
  'returnLastAccess',
  'returnHit',
  'noBump',
  'touchTtl',
  'vivifyTtl',
  'recacheTtl',
  'opaque',
  'quiet',
];
const META_SET_KEYS = [
  'mode',
  'clientFlags',
  'ttl',
  'compareCas',
  'invalidate',
  'returnCas',
  'returnKey',
  'opaque',
  'quiet',
];
const META_DELETE_KEYS = ['compareCas', 'invalidate', 'ttl', 'returnKey', 'opaque', 'quiet'];
const META_ARITHMETIC_KEYS = [
  'mode',
  'delta',
  'vivifyTtl',
  'initial',
  'ttl',
  'compareCas',
  'returnValue',
  'returnTtl',
  'returnCas',
  'returnKey',
  'opaque',
  'quiet',
];

function full(keys: readonly string[], given: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, given[key]]));
}

/** Keys, mostly valid, sometimes not (empty, 251 bytes, a space, a control byte, DEL). */
const anyKey = fc.oneof(
  { weight: 6, arbitrary: keyBytes },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      bytes(''),
      bytes('k'.repeat(251)),
      bytes('a b'),
      bytes('a\r\nb'),
      bytes('\u0000'),
      bytes('a\u007f'),
    ),
  },
);
const exptime = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1),
);
const flags = fc.oneof(u32, fc.constantFrom(-1, 2 ** 32));
const casText = fc.oneof(u64Digits, fc.constantFrom('', '-1', '18446744073709551616', '1e3', ' 1', '٣'));
const ttl = fc.option(exptime, { nil: undefined });
const flag = fc.option(fc.boolean(), { nil: undefined });
const opaque = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9]{1,31}$/).map(bytes),
    fc.constantFrom(bytes(''), bytes('x'.repeat(32)), bytes('a b')),
  ),
  { nil: undefined },
);

/** Encoders taking an options record go through protocol_adapter.py, which gives the record Python's snake_case keys. */
const TAKES_OPTIONS = ['encodeMetaGet', 'encodeMetaSet', 'encodeMetaDelete', 'encodeMetaArithmetic'];

async function agree(fn: string, vectors: unknown[][]): Promise<{ errors: number }> {
  const report = TAKES_OPTIONS.includes(fn)
    ? expectSameOutcomes(
        fn,
        vectors,
        await runInNode(REQUESTS, fn, vectors),
        await runAdapterInPython('protocol_adapter', snakeCase(fn), vectors),
      )
    : await expectAgreement(REQUESTS, fn, vectors);
  expect(report.total).toBe(vectors.length);
  return report;
}

describe('classic commands: the same bytes and the same refusals in Node and Python', () => {
  it('get and gets: one line for many keys; no keys or an invalid key refused', async () => {
    const vectors = sample(fc.array(anyKey, { maxLength: 6 })).map((keys) => [keys]);
    for (const fn of ['encodeGet', 'encodeGets']) {
      const report = await agree(fn, vectors);
      expect(report.errors).toBeGreaterThan(0);
    }
  });

  it('set/add/replace/append/prepend and cas: binary-safe values, flags and exptime ranges, CAS digits', async () => {
    const store = sample(
      fc.tuple(
        fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'),
        anyKey,
        flags,
        exptime,
        valueBytes,
        fc.boolean(),
      ),
    );
    await agree('encodeStore', store);
    const cas = sample(fc.tuple(anyKey, flags, exptime, valueBytes, casText, fc.boolean()));
    const report = await agree('encodeCas', cas);
    expect(report.errors).toBeGreaterThan(0);
  });

  it('delete, touch, incr, decr, stats, version', async () => {
    await agree('encodeDelete', sample(fc.tuple(anyKey, fc.boolean())));
    await agree('encodeTouch', sample(fc.tuple(anyKey, exptime, fc.boolean())));
    await agree('encodeIncr', sample(fc.tuple(anyKey, casText, fc.boolean())));
    await agree('encodeDecr', sample(fc.tuple(anyKey, casText, fc.boolean())));
    await agree('encodeStats', [[null], ['settings'], ['items'], ['slabs'], ['sizes'], ['conns']]);
    await agree('encodeVersion', [[]]);
  });

  it('numbers that are not integers are refused the same way (no float reaches the line)', async () => {
    const report = await agree('encodeTouch', [
      [bytes('k'), float(1.5), false],
      [bytes('k'), float(Number.NaN), false],
      [bytes('k'), 2 ** 53, false],
    ]);
    expect(report.errors).toBe(3);
  });
});

describe('meta commands and metadump: the same bytes and the same refusals in Node and Python', () => {
  it('mg with every combination of flags and tokens', async () => {
    const options = fc.record({
      returnValue: flag,
      returnCas: flag,
      returnClientFlags: flag,
      returnTtl: flag,
      returnSize: flag,
      returnKey: flag,
      returnLastAccess: flag,
      returnHit: flag,
      noBump: flag,
      touchTtl: ttl,
      vivifyTtl: ttl,
      recacheTtl: ttl,
      opaque,
      quiet: flag,
    });
    await agree(
      'encodeMetaGet',
      sample(fc.tuple(anyKey, options)).map(([key, o]) => [key, full(META_GET_KEYS, o)]),
    );
  });

  it('ms with its modes, CAS compare, invalidation, client flags and TTL', async () => {
    const options = fc.record({
      mode: fc.option(fc.constantFrom('set', 'add', 'replace', 'append', 'prepend'), { nil: undefined }),
      clientFlags: fc.option(flags, { nil: undefined }),
      ttl,
      compareCas: fc.option(casText, { nil: undefined }),
      invalidate: flag,
      returnCas: flag,
      returnKey: flag,
      opaque,
      quiet: flag,
    });
    await agree(
      'encodeMetaSet',
      sample(fc.tuple(anyKey, valueBytes, options)).map(([key, value, o]) => [key, value, full(META_SET_KEYS, o)]),
    );
  });

  it('md and ma', async () => {
    const deleteOptions = fc.record({
      compareCas: fc.option(casText, { nil: undefined }),
      invalidate: flag,
      ttl,
      returnKey: flag,
      opaque,
      quiet: flag,
    });
    await agree(
      'encodeMetaDelete',
      sample(fc.tuple(anyKey, deleteOptions)).map(([key, o]) => [key, full(META_DELETE_KEYS, o)]),
    );
    const arithmeticOptions = fc.record({
      mode: fc.option(fc.constantFrom('incr', 'decr'), { nil: undefined }),
      delta: fc.option(casText, { nil: undefined }),
      vivifyTtl: ttl,
      initial: fc.option(casText, { nil: undefined }),
      ttl,
      compareCas: fc.option(casText, { nil: undefined }),
      returnValue: flag,
      returnTtl: flag,
      returnCas: flag,
      returnKey: flag,
      opaque,
      quiet: flag,
    });
    await agree(
      'encodeMetaArithmetic',
      sample(fc.tuple(anyKey, arithmeticOptions)).map(([key, o]) => [key, full(META_ARITHMETIC_KEYS, o)]),
    );
  });

  it('mn and lru_crawler metadump (all, hash, or slab classes 1 to 63)', async () => {
    await agree('encodeMetaNoop', [[]]);
    await agree('encodeMetadumpHash', [[]]);
    const classes = fc.oneof(fc.constant(null), fc.array(fc.integer({ min: -1, max: 65 }), { maxLength: 4 }));
    const report = await agree('encodeMetadump', [
      [null],
      [[1]],
      [[1, 63]],
      [[]],
      [[0]],
      [[64]],
      ...sample(classes).map((c) => [c]),
    ]);
    expect(report.errors).toBeGreaterThan(3);
  });
});

describe('exact bytes of every command (Node; Python agrees by the tests above)', async () => {
  const requests = await import('../../src/memcache/requests');
  const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
  const k = bytes('k');
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      if (error instanceof requests.InvalidRequestError) return error.message;
      throw error;
    }
    return 'not refused';
  };

  it('classic commands', () => {
    expect(text(requests.encodeGet([k, new Uint8Array(Buffer.from('é:1', 'utf8'))]))).toBe('get k \u00c3\u00a9:1\r\n');
    expect(text(requests.encodeGets([k]))).toBe('gets k\r\n');
    expect(text(requests.encodeStore('set', k, 4294967295, -1, bytes('a\r\nEND\r\n')))).toBe(
      'set k 4294967295 -1 8\r\na\r\nEND\r\n\r\n',
    );
    expect(text(requests.encodeStore('prepend', k, 0, 0, bytes(''), true))).toBe('prepend k 0 0 0 noreply\r\n\r\n');
    expect(text(requests.encodeCas(k, 1, 2, bytes('v'), '18446744073709551615', true))).toBe(
      'cas k 1 2 1 18446744073709551615 noreply\r\nv\r\n',
    );
    expect(text(requests.encodeDelete(k))).toBe('delete k\r\n');
    expect(text(requests.encodeDelete(k, true))).toBe('delete k noreply\r\n');
    expect(text(requests.encodeTouch(k, 2147483647))).toBe('touch k 2147483647\r\n');
    expect(text(requests.encodeIncr(k, '1'))).toBe('incr k 1\r\n');
    expect(text(requests.encodeDecr(k, '18446744073709551615', true))).toBe('decr k 18446744073709551615 noreply\r\n');
    expect(text(requests.encodeStats())).toBe('stats\r\n');
    expect(text(requests.encodeStats('settings'))).toBe('stats settings\r\n');
    expect(text(requests.encodeVersion())).toBe('version\r\n');
  });

  it('meta commands, flags in the documented order', () => {
    expect(text(requests.encodeMetaGet(k, {}))).toBe('mg k\r\n');
    expect(
      text(
        requests.encodeMetaGet(k, {
          quiet: true,
          opaque: bytes('o1'),
          recacheTtl: 30,
          vivifyTtl: 60,
          touchTtl: -1,
          noBump: true,
          returnHit: true,
          returnLastAccess: true,
          returnKey: true,
          returnSize: true,
          returnTtl: true,
          returnClientFlags: true,
          returnCas: true,
          returnValue: true,
        }),
      ),
    ).toBe('mg k v c f t s k l h u T-1 N60 R30 Oo1 q\r\n');
    expect(
      text(
        requests.encodeMetaSet(k, bytes('a\r\nb'), {
          mode: 'append',
          clientFlags: 7,
          ttl: 10,
          compareCas: '5',
          invalidate: true,
          returnCas: true,
          returnKey: true,
          opaque: bytes('9'),
          quiet: true,
        }),
      ),
    ).toBe('ms k 4 MA F7 T10 C5 I c k O9 q\r\na\r\nb\r\n');
    expect(text(requests.encodeMetaSet(k, bytes('v'), { mode: 'set' }))).toBe('ms k 1\r\nv\r\n');
    expect(text(requests.encodeMetaSet(k, bytes('v'), { mode: 'add' }))).toBe('ms k 1 ME\r\nv\r\n');
    expect(text(requests.encodeMetaSet(k, bytes('v'), { mode: 'replace' }))).toBe('ms k 1 MR\r\nv\r\n');
    expect(text(requests.encodeMetaSet(k, bytes('v'), { mode: 'prepend' }))).toBe('ms k 1 MP\r\nv\r\n');
    expect(
      text(
        requests.encodeMetaDelete(k, {
          compareCas: '3',
          invalidate: true,
          ttl: 30,
          returnKey: true,
          opaque: bytes('x'),
          quiet: true,
        }),
      ),
    ).toBe('md k C3 I T30 k Ox q\r\n');
    expect(
      text(
        requests.encodeMetaArithmetic(k, {
          mode: 'decr',
          delta: '10',
          vivifyTtl: 0,
          initial: '5',
          ttl: 60,
          compareCas: '2',
          returnValue: true,
          returnTtl: true,
          returnCas: true,
          returnKey: true,
          opaque: bytes('o'),
          quiet: true,
        }),
      ),
    ).toBe('ma k MD D10 N0 J5 T60 C2 v t c k Oo q\r\n');
    expect(text(requests.encodeMetaArithmetic(k, { mode: 'incr' }))).toBe('ma k\r\n');
    expect(text(requests.encodeMetaNoop())).toBe('mn\r\n');
    expect(text(requests.encodeMetadump())).toBe('lru_crawler metadump all\r\n');
    expect(text(requests.encodeMetadumpHash())).toBe('lru_crawler metadump hash\r\n');
    expect(text(requests.encodeMetadump([1, 2, 63]))).toBe('lru_crawler metadump 1,2,63\r\n');
  });

  it('refusals name the problem, never the key bytes', () => {
    expect(refusal(() => requests.encodeGet([]))).toBe('invalid memcached request: no keys to ask for');
    expect(refusal(() => requests.encodeGet([bytes('')]))).toBe('invalid memcached request: the key is empty');
    expect(refusal(() => requests.encodeGet([bytes('k'.repeat(251))]))).toBe(
      'invalid memcached request: the key is 251 bytes long, more than 250',
    );
    expect(refusal(() => requests.encodeGet([bytes('secret\r\nflush_all')]))).toBe(
      'invalid memcached request: the key holds a control character, space or DEL byte',
    );
    expect(refusal(() => requests.encodeStore('set', k, 2 ** 32, 0, bytes('')))).toBe(
      'invalid memcached request: the client flags must be an integer from 0 to 4294967295',
    );
    expect(refusal(() => requests.encodeTouch(k, 2 ** 31))).toBe(
      'invalid memcached request: the expiration time must be an integer from -2147483648 to 2147483647',
    );
    expect(refusal(() => requests.encodeCas(k, 0, 0, bytes(''), '18446744073709551616'))).toBe(
      'invalid memcached request: the CAS token must be the decimal digits of an unsigned 64-bit integer',
    );
    expect(refusal(() => requests.encodeIncr(k, '-1'))).toBe(
      'invalid memcached request: the delta must be the decimal digits of an unsigned 64-bit integer',
    );
    expect(refusal(() => requests.encodeMetaGet(k, { opaque: bytes('x'.repeat(32)) }))).toBe(
      'invalid memcached request: an opaque token must be 1 to 31 bytes without control characters, spaces or DEL',
    );
    expect(refusal(() => requests.encodeMetadump([64]))).toBe(
      'invalid memcached request: a slab class must be an integer from 1 to 63',
    );
    expect(refusal(() => requests.encodeMetadump([]))).toBe('invalid memcached request: no slab classes to dump');
  });
});
