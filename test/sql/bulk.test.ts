// Bulk writes leave PostgreSQL as pipelined batches, shown by memcached's own counters on a private instance:
// cmd_set / cmd_touch / delete_hits count the commands, total_connections the connections, and conn_yields the
// requests that arrived pipelined (memcached yields a connection after 20 commands handled in one read event, so a
// client that waits for every reply never causes a yield, and one that pipelines a batch of 1000 causes several).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMemcached } from '../rig/memcached';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, rawStats, type Address } from '../unit/fdw-support';

const ROWS = 10_000;
let session: HostSession;
let memcached: { address: Address; stop(): Promise<void> };

beforeAll(async () => {
  memcached = await startMemcached(['-m', '256']);
  const connection = await createScratchDatabase(inject('postgres'), 'sql_bulk');
  session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(`CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`);
  const where = `host '${memcached.address.host}', port '${memcached.address.port}', row_id 'key'`;
  await session.client.query(`CREATE FOREIGN TABLE bulk (key text, value text, expire integer) SERVER mc OPTIONS (${where})`);
  await session.client.query(`CREATE FOREIGN TABLE bulk_batched (key text, value text) SERVER mc
    OPTIONS (${where}, batch_size '500', prefix 'batched:')`);
  await session.client.query(`CREATE FOREIGN TABLE bulk_add (key text, value text) SERVER mc
    OPTIONS (${where}, batch_size '1000', insert_mode 'add', prefix 'add:')`);
  // The first use reads item_size_max once; the counters below then count the statements alone.
  await session.client.query(`INSERT INTO bulk (key, value) VALUES ('warm', 'up')`);
});

afterAll(async () => {
  await session?.close();
  await memcached?.stop();
});

type Counters = { sets: number; touches: number; touchHits: number; deleteHits: number; gets: number; connections: number; yields: number };

async function counters(): Promise<Counters> {
  const stats = await rawStats(memcached.address);
  const number = (name: string): number => Number(stats.get(name));
  return {
    sets: number('cmd_set'),
    touches: number('cmd_touch'),
    touchHits: number('touch_hits'),
    deleteHits: number('delete_hits'),
    gets: number('cmd_get'),
    connections: number('total_connections'),
    yields: number('conn_yields'),
  };
}

/** Counter deltas of `action`; the stats connection itself opens one connection per call, which is subtracted. */
async function deltas(action: () => Promise<unknown>): Promise<Counters> {
  const before = await counters();
  await action();
  const after = await counters();
  return {
    sets: after.sets - before.sets,
    touches: after.touches - before.touches,
    touchHits: after.touchHits - before.touchHits,
    deleteHits: after.deleteHits - before.deleteHits,
    gets: after.gets - before.gets,
    connections: after.connections - before.connections - 1,
    yields: after.yields - before.yields,
  };
}

const keyArray = (count: number, prefix: string): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);

