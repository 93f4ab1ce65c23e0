// The issue's "done when", through SQL: a foreign table with `servers` and `distribution` inside PostgreSQL, next to
// the real clients, on the real 2- and 3-server fleet, with weights where the client has them.
//  - they write, we read: the client stores every key; one SELECT through the foreign table returns every key with
//    its value;
//  - we write, they read: one INSERT through the foreign table stores every key; the client reads every key back.
// Clients: Perl Cache::Memcached (modula), PHP php-memcached with OPT_LIBKETAMA_COMPATIBLE (ketama), pymemcache's
// HashClient (rendezvous), and pgmemcache with KETAMA_WEIGHTED:1 (ketama) in the same database.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import type { DistributionName, ServerAddress } from '../../src/distribution/index';
import { connect, createScratchDatabase, type PostgresConnection } from '../rig/postgres';
import { openSession, type HostSession } from '../host/helpers';
import { runClient, type RealClient } from './clients';
import { makeKeys, uniquePrefix } from './keys';

const KEYS_PER_TEST = 300;
const DATABASE = 'interop_multi_server_fdw';

type Client = RealClient | 'pgmemcache';

type Case = {
  distribution: DistributionName;
  client: Client;
  weights: number[];
  /** php-memcached: the protocol (its ASCII protocol refuses non-ASCII keys). */
  clientArgs: string[];
  nonAscii: boolean;
};

const CASES: Case[] = [
  { distribution: 'modula', client: 'cache-memcached', weights: [1, 1], clientArgs: [], nonAscii: true },
  { distribution: 'modula', client: 'cache-memcached', weights: [1, 1, 1], clientArgs: [], nonAscii: true },
  { distribution: 'modula', client: 'cache-memcached', weights: [2, 1, 3], clientArgs: [], nonAscii: true },
  { distribution: 'ketama', client: 'php-memcached', weights: [1, 1], clientArgs: ['ascii'], nonAscii: false },
  { distribution: 'ketama', client: 'php-memcached', weights: [1, 1, 1], clientArgs: ['binary'], nonAscii: true },
  { distribution: 'ketama', client: 'php-memcached', weights: [29, 1, 30], clientArgs: ['ascii'], nonAscii: false },
  { distribution: 'ketama', client: 'pgmemcache', weights: [1, 3], clientArgs: [], nonAscii: true },
  { distribution: 'ketama', client: 'pgmemcache', weights: [1, 1, 1], clientArgs: [], nonAscii: true },
  { distribution: 'rendezvous', client: 'pymemcache-hashclient', weights: [1, 1], clientArgs: [], nonAscii: true },
  { distribution: 'rendezvous', client: 'pymemcache-hashclient', weights: [1, 1, 1], clientArgs: [], nonAscii: true },
];

let database: PostgresConnection;
let session: HostSession;
let tableCounter = 0;

beforeAll(async () => {
  database = await createScratchDatabase(inject('postgres'), DATABASE);
  session = await openSession(database);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query('CREATE EXTENSION pgmemcache');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
});

