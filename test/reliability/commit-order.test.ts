// When a transaction's writes reach memcached relative to PostgreSQL's own commit: memcached must never hold the writes
// of a transaction PostgreSQL did not commit. SERIALIZABLE transactions send after PostgreSQL's commit-time
// serialization check; a transaction that aborts after its writes were sent (a later commit step failed) has them
// deleted again, with a WARNING. Real memcached, real PostgreSQL (postgres_fdw as the later commit step).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase, type PostgresConnection } from '../rig/postgres';
import { startMemcached } from '../rig/memcached';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import type { MemcachedAddress } from '../rig/raw-memcached';
import { createCacheTable, held, openReliabilityDatabase } from './support';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let connection: PostgresConnection;
let session: HostSession;
const sessions: HostSession[] = [];

async function newSession(): Promise<HostSession> {
  const opened = await openSession(connection);
  sessions.push(opened);
  return opened;
}

beforeAll(async () => {
  ({ session, connection } = await openReliabilityDatabase('reliability_commit_order'));
});

afterAll(async () => {
  for (const opened of sessions) await opened.close();
  await session?.close();
});

describe('SERIALIZABLE', () => {
  it('a COMMIT that fails the serialization check (write skew) sends nothing; the transaction that won sends its write', async () => {
    const cache = await createCacheTable(session, server);
    await session.client.query('CREATE TABLE doctors (name text PRIMARY KEY, on_call boolean)');
    await session.client.query("INSERT INTO doctors VALUES ('alice', true), ('bob', true)");
    const first = await newSession();
    const second = await newSession();
    for (const [client, name] of [
      [first, 'alice'],
      [second, 'bob'],
    ] as const) {
      await client.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      expect((await client.client.query('SELECT count(*)::int AS n FROM doctors WHERE on_call')).rows).toEqual([
        { n: 2 },
      ]);
      await client.client.query(`UPDATE doctors SET on_call = false WHERE name = '${name}'`);
      await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('${name}', 'off call')`);
    }
    await first.client.query('COMMIT');
    const error = await sqlError(second.client.query('COMMIT'));
    expect(error.code).toBe('40001');
    expect(await held(cache, ['alice', 'bob'])).toEqual(['off call', null]);
    expect((await session.client.query('SELECT name FROM doctors WHERE on_call')).rows).toEqual([{ name: 'bob' }]);
  });

  it('writes leave only at COMMIT, after PostgreSQL committed; a memcached failure then is a WARNING and the COMMIT stands', async () => {
    const own = await startMemcached();
    try {
      const cache = await createCacheTable(session, own.address, "connect_timeout '0.5'");
      const client = await newSession();
      await client.client.query('CREATE TABLE IF NOT EXISTS audit (note text)');
      await client.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('k', 'v')`);
      await client.client.query("INSERT INTO audit VALUES ('committed')");
      await own.stop();
      client.takeNotices();
      await client.client.query('COMMIT');
      const warnings = client.takeNotices().filter((notice) => notice.severity === 'WARNING');
      expect(warnings.length).toBe(1);
      const label = `${own.address.host}:${own.address.port}`;
      expect(warnings[0]!.message).toBe(
        `cannot reach memcached at ${label} (set of key "k"): connection refused, while sending the transaction's writes after PostgreSQL committed the transaction`,
      );
      expect(warnings[0]!.detail).toBe(
        `memcached has no transactions: what it applied stays. Of 1 key(s), memcached applied 0. Not sent: 1 ("${cache.prefix}k").`,
      );
      expect((await session.client.query('SELECT note FROM audit')).rows).toEqual([{ note: 'committed' }]);
    } finally {
      await own.stop();
    }
  });
});

describe('a transaction that aborts after its writes were sent', () => {
  it('has them deleted again, with a WARNING naming them (postgres_fdw fails its COMMIT after ours went out)', async () => {
    const cache = await createCacheTable(session, server);
    const remote = await createScratchDatabase(inject('postgres'), 'reliability_remote');
    const remoteSession = await openSession(remote);
    sessions.push(remoteSession);
    await remoteSession.client.query(
      'CREATE TABLE items (id int, CONSTRAINT unique_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    await remoteSession.client.query('INSERT INTO items VALUES (1)');
    await session.client.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
    await session.client.query(`CREATE SERVER remote_pg FOREIGN DATA WRAPPER postgres_fdw
      OPTIONS (host '${remote.host}', port '${remote.port}', dbname '${remote.database}')`);
    await session.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER remote_pg OPTIONS (user '${remote.user}')`);
    await session.client.query(
      "CREATE FOREIGN TABLE remote_items (id int) SERVER remote_pg OPTIONS (table_name 'items')",
    );
    // PostgreSQL calls the most recently registered commit callback first: postgres_fdw registers its own on first
    // use, Multicorn when its library loads. Using postgres_fdw first in a fresh session makes the cache send first.
    const client = await newSession();
    expect((await client.client.query('SELECT count(*)::int AS n FROM remote_items')).rows).toEqual([{ n: 1 }]);
    await client.client.query('BEGIN');
    await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('a', 'A'), ('b', 'B')`);
    await client.client.query('INSERT INTO remote_items VALUES (1)');
    client.takeNotices();
    const error = await sqlError(client.client.query('COMMIT'));
    expect(error.message).toBe('duplicate key value violates unique constraint "unique_id"');
    await client.client.query('SELECT 1');
    expect(
      client
        .takeNotices()
        .filter((notice) => notice.severity === 'WARNING')
        .map((notice) => [notice.message, notice.hint]),
    ).toEqual([
      [
        `the transaction aborted after its writes to 2 key(s) were sent to memcached ("${cache.prefix}a", "${cache.prefix}b")`,
        'Those keys were deleted again: memcached misses them instead of holding values of a transaction that did not commit.',
      ],
    ]);
    expect(await held(cache, ['a', 'b'])).toEqual([null, null]);
  });
});