describe('bulk writes are pipelined', () => {
  it('control: a client that waits for each reply never makes memcached yield', async () => {
    const measured = await deltas(async () => {
      for (let i = 0; i < 200; i++) await rawSet(memcached.address, `control${i}`, 'v');
    });
    expect(measured.sets).toBe(200);
    expect(measured.yields).toBe(0);
  });

  it(`INSERT ... SELECT of ${ROWS} rows: ${ROWS} sets on the backend's one connection, pipelined`, async () => {
    const measured = await deltas(() => session.client.query(
      `INSERT INTO bulk (key, value) SELECT 'row:' || g, repeat('x', 100) FROM generate_series(1, ${ROWS}) g`,
    ));
    expect(measured.sets).toBe(ROWS);
    expect(measured.connections).toBe(0);
    expect(measured.yields).toBeGreaterThanOrEqual(10);
    expect((await rawGet(memcached.address, 'row:1'))!.value.toString()).toBe('x'.repeat(100));
    expect((await rawGet(memcached.address, `row:${ROWS}`))!.value.toString()).toBe('x'.repeat(100));
  });

  it('inside a transaction block the same rows go out only at COMMIT', async () => {
    await session.client.query('BEGIN');
    await session.client.query(`INSERT INTO bulk (key, value) SELECT 'tx:' || g, 'v' FROM generate_series(1, 2000) g`);
    const atCommit = await deltas(async () => {
      expect(await rawGet(memcached.address, 'tx:1')).toBeNull();
      await session.client.query('COMMIT');
    });
    expect(atCommit.sets).toBe(2000);
    expect(atCommit.yields).toBeGreaterThanOrEqual(2);
  });

  // pymemcache has no touch_many: touches go out one write each without waiting for replies (noreply, the last one
  // acknowledged), so memcached handles them as they arrive and does not yield; all of them are applied.
  it('a multi-row UPDATE of values is pipelined sets; of expire alone, touches that do not wait for replies', async () => {
    const keys = keyArray(1000, 'row:');
    const values = await deltas(() => session.client.query(`UPDATE bulk SET value = 'updated' WHERE key = ANY($1)`, [keys]));
    expect([values.sets, values.touches]).toEqual([1000, 0]);
    expect(values.yields).toBeGreaterThanOrEqual(1);
    const expires = await deltas(() => session.client.query(`UPDATE bulk SET expire = 600 WHERE key = ANY($1)`, [keys]));
    expect([expires.sets, expires.touches, expires.touchHits]).toEqual([0, 1000, 1000]);
    const item = await rawGet(memcached.address, 'row:1000');
    expect(item!.value.toString()).toBe('updated');
    expect(item!.ttl).toBeGreaterThan(500);
  });

  it('a multi-row DELETE is pipelined deletes', async () => {
    const keys = keyArray(1000, 'row:');
    const measured = await deltas(() => session.client.query(`DELETE FROM bulk WHERE key = ANY($1)`, [keys]));
    expect(measured.deleteHits).toBe(1000);
    expect(measured.yields).toBeGreaterThanOrEqual(1);
    expect(await rawGet(memcached.address, 'row:1')).toBeNull();
    expect((await rawGet(memcached.address, 'row:1001'))!.value.toString()).toBe('x'.repeat(100));
  });

  it('batch_size hands INSERT rows over in batches; the write set sends them the same way', async () => {
    const measured = await deltas(() => session.client.query(
      `INSERT INTO bulk_batched (key, value) SELECT g::text, 'b' FROM generate_series(1, 3000) g`,
    ));
    expect(measured.sets).toBe(3000);
    expect((await rawGet(memcached.address, 'batched:3000'))!.value.toString()).toBe('b');
  });

  it('insert_mode add with batch_size: one get_many per batch checks for duplicates, then one add per key', async () => {
    const inserted = await deltas(() => session.client.query(
      `INSERT INTO bulk_add (key, value) SELECT g::text, 'a' FROM generate_series(1, 2000) g`,
    ));
    // cmd_get counts keys: 2000 looked up in 2 batches of 1000 (4 get requests of at most 500 keys).
    expect(inserted.gets).toBe(2000);
    expect(inserted.sets).toBe(2000);
    const error = await sqlError(session.client.query(
      `INSERT INTO bulk_add (key, value) SELECT g::text, 'again' FROM generate_series(1990, 2010) g`,
    ));
    expect(error.message).toBe(`duplicate key value: key "1990" already exists in memcached at ${memcached.address.host}:${memcached.address.port}`);
    expect(await rawGet(memcached.address, 'add:2010')).toBeNull();
    expect((await rawGet(memcached.address, 'add:1990'))!.value.toString()).toBe('a');
  });

  it('batch_size is checked: 1 to 10000', async () => {
    await session.client.query(`CREATE FOREIGN TABLE bad_batch (key text, value text) SERVER mc
      OPTIONS (host '${memcached.address.host}', port '${memcached.address.port}', batch_size '0')`);
    const error = await sqlError(session.client.query(`SELECT * FROM bad_batch WHERE key = 'k'`));
    expect(error.message).toBe('invalid value "0" for option "batch_size": expected an integer from 1 to 10000');
  });

  it('a pre-existing item is overwritten by the bulk INSERT only when it commits', async () => {
    await rawSet(memcached.address, 'row:5', 'before');
    await session.client.query('BEGIN');
    await session.client.query(`INSERT INTO bulk (key, value) SELECT 'row:' || g, 'late' FROM generate_series(1, 10) g`);
    await session.client.query('ROLLBACK');
    expect((await rawGet(memcached.address, 'row:5'))!.value.toString()).toBe('before');
  });
});