afterAll(async () => {
  await session?.close();
  const admin = await connect({ ...database, database: 'postgres' });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

function fleet(weights: readonly number[]): ServerAddress[] {
  const addresses = inject('memcachedServers');
  return weights.map((weight, i) => ({ host: addresses[i]!.host, port: addresses[i]!.port, weight }));
}

/** `host:port[:weight],...` as the application lists them. */
function serverList(servers: readonly ServerAddress[]): string {
  return servers.map((s) => `${s.host}:${s.port}${s.weight === 1 ? '' : `:${s.weight}`}`).join(',');
}

/** A cache table over `servers` with `distribution`; every key in one statement goes through it. */
async function multiServerTable(servers: readonly ServerAddress[], distribution: DistributionName): Promise<string> {
  tableCounter += 1;
  const table = `multi_${tableCounter}`;
  await session.client.query(`CREATE FOREIGN TABLE ${table} (key text, value text) SERVER mc
    OPTIONS (servers '${serverList(servers)}', distribution '${distribution}', row_id 'key')`);
  return table;
}

/** A new backend running pgmemcache set up for ketama, as a DBA would (pgmemcache keeps its servers per backend). */
async function pgmemcacheSession(servers: readonly ServerAddress[]): Promise<pg.Client> {
  const client = await connect(database);
  await client.query("SET pgmemcache.default_behavior = 'KETAMA_WEIGHTED:1'");
  for (const server of servers) {
    const spec = `${server.host}:${server.port}${server.weight === 1 ? '' : `:${server.weight}`}`;
    await client.query('SELECT memcache_server_add($1)', [spec]);
  }
  return client;
}

async function clientWrites(c: Case, servers: readonly ServerAddress[], keys: string[]): Promise<void> {
  if (c.client === 'pgmemcache') {
    const client = await pgmemcacheSession(servers);
    try {
      const stored = await client.query<{ stored: string }>(
        "SELECT count(*) FILTER (WHERE memcache_set(k, 'value:' || k)) AS stored FROM unnest($1::text[]) AS k",
        [keys],
      );
      expect(stored.rows[0]!.stored).toBe(String(keys.length));
    } finally {
      await client.end();
    }
    return;
  }
  expect(await runClient(c.client, 'write', servers, keys, c.clientArgs)).toEqual([`stored ${keys.length}`]);
}

/** What the client reads for each key: `HIT <value>` or `MISS`, in the order of `keys`. */
async function clientReads(c: Case, servers: readonly ServerAddress[], keys: string[]): Promise<string[]> {
  if (c.client === 'pgmemcache') {
    const client = await pgmemcacheSession(servers);
    try {
      const read = await client.query<{ answer: string }>(
        "SELECT coalesce('HIT ' || memcache_get(k), 'MISS') AS answer FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n",
        [keys],
      );
      return read.rows.map((row) => row.answer);
    } finally {
      await client.end();
    }
  }
  return runClient(c.client, 'read', servers, keys, c.clientArgs);
}

function describeCase(c: Case): string {
  return `${c.client} ${c.clientArgs.join(' ')} on ${c.weights.length} servers, weights ${c.weights.join(':')}`;
}

describe.each(CASES)('distribution $distribution = $client', (c) => {
  it(`they write, SELECT through the foreign table reads every key: ${describeCase(c)}`, async () => {
    const servers = fleet(c.weights);
    const table = await multiServerTable(servers, c.distribution);
    const keys = makeKeys(uniquePrefix(`fdw-${c.distribution}-w${c.weights.length}`), KEYS_PER_TEST, c.nonAscii);
    await clientWrites(c, servers, keys);
    const result = await session.client.query<{ key: string; value: string }>(
      `SELECT key, value FROM ${table} WHERE key = ANY($1)`,
      [keys],
    );
    const read = new Map(result.rows.map((row) => [row.key, row.value]));
    const wrong = keys.filter((key) => read.get(key) !== `value:${key}`);
    expect(wrong.slice(0, 5), `${wrong.length} of ${keys.length} keys not read through the foreign table`).toEqual([]);
    expect(result.rows.length).toBe(keys.length);
    expect(session.takeNotices().filter((notice) => notice.severity === 'WARNING')).toEqual([]);
  });

  it(`INSERT through the foreign table, the client reads every key: ${describeCase(c)}`, async () => {
    const servers = fleet(c.weights);
    const table = await multiServerTable(servers, c.distribution);
    const keys = makeKeys(uniquePrefix(`fdw-${c.distribution}-r${c.weights.length}`), KEYS_PER_TEST, c.nonAscii);
    const inserted = await session.client.query(
      `INSERT INTO ${table} (key, value) SELECT k, 'value:' || k FROM unnest($1::text[]) AS k`,
      [keys],
    );
    expect(inserted.rowCount).toBe(keys.length);
    const read = await clientReads(c, servers, keys);
    const wrong = keys.flatMap((key, i) =>
      read[i] === `HIT value:${key}` ? [] : [`${key}: ${read[i] ?? 'no answer'}`],
    );
    expect(wrong.slice(0, 5), `${wrong.length} of ${keys.length} keys not read back by ${c.client}`).toEqual([]);
  });
});
