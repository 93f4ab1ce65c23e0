// Interop with pgmemcache (Debian's postgresql-15-pgmemcache 2.3.0 on libmemcached 1.1.4) configured for ketama:
// `SET pgmemcache.default_behavior = 'KETAMA_WEIGHTED:1'` (libmemcached's MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, the
// same continuum as PHP's OPT_LIBKETAMA_COMPATIBLE), servers added as 'host:port' or 'host:port:weight'.
// Both directions on the real fleet: pgmemcache writes, every key is on the server `ketama` predicts; we write on
// the predicted servers, pgmemcache reads every key back.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import { createDistribution, type ServerAddress } from '../../src/distribution/index';
import { connect, createScratchDatabase, type PostgresConnection } from '../rig/postgres';
import { makeKeys, uniquePrefix } from './keys';
import { rawGetMany, rawSetEach } from '../rig/raw-memcached';

const KEYS_PER_TEST = 600;

let database: PostgresConnection;

beforeAll(async () => {
  database = await createScratchDatabase(inject('postgres'), 'interop_pgmemcache');
  const setup = await connect(database);
  try {
    await setup.query('CREATE EXTENSION pgmemcache');
  } finally {
    await setup.end();
  }
});

afterAll(async () => {
  // Leave nothing behind in the shared cluster.
  const admin = await connect({ ...database, database: 'postgres' });
  try {
    await admin.query('DROP DATABASE IF EXISTS interop_pgmemcache WITH (FORCE)');
  } finally {
    await admin.end();
  }
});

function fleet(weights: readonly number[]): ServerAddress[] {
  const addresses = inject('memcachedServers');
  return weights.map((weight, i) => ({ host: addresses[i]!.host, port: addresses[i]!.port, weight }));
}

/** A new backend (pgmemcache keeps its server list per backend) set up like a DBA would for ketama. */
async function pgmemcacheSession(servers: readonly ServerAddress[]): Promise<pg.Client> {
  const session = await connect(database);
  await session.query("SET pgmemcache.default_behavior = 'KETAMA_WEIGHTED:1'");
  for (const server of servers) {
    const spec = `${server.host}:${server.port}${server.weight === 1 ? '' : `:${server.weight}`}`;
    const added = await session.query<{ added: boolean }>('SELECT memcache_server_add($1) AS added', [spec]);
    expect(added.rows[0]?.added, `memcache_server_add('${spec}')`).toBe(true);
  }
  return session;
}

const CASES: { weights: number[] }[] = [
  { weights: [1, 1] },
  { weights: [1, 1, 1] },
  { weights: [3, 1] },
  { weights: [2, 1, 3] },
];

describe.each(CASES)('ketama = pgmemcache KETAMA_WEIGHTED:1, weights $weights', ({ weights }) => {
  it('pgmemcache writes, every key is on the server ketama predicts', async () => {
    const servers = fleet(weights);
    const keys = makeKeys(uniquePrefix(`pgmemcache-w${weights.length}`), KEYS_PER_TEST, true);
    const session = await pgmemcacheSession(servers);
    try {
      const stored = await session.query<{ stored: string }>(
        "SELECT count(*) FILTER (WHERE memcache_set(k, 'value:' || k)) AS stored FROM unnest($1::text[]) AS k",
        [keys],
      );
      expect(stored.rows[0]?.stored).toBe(String(keys.length));
    } finally {
      await session.end();
    }

    const distribution = createDistribution('ketama', servers);
    const perServer = await Promise.all(servers.map((server) => rawGetMany(server, keys)));
    const misplaced = keys.flatMap((key) => {
      const holders = perServer.flatMap((found, position) => (found.get(key) === `value:${key}` ? [position] : []));
      const predicted = distribution.serverFor(key);
      return holders.length === 1 && holders[0] === predicted
        ? []
        : [`${key}: predicted ${predicted}, on [${holders.join(',')}]`];
    });
    expect(misplaced.slice(0, 5), `${misplaced.length} of ${keys.length} keys not where predicted`).toEqual([]);
    expect(new Set(keys.map((key) => distribution.serverFor(key))).size).toBe(weights.length);
  });

  it('we write on the predicted servers, pgmemcache reads every key', async () => {
    const servers = fleet(weights);
    const keys = makeKeys(uniquePrefix(`pgmemcache-r${weights.length}`), KEYS_PER_TEST, true);
    const distribution = createDistribution('ketama', servers);
    const entries = servers.map(() => new Map<string, string>());
    for (const key of keys) entries[distribution.serverFor(key)]!.set(key, `value:${key}`);
    await Promise.all(servers.map((server, position) => rawSetEach(server, entries[position]!)));

    const session = await pgmemcacheSession(servers);
    try {
      const read = await session.query<{ k: string; v: string | null }>(
        'SELECT k, memcache_get(k) AS v FROM unnest($1::text[]) AS k',
        [keys],
      );
      const wrong = read.rows.filter((row) => row.v !== `value:${row.k}`).map((row) => `${row.k}: ${row.v ?? 'miss'}`);
      expect(read.rows).toHaveLength(keys.length);
      expect(wrong.slice(0, 5), `${wrong.length} of ${keys.length} keys not read back`).toEqual([]);
    } finally {
      await session.end();
    }
  });
});
