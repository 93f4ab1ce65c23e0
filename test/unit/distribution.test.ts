// Key -> server placement against the placement the real client libraries compute themselves (no network needed):
// PHP's memcached extension (libmemcached 1.1.4, getServerByKey), Perl's Cache::Memcached 1.30 (its own _hashfunc
// and bucket list) and pymemcache 3.5.2's HashClient (its hasher). Every list is compared key by key on >= 12,000
// keys, half of them non-ASCII (2-, 3- and 4-byte UTF-8).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  createDistribution,
  DistributionError,
  DISTRIBUTION_NAMES,
  placeKeys,
  type DistributionName,
  type ServerAddress,
} from '../../src/distribution/index';
import { ketamaPointsForWeight, ketamaPointText, KetamaDistribution } from '../../src/distribution/ketama';
import { cacheMemcachedKeyHash } from '../../src/distribution/modula';
import { murmur3x86Hash32 } from '../../src/distribution/murmur3';
import { rendezvousNodeName } from '../../src/distribution/rendezvous';
import { clientPlacement, type RealClient } from '../interop/clients';
import { makeKeys } from '../interop/keys';

const KEY_COUNT = 12_000;
const KEYS = makeKeys('placement', KEY_COUNT, true);

function servers(...entries: [string, number, number][]): ServerAddress[] {
  return entries.map(([host, port, weight]) => ({ host, port, weight }));
}

/** Compares our placement with the client's for every key; the failure lists the first keys that differ. */
async function expectSamePlacement(
  distribution: DistributionName,
  client: RealClient,
  list: ServerAddress[],
): Promise<void> {
  const theirs = await clientPlacement(client, list, KEYS);
  const ours = placeKeys(distribution, list, KEYS);
  const differing = KEYS.flatMap((key, i) =>
    ours[i] === theirs[i] ? [] : [`${key}: ours ${ours[i]}, ${client} ${theirs[i]}`],
  );
  expect(differing.slice(0, 5), `${differing.length} of ${KEYS.length} keys placed differently`).toEqual([]);
  // Each server of the list really receives keys (the comparison is not between two constant answers).
  expect(new Set(theirs).size).toBe(list.filter((server) => server.weight > 0).length);
}

describe('ketama matches php-memcached with OPT_LIBKETAMA_COMPATIBLE (libmemcached weighted ketama)', () => {
  it('places every key like libmemcached on two equal servers', async () => {
    await expectSamePlacement('ketama', 'php-memcached', servers(['127.0.0.1', 41001, 1], ['127.0.0.1', 41002, 1]));
  });

  it('omits the default port 11211 from the point text, as libmemcached does', async () => {
    await expectSamePlacement(
      'ketama',
      'php-memcached',
      servers(['10.0.0.1', 11211, 1], ['10.0.0.2', 11211, 1], ['10.0.0.3', 11212, 1]),
    );
    expect(ketamaPointText({ host: '10.0.0.1', port: 11211, weight: 1 }, 7)).toBe('10.0.0.1-7');
    expect(ketamaPointText({ host: '10.0.0.3', port: 11212, weight: 1 }, 0)).toBe('10.0.0.3:11212-0');
  });

  it('hashes host names as written (no resolution) and honours weights', async () => {
    await expectSamePlacement(
      'ketama',
      'php-memcached',
      servers(['cache-a.example', 11211, 1], ['cache-b.example', 12000, 2], ['cache-c.example', 12001, 3]),
    );
  });

  it('gives a server one hash group fewer where libmemcached float rounding does (weights 29:1:30)', async () => {
    // Exact arithmetic gives 29/60 * 40 * 3 = 58 groups; C float arithmetic yields 57.999996 -> 57.
    expect(ketamaPointsForWeight(29, 60, 3)).toBe(57 * 4);
    await expectSamePlacement('ketama', 'php-memcached', servers(['h1', 1, 29], ['h2', 2, 1], ['h3', 3, 30]));
  });

  it('matches on five servers with uneven weights', async () => {
    await expectSamePlacement(
      'ketama',
      'php-memcached',
      servers(['h1', 11211, 7], ['h2', 11212, 3], ['h3', 11213, 10], ['h4', 11214, 1], ['h5', 11215, 13]),
    );
  });

  it('builds 160 points per server when weights are equal', () => {
    const continuum = new KetamaDistribution(servers(['a', 1, 1], ['b', 2, 1], ['c', 3, 1]));
    expect(continuum.pointCount).toBe(480);
  });
});

