// A listed server that is down: the clients that move its keys elsewhere (Cache::Memcached's rehash, HashClient's
// removal from the rendezvous hash) must put every key where serverForWhileDown predicts. The down server is a
// loopback port with nothing listening (connections are refused at once).
import { describe, expect, inject, it } from 'vitest';
import { createDistribution, type DistributionName, type ServerAddress } from '../../src/distribution/index';
import { runClient, type RealClient } from './clients';
import { makeKeys, uniquePrefix } from './keys';
import { rawGetMany } from '../rig/raw-memcached';
import { freeLoopbackPort } from '../rig/ports';

const KEYS_PER_TEST = 600;

type DownCase = { distribution: DistributionName; client: RealClient; weights: number[]; clientArgs: string[] };

const CASES: DownCase[] = [
  { distribution: 'modula', client: 'cache-memcached', weights: [1, 1, 1], clientArgs: [] },
  { distribution: 'modula', client: 'cache-memcached', weights: [2, 3, 1], clientArgs: [] },
  { distribution: 'rendezvous', client: 'pymemcache-hashclient', weights: [1, 1, 1], clientArgs: ['tolerate-down'] },
];

describe.each(CASES)('$distribution with the middle server down: $client', (c) => {
  it(`the client moves the down server's keys where serverForWhileDown predicts (weights ${c.weights.join(':')})`, async () => {
    const fleet = inject('memcachedServers');
    const deadPort = await freeLoopbackPort();
    // Positions 0 and 2 are live fleet servers, position 1 is down.
    const servers: ServerAddress[] = [
      { host: fleet[0]!.host, port: fleet[0]!.port, weight: c.weights[0]! },
      { host: '127.0.0.1', port: deadPort, weight: c.weights[1]! },
      { host: fleet[1]!.host, port: fleet[1]!.port, weight: c.weights[2]! },
    ];
    const down = [false, true, false];
    const keys = makeKeys(uniquePrefix(`${c.distribution}-down`), KEYS_PER_TEST, true);
    expect(await runClient(c.client, 'write', servers, keys, c.clientArgs)).toEqual([`stored ${keys.length}`]);

    const distribution = createDistribution(c.distribution, servers);
    const live = [servers[0]!, servers[2]!];
    const found = await Promise.all(live.map((server) => rawGetMany(server, keys)));
    const misplaced = keys.flatMap((key) => {
      const predicted = distribution.serverForWhileDown(key, down);
      const holders = [found[0]!.has(key) ? 0 : -1, found[1]!.has(key) ? 2 : -1].filter((position) => position >= 0);
      return holders.length === 1 && holders[0] === predicted
        ? []
        : [`${key}: predicted ${predicted}, on [${holders.join(',')}]`];
    });
    expect(misplaced.slice(0, 5), `${misplaced.length} of ${keys.length} keys not where predicted`).toEqual([]);
    // Some keys really belonged to the down server: the test exercises the rehash.
    const moved = keys.filter((key) => distribution.serverFor(key) === 1);
    expect(moved.length).toBeGreaterThan(50);
  });
});

describe('serverForWhileDown without a live alternative', () => {
  const list: ServerAddress[] = [
    { host: 'a', port: 1, weight: 1 },
    { host: 'b', port: 2, weight: 1 },
  ];
  const keys = makeKeys('all-down', 200, true);

  it.each(['modula', 'modula_python', 'rendezvous'] as DistributionName[])(
    '%s gives up (null) when every server is down',
    (name) => {
      const distribution = createDistribution(name, list);
      expect(new Set(keys.map((key) => distribution.serverForWhileDown(key, [true, true])))).toEqual(new Set([null]));
    },
  );

  it('ketama does not move keys (libmemcached fails them unless REMOVE_FAILED_SERVERS is set)', () => {
    const distribution = createDistribution('ketama', list);
    const whileDown = keys.map((key) => distribution.serverForWhileDown(key, [false, true]));
    expect(whileDown).toEqual(keys.map((key) => (distribution.serverFor(key) === 1 ? null : 0)));
    expect(whileDown).toContain(null);
  });

  it.each(['ketama', 'modula', 'modula_python', 'rendezvous'] as DistributionName[])(
    '%s answers serverFor when no server is down',
    (name) => {
      const distribution = createDistribution(name, list);
      expect(keys.map((key) => distribution.serverForWhileDown(key, [false, false]))).toEqual(
        keys.map((key) => distribution.serverFor(key)),
      );
    },
  );
});
