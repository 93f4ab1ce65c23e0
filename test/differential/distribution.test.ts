// src/distribution in Node vs the emitted pymcache_fdw/distribution under /usr/bin/python3: the same server for every
// key (>= 12,000 keys per distribution, half non-ASCII, plus random text), the same hashes, the same point shares and
// the same errors. Together with test/unit/distribution.test.ts (Node vs the real clients) this ties the Python that
// runs inside PostgreSQL to the clients' placement.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DistributionName, ServerAddress } from '../../src/distribution/index';
import { makeKeys } from '../interop/keys';
import { differential } from '../rig/differential';
import { SEED, anyString, sample, u32Value, wellFormedString } from '../runtime/vectors';

const INDEX = 'src/distribution/index.ts';

async function expectAgreement(
  module: string,
  fn: string,
  vectors: unknown[][],
): Promise<{ errors: number; total: number }> {
  const report = await differential(module, fn, vectors);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  return report;
}

/** 12,000 structured keys (half non-ASCII) and 1,000 random well-formed strings. */
const KEYS = [...makeKeys('differential', 12_000, true), ...sample(wellFormedString(40))];

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function servers(...entries: [string, number, number][]): ServerAddress[] {
  return entries.map(([host, port, weight]) => ({ host, port, weight }));
}

const SERVER_LISTS: Record<DistributionName, ServerAddress[][]> = {
  ketama: [
    servers(['127.0.0.1', 11211, 1], ['127.0.0.1', 11212, 1]),
    servers(['cache-a', 11211, 29], ['cache-b', 11211, 1], ['cache-c', 12000, 30]),
  ],
  modula: [
    servers(['127.0.0.1', 9996, 1], ['127.0.0.1', 9997, 1]),
    servers(['10.1.0.1', 11211, 2], ['10.1.0.2', 11211, 1], ['10.1.0.3', 11211, 3]),
  ],
  modula_python: [servers(['10.1.0.1', 11211, 1], ['10.1.0.2', 11211, 3], ['10.1.0.3', 11211, 1])],
  rendezvous: [
    servers(['127.0.0.1', 11211, 1], ['127.0.0.1', 11212, 1]),
    servers(['cache-1', 11211, 1], ['cache-2', 11211, 1], ['ключ-хост', 40003, 1]),
  ],
};

describe('distribution: Node and emitted Python place every key on the same server', () => {
  it.each(Object.keys(SERVER_LISTS) as DistributionName[])('placeKeys agrees for %s', async (name) => {
    const vectors = SERVER_LISTS[name].flatMap((list) => chunks(KEYS, 250).map((keys) => [name, list, keys]));
    const report = await expectAgreement(INDEX, 'placeKeys', vectors);
    expect(report.errors).toBe(0);
  });

  it.each(Object.keys(SERVER_LISTS) as DistributionName[])(
    'placeKeysWhileDown agrees for %s with each server down in turn and with all down',
    async (name) => {
      const vectors = SERVER_LISTS[name].flatMap((list) => {
        const downSets = [...list.map((_, position) => list.map((__, i) => i === position)), list.map(() => true)];
        return downSets.flatMap((down) => chunks(KEYS.slice(0, 3_000), 250).map((keys) => [name, list, keys, down]));
      });
      await expectAgreement(INDEX, 'placeKeysWhileDown', vectors);
    },
  );

  it('createDistribution refuses the same server lists with the same errors', async () => {
    const vectors: unknown[][] = [
      ['ketama', [], ['k']],
      ['modula', servers(['a', 1, 1], ['a', 1, 2]), ['k']],
      ['rendezvous', servers(['a', 1, 1], ['b', 2, 2]), ['k']],
      ['modula_python', servers(['a', 1, 0]), ['k']],
      ['ketama', Array.from({ length: 17 }, (_, i) => ({ host: `h${i}`, port: 1, weight: 1_000_000 })), ['k']],
      ['modula', servers(['a', 1, 600_000], ['b', 2, 600_000]), ['k']],
    ];
    const report = await expectAgreement(INDEX, 'placeKeys', vectors);
    expect(report.errors).toBe(vectors.length);
  });
});

describe('distribution hashes: Node and emitted Python agree', () => {
  it('ketamaKeyHash (MD5 of the UTF-8 bytes, first little-endian word)', async () => {
    await expectAgreement(
      'src/distribution/ketama.ts',
      'ketamaKeyHash',
      KEYS.map((key) => [key]),
    );
  });

  it('cacheMemcachedKeyHash ((crc32 >> 16) & 0x7fff)', async () => {
    await expectAgreement(
      'src/distribution/modula.ts',
      'cacheMemcachedKeyHash',
      KEYS.map((key) => [key]),
    );
  });

  it('rendezvousScore (murmur3 over the low bytes of the code points), lone surrogates included', async () => {
    const names = ['127.0.0.1:11211', 'cache-1:11211', 'ключ-хост:40003'];
    const keys = [...KEYS.slice(0, 6_000), ...sample(anyString(30)), '\ud800', 'a\udfffb'];
    await expectAgreement(
      'src/distribution/rendezvous.ts',
      'rendezvousScore',
      keys.map((key, i) => [names[i % names.length], key]),
    );
  });

  it('murmur3x86Hash32 on random bytes of every tail length and random seeds', async () => {
    const vectors = sample(fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 67 }), u32Value));
    await expectAgreement('src/distribution/murmur3.ts', 'murmur3x86Hash32', vectors);
  });

  it('ketamaPointsForWeight (the float32 share) over weights, totals and server counts', async () => {
    const grid: number[][] = [];
    for (let count = 2; count <= 5; count++) {
      for (let total = count; total <= 90; total++) {
        for (let weight = 1; weight <= total - (count - 1); weight++) grid.push([weight, total, count]);
      }
    }
    const random = sample(
      fc
        .tuple(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.integer({ min: 0, max: 15_000_000 }),
          fc.integer({ min: 2, max: 64 }),
        )
        .map(([weight, rest, count]) => [weight, weight + rest, count]),
    );
    await expectAgreement('src/distribution/ketama.ts', 'ketamaPointsForWeight', [...grid, ...random]);
  });
});