describe('ketama point shares follow IEEE single precision exactly', () => {
  // Reference: the same formula as libmemcached's update_continuum, evaluated with Math.fround at every step.
  function floatReference(weight: number, total: number, count: number): number {
    const f = Math.fround;
    const share = f(weight / total);
    return Math.floor(f(f(f(f(share * 160) / 4) * count) + f(1e-10))) * 4;
  }

  it('agrees with Math.fround for every weight split of totals up to 200 over 2..6 servers', () => {
    const disagreements: string[] = [];
    let compared = 0;
    for (let count = 2; count <= 6; count++) {
      for (let total = count; total <= 200; total++) {
        for (let weight = 1; weight <= total - (count - 1); weight++) {
          compared++;
          const ours = ketamaPointsForWeight(weight, total, count);
          const reference = floatReference(weight, total, count);
          if (ours !== reference) disagreements.push(`${weight}/${total} x${count}: ${ours} vs ${reference}`);
        }
      }
    }
    expect(compared).toBeGreaterThan(60_000);
    expect(disagreements.slice(0, 5)).toEqual([]);
  });

  it('agrees with Math.fround for large weights', () => {
    const cases: [number, number, number][] = [
      [1_000_000, 3_000_001, 3],
      [999_999, 16_777_215, 17],
      [1, 16_777_215, 2],
      [12_345, 67_890, 9],
      [65_536, 65_537, 2],
    ];
    for (const [weight, total, count] of cases) {
      expect(ketamaPointsForWeight(weight, total, count), `${weight}/${total} x${count}`).toBe(
        floatReference(weight, total, count),
      );
    }
  });
});

describe('modula matches Perl Cache::Memcached 1.30', () => {
  it('places every key like Cache::Memcached on two servers', async () => {
    await expectSamePlacement('modula', 'cache-memcached', servers(['127.0.0.1', 9996, 1], ['127.0.0.1', 9997, 1]));
  });

  it('repeats a server `weight` times in the bucket list, as Cache::Memcached does', async () => {
    await expectSamePlacement(
      'modula',
      'cache-memcached',
      servers(['10.1.0.1', 11211, 2], ['10.1.0.2', 11211, 1], ['10.1.0.3', 11211, 3]),
    );
  });

  it("computes Cache::Memcached's (crc32 >> 16) & 0x7fff", () => {
    // crc32("foo") = 0x8c736521 -> 0x8c73 & 0x7fff = 0x0c73
    expect(cacheMemcachedKeyHash('foo')).toBe(0x0c73);
    // crc32 of the UTF-8 bytes of "ключ" (d0 ba d0 bb d1 8e d1 87)
    const crc = Number.parseInt(
      execFileSync('/usr/bin/python3', ['-c', 'import zlib;print(zlib.crc32("ключ".encode()))']).toString().trim(),
      10,
    );
    expect(cacheMemcachedKeyHash('ключ')).toBe(Math.floor(crc / 65536) % 32768);
  });

  it('keeps a key whose hash is 0 in bucket 0 (modula) and moves it to bucket 1 (modula_python)', async () => {
    let zeroKey = '';
    for (let i = 0; zeroKey === ''; i++) {
      if (cacheMemcachedKeyHash(`zero-hash-${i}`) === 0) zeroKey = `zero-hash-${i}`;
    }
    const list = servers(['127.0.0.1', 9996, 1], ['127.0.0.1', 9997, 1], ['127.0.0.1', 9998, 1]);
    expect(placeKeys('modula', list, [zeroKey])).toEqual([0]);
    expect(await clientPlacement('cache-memcached', list, [zeroKey])).toEqual([0]);
    // python-memcached's cmemcache_hash: "(((crc32(key) & 0xffffffff) >> 16) & 0x7fff) or 1"
    expect(placeKeys('modula_python', list, [zeroKey])).toEqual([1]);
  });

  it('agrees with modula_python on every key whose hash is not 0', () => {
    const list = servers(['a', 1, 1], ['b', 2, 2], ['c', 3, 1]);
    const perl = placeKeys('modula', list, KEYS);
    const python = placeKeys('modula_python', list, KEYS);
    const differing = KEYS.filter((key, i) => perl[i] !== python[i] && cacheMemcachedKeyHash(key) !== 0);
    expect(differing).toEqual([]);
  });
});

