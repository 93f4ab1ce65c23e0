// Interop with the real clients over the real memcached fleet, in both directions:
//  - they write, we find: the client stores N keys; every key must be on exactly the server our placement predicts
//    (a direct `get` on each server, so no client logic is involved in the check);
//  - we write, they read: we store each key on the predicted server only; the client must read every key back.
// On 2 and 3 servers, with weights where the client has them (Cache::Memcached, libmemcached; not HashClient).
import { describe, expect, inject, it } from 'vitest';
import { createDistribution, type DistributionName, type ServerAddress } from '../../src/distribution/index';
import { runClient, type RealClient } from './clients';
import { makeKeys, uniquePrefix } from './keys';
import { rawGetMany, rawSetEach } from '../rig/raw-memcached';

const KEYS_PER_TEST = 600;

type Case = {
  distribution: DistributionName;
  client: RealClient;
  serverCount: 2 | 3;
  weights: number[];
  /** Extra arguments of the client script (php-memcached: the protocol). */
  clientArgs: string[];
  nonAscii: boolean;
};

function fleet(weights: readonly number[]): ServerAddress[] {
  const addresses = inject('memcachedServers');
  if (addresses.length < weights.length) {
    throw new Error(`the interop tests need ${weights.length} memcached servers, the rig started ${addresses.length}`);
  }
  return weights.map((weight, i) => ({ host: addresses[i]!.host, port: addresses[i]!.port, weight }));
}

/** Where each key actually is: the positions of the servers whose own `get` returns it. */
async function locate(servers: readonly ServerAddress[], keys: readonly string[]): Promise<Map<string, number[]>> {
  const located = new Map<string, number[]>(keys.map((key) => [key, []]));
  const perServer = await Promise.all(servers.map((server) => rawGetMany(server, keys)));
  perServer.forEach((found, position) => {
    for (const [key, value] of found) {
      expect(value, `value of ${key} on server ${position}`).toBe(`value:${key}`);
      located.get(key)?.push(position);
    }
  });
  return located;
}

const CASES: Case[] = [
  {
    distribution: 'modula',
    client: 'cache-memcached',
    serverCount: 2,
    weights: [1, 1],
    clientArgs: [],
    nonAscii: true,
  },
  {
    distribution: 'modula',
    client: 'cache-memcached',
    serverCount: 3,
    weights: [1, 1, 1],
    clientArgs: [],
    nonAscii: true,
  },
  {
    distribution: 'modula',
    client: 'cache-memcached',
    serverCount: 2,
    weights: [3, 1],
    clientArgs: [],
    nonAscii: true,
  },
  {
    distribution: 'modula',
    client: 'cache-memcached',
    serverCount: 3,
    weights: [2, 1, 3],
    clientArgs: [],
    nonAscii: true,
  },
  // php-memcached refuses non-ASCII keys over the ASCII protocol; the binary-protocol cases carry them.
  {
    distribution: 'ketama',
    client: 'php-memcached',
    serverCount: 2,
    weights: [1, 1],
    clientArgs: ['ascii'],
    nonAscii: false,
  },
  {
    distribution: 'ketama',
    client: 'php-memcached',
    serverCount: 3,
    weights: [1, 1, 1],
    clientArgs: ['binary'],
    nonAscii: true,
  },
  {
    distribution: 'ketama',
    client: 'php-memcached',
    serverCount: 2,
    weights: [1, 3],
    clientArgs: ['binary'],
    nonAscii: true,
  },
  {
    distribution: 'ketama',
    client: 'php-memcached',
    serverCount: 3,
    weights: [29, 1, 30],
    clientArgs: ['ascii'],
    nonAscii: false,
  },
  {
    distribution: 'rendezvous',
    client: 'pymemcache-hashclient',
    serverCount: 2,
    weights: [1, 1],
    clientArgs: [],
    nonAscii: true,
  },
  {
    distribution: 'rendezvous',
    client: 'pymemcache-hashclient',
    serverCount: 3,
    weights: [1, 1, 1],
    clientArgs: [],
    nonAscii: true,
  },
];

function describeCase(c: Case): string {
  return `${c.distribution} = ${c.client} ${c.clientArgs.join(' ')} on ${c.serverCount} servers, weights ${c.weights.join(':')}`;
}

describe.each(CASES)('$distribution: $client', (c) => {
  it(`they write, we find each key on the predicted server: ${describeCase(c)}`, async () => {
    const servers = fleet(c.weights);
    const keys = makeKeys(uniquePrefix(`${c.distribution}-w${c.serverCount}`), KEYS_PER_TEST, c.nonAscii);
    const written = await runClient(c.client, 'write', servers, keys, c.clientArgs);
    expect(written).toEqual([`stored ${keys.length}`]);

    const distribution = createDistribution(c.distribution, servers);
    const located = await locate(servers, keys);
    const misplaced = keys.flatMap((key) => {
      const predicted = distribution.serverFor(key);
      const actual = located.get(key) ?? [];
      return actual.length === 1 && actual[0] === predicted
        ? []
        : [`${key}: predicted ${predicted}, found on [${actual.join(',')}]`];
    });
    expect(misplaced.slice(0, 5), `${misplaced.length} of ${keys.length} keys not where predicted`).toEqual([]);
    // Every server of the list holds some of the keys: the test exercises the placement, not one server.
    const used = new Set(keys.map((key) => distribution.serverFor(key)));
    expect(used.size).toBe(c.serverCount);
  });

  it(`we write on the predicted server, they read every key: ${describeCase(c)}`, async () => {
    const servers = fleet(c.weights);
    const keys = makeKeys(uniquePrefix(`${c.distribution}-r${c.serverCount}`), KEYS_PER_TEST, c.nonAscii);
    const distribution = createDistribution(c.distribution, servers);
    const perServer = servers.map(() => new Map<string, string>());
    for (const key of keys) perServer[distribution.serverFor(key)]!.set(key, `value:${key}`);
    await Promise.all(servers.map((server, position) => rawSetEach(server, perServer[position]!)));

    const read = await runClient(c.client, 'read', servers, keys, c.clientArgs);
    const wrong = keys.flatMap((key, i) =>
      read[i] === `HIT value:${key}` ? [] : [`${key}: ${read[i] ?? 'no answer'}`],
    );
    expect(wrong.slice(0, 5), `${wrong.length} of ${keys.length} keys not read back`).toEqual([]);
  });
});