describe('rendezvous matches pymemcache 3.5.2 HashClient', () => {
  it('places every key like HashClient on two servers', async () => {
    await expectSamePlacement(
      'rendezvous',
      'pymemcache-hashclient',
      servers(['127.0.0.1', 11211, 1], ['127.0.0.1', 11212, 1]),
    );
  });

  it('places every key like HashClient on three servers with host names', async () => {
    await expectSamePlacement(
      'rendezvous',
      'pymemcache-hashclient',
      servers(['cache-1.internal', 11211, 1], ['cache-2.internal', 11211, 1], ['localhost', 40003, 1]),
    );
  });

  it('names nodes host:port as HashClient does', () => {
    expect(rendezvousNodeName({ host: '127.0.0.1', port: 11211, weight: 1 })).toBe('127.0.0.1:11211');
  });

  it('refuses weights, which HashClient does not have', () => {
    expect(() => createDistribution('rendezvous', servers(['a', 1, 1], ['b', 2, 2]))).toThrow(
      new DistributionError(
        "rendezvous: server b:2 has weight 2, but pymemcache's HashClient has no weights; " +
          'remove the weight (or use distribution ketama or modula)',
      ),
    );
  });
});

describe('murmur3x86Hash32', () => {
  const bytes = (text: string): number[] => [...Buffer.from(text, 'latin1')];

  it('reproduces the published MurmurHash3_x86_32 vectors', () => {
    expect(murmur3x86Hash32([], 0)).toBe(0);
    expect(murmur3x86Hash32([], 1)).toBe(0x514e28b7);
    expect(murmur3x86Hash32([], 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3x86Hash32([0, 0, 0, 0], 0)).toBe(0x2362f9de);
    expect(murmur3x86Hash32(bytes('aaaa'), 0x9747b28c)).toBe(0x5a97808a);
    expect(murmur3x86Hash32(bytes('Hello, world!'), 0x9747b28c)).toBe(0x24884cba);
    expect(murmur3x86Hash32(bytes('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  it("equals pymemcache's murmur3_32 on text of every length 0..40 (all tail sizes)", () => {
    const texts = Array.from({ length: 41 }, (_, n) => 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'.slice(0, n));
    const script =
      'import sys,json\nfrom pymemcache.client.murmur3 import murmur3_32\n' +
      'print(json.dumps([murmur3_32(t, 0) for t in json.loads(sys.stdin.read())]))';
    const theirs = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(texts) }).toString(),
    ) as number[];
    expect(texts.map((text) => murmur3x86Hash32(bytes(text), 0))).toEqual(theirs);
  });
});

describe('createDistribution', () => {
  it('accepts exactly the documented names', () => {
    expect(DISTRIBUTION_NAMES).toEqual(['ketama', 'modula', 'modula_python', 'rendezvous']);
  });

  it.each(DISTRIBUTION_NAMES)('%s sends every key to the only server of a one-server list', (name) => {
    const positions = placeKeys(name, servers(['127.0.0.1', 11211, 1]), KEYS.slice(0, 200));
    expect(new Set(positions)).toEqual(new Set([0]));
  });

  it.each(DISTRIBUTION_NAMES)('%s refuses an empty server list', (name) => {
    expect(() => createDistribution(name, [])).toThrow(
      new DistributionError(`distribution ${name}: the server list is empty; list at least one host:port`),
    );
  });

  it.each(DISTRIBUTION_NAMES)('%s refuses a server listed twice', (name) => {
    expect(() => createDistribution(name, servers(['a', 1, 1], ['b', 2, 1], ['a', 1, 1]))).toThrow(
      new DistributionError(`distribution ${name}: server a:1 is listed twice; list each server once`),
    );
  });

  it('refuses ketama weights whose sum libmemcached could no longer convert to float exactly', () => {
    const heavy = Array.from({ length: 17 }, (_, i): ServerAddress => ({
      host: `h${i}`,
      port: 11211,
      weight: 1_000_000,
    }));
    expect(() => createDistribution('ketama', heavy)).toThrow(
      new DistributionError('ketama: the weights add up to 17000000; keep their sum below 16777216 (scale them down)'),
    );
  });

  it('answers the same position for the same key every time (no state between calls)', () => {
    const distribution = createDistribution('ketama', servers(['a', 1, 1], ['b', 2, 1], ['c', 3, 1]));
    const first = KEYS.slice(0, 500).map((key) => distribution.serverFor(key));
    const second = KEYS.slice(0, 500).map((key) => distribution.serverFor(key));
    expect(second).toEqual(first);
  });
});
