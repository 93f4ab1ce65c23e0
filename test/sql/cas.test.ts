// An UPDATE never overwrites a change it did not see: the rows it read are written back at COMMIT as compare-and-swaps
// against the CAS token of that read. Another client (a raw-protocol client, or another PostgreSQL session) changing
// or deleting the item in between fails the COMMIT with an ERROR naming the key; its value stays, the rest of the
// transaction is not sent, and keys swapped before the conflict are deleted again. Under SERIALIZABLE (sent after
// PostgreSQL committed) a conflict is a WARNING and the rest still goes. Counters updated with
// `value = value::int + 1` from concurrent sessions lose nothing.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMemcached, type MemcachedHandle } from '../rig/memcached';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';

let memcached: MemcachedHandle;
let server: MemcachedAddress;
let session: HostSession;
let other: HostSession;
let tableCounter = 0;

beforeAll(async () => {
  memcached = await startMemcached();
  server = memcached.address;
  const connection = await createScratchDatabase(inject('postgres'), 'sql_cas');
  session = await openSession(connection);
  other = await openSession(connection);
  await session.client.query('CREATE EXTENSION IF NOT EXISTS pymcache_fdw CASCADE');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
});

afterAll(async () => {
  await other?.close();
  await session?.close();
  await memcached?.stop();
});

async function cacheTable(options = ''): Promise<string> {
  tableCounter += 1;
  const name = `cas_${tableCounter}`;
  await session.client.query(`CREATE FOREIGN TABLE ${name} (key text, value text, expire integer) SERVER mc
    OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${name}:'${options === '' ? '' : ', ' + options})`);
  return name;
}

async function held(table: string, key: string): Promise<string | null> {
  const item = await rawGet(server, `${table}:${key}`);
  return item === null ? null : item.value.toString();
}

const CONFLICT_HINT =
  "The other client's value stays. Read the key again and retry the transaction: an UPDATE (and memcache_append or " +
  "memcache_prepend under write_mode 'commit') is sent as a compare-and-swap against the value it read, so it " +
  'never overwrites a change it did not see.';

describe('compare-and-swap UPDATE', () => {
  it('another client changing the item before COMMIT fails the COMMIT; its value stays and nothing else is applied', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:k`, 'theirs-before');
    await rawSet(server, `${table}:gone`, 'to delete');
    await session.client.query('BEGIN');
    await session.client.query(`UPDATE ${table} SET value = 'mine' WHERE key = 'k'`);
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ('new', 'n')`);
    await session.client.query(`DELETE FROM ${table} WHERE key = 'gone'`);
    await rawSet(server, `${table}:k`, 'theirs-after');
    const error = await sqlError(session.client.query('COMMIT'));
    expect([error.message, error.hint, error.detail]).toEqual([
      `another client changed key "k" in memcached at ${server.host}:${server.port} after this transaction read it: the compare-and-swap of 1 key(s) was not applied`,
      CONFLICT_HINT,
      // The DETAIL names the keys as memcached holds them (with the table's prefix).
      'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
        `Of 3 key(s), memcached applied 0. Refused by memcached: 1 ("${table}:k"). Not sent: 2 ("${table}:new", "${table}:gone").`,
    ]);
    expect([await held(table, 'k'), await held(table, 'new'), await held(table, 'gone')]).toEqual([
      'theirs-after',
      null,
      'to delete',
    ]);
  });

  it('another client deleting the item is a conflict too', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:k`, 'v');
    await session.client.query('BEGIN');
    await session.client.query(`UPDATE ${table} SET value = 'mine' WHERE key = 'k'`);
    await other.client.query(`CREATE FOREIGN TABLE IF NOT EXISTS ${table}_other (key text, value text) SERVER mc
      OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${table}:')`);
    await other.client.query(`DELETE FROM ${table}_other WHERE key = 'k'`);
    const error = await sqlError(session.client.query('COMMIT'));
    expect(error.message).toBe(
      `another client deleted key "k" in memcached at ${server.host}:${server.port} after this transaction read it: the compare-and-swap of 1 key(s) was not applied`,
    );
    expect(await held(table, 'k')).toBeNull();
  });

  it('an UPDATE of a key the transaction wrote itself is not a conflict, nor are two UPDATEs of one read', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:k`, '1');
    await session.client.query('BEGIN');
    await session.client.query(`UPDATE ${table} SET value = (value::int + 1)::text WHERE key = 'k'`);
    await session.client.query(`UPDATE ${table} SET value = (value::int + 1)::text WHERE key = 'k'`);
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ('own', 'a')`);
    await session.client.query(`UPDATE ${table} SET value = 'b' WHERE key = 'own'`);
    await session.client.query('COMMIT');
    expect([await held(table, 'k'), await held(table, 'own')]).toEqual(['3', 'b']);
  });

  it('under write_mode immediate a change between the read and the end of the statement fails the statement', async () => {
    const table = await cacheTable("write_mode 'immediate'");
    await rawSet(server, `${table}:k`, 'before');
    await session.client.query(`CREATE OR REPLACE FUNCTION slow_text(t text) RETURNS text LANGUAGE sql VOLATILE
      AS $$ SELECT t || pg_sleep(0.4)::text $$`);
    const statement = sqlError(session.client.query(`UPDATE ${table} SET value = slow_text('mine') WHERE key = 'k'`));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await rawSet(server, `${table}:k`, 'theirs');
    const error = await statement;
    expect(error.message).toBe(
      `another client changed key "k" in memcached at ${server.host}:${server.port} after this transaction read it: the compare-and-swap of 1 key(s) was not applied`,
    );
    expect(await held(table, 'k')).toBe('theirs');
  });

  it('a conflict on one key of several: the COMMIT fails, the keys swapped before it are deleted again, never left half-updated', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:a`, 'a-before');
    await rawSet(server, `${table}:b`, 'b-before');
    await session.client.query('BEGIN');
    await session.client.query(`UPDATE ${table} SET value = 'mine' WHERE key IN ('a', 'b')`);
    await rawSet(server, `${table}:b`, 'theirs');
    session.takeNotices();
    const error = await sqlError(session.client.query('COMMIT'));
    expect([error.message, error.detail]).toEqual([
      `another client changed key "b" in memcached at ${server.host}:${server.port} after this transaction read it: the compare-and-swap of 1 key(s) was not applied`,
      'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
        `Of 2 key(s), memcached applied 1 ("${table}:a"). Refused by memcached: 1 ("${table}:b").`,
    ]);
    await session.client.query('SELECT 1');
    // a was swapped before b's conflict showed: memcached cannot take a write back, so a is deleted (a miss), not
    // left holding the value of a transaction that did not commit; b keeps the other client's value.
    expect(session.takeNotices().map((notice) => [notice.severity, notice.message, notice.hint])).toEqual([
      [
        'WARNING',
        `the transaction aborted after its writes to 1 key(s) were sent to memcached ("${table}:a")`,
        'Those keys were deleted again: memcached misses them instead of holding values of a transaction that did not commit.',
      ],
    ]);
    expect([await held(table, 'a'), await held(table, 'b')]).toEqual([null, 'theirs']);
  });

  it('a conflict, then a server that fails: the DETAIL names the refused key as refused, not as not sent', async () => {
    const second = await startMemcached();
    try {
      const table = await cacheTable();
      tableCounter += 1;
      const other = `cas_${tableCounter}`;
      await session.client.query(`CREATE FOREIGN TABLE ${other} (key text, value text, expire integer) SERVER mc
        OPTIONS (host '${second.address.host}', port '${second.address.port}', row_id 'key', prefix '${other}:', connect_timeout '0.5')`);
      await rawSet(server, `${table}:a`, 'a-before');
      await rawSet(second.address, `${other}:b`, 'b-before');
      await session.client.query('BEGIN');
      await session.client.query(`UPDATE ${table} SET value = 'mine' WHERE key = 'a'`);
      await session.client.query(`UPDATE ${other} SET value = 'mine' WHERE key = 'b'`);
      await rawSet(server, `${table}:a`, 'theirs');
      await second.stop();
      const error = await sqlError(session.client.query('COMMIT'));
      expect([error.message, error.detail]).toEqual([
        `cannot reach memcached at ${second.address.host}:${second.address.port} (cas of key "b"): connection refused, while sending the transaction's writes`,
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          `Of 2 key(s), memcached applied 0. Refused by memcached: 1 ("${table}:a"). Not sent: 1 ("${other}:b").`,
      ]);
      expect(await held(table, 'a')).toBe('theirs');
    } finally {
      await second.stop();
    }
  });

  it('under SERIALIZABLE (sent after PostgreSQL committed) a conflict is a WARNING and the rest of the writes still go', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:k`, 'before');
    await rawSet(server, `${table}:gone`, 'to delete');
    await session.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await session.client.query(`UPDATE ${table} SET value = 'mine' WHERE key = 'k'`);
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ('new', 'n')`);
    await session.client.query(`DELETE FROM ${table} WHERE key = 'gone'`);
    await rawSet(server, `${table}:k`, 'theirs');
    session.takeNotices();
    await session.client.query('COMMIT');
    expect(
      session.takeNotices().map((notice) => [notice.severity, notice.message, notice.hint, notice.detail]),
    ).toEqual([
      [
        'WARNING',
        `another client changed key "k" in memcached at ${server.host}:${server.port} after this transaction read it: the compare-and-swap of 1 key(s) was not applied after PostgreSQL committed the transaction`,
        CONFLICT_HINT,
        'memcached has no transactions: what it applied stays. ' +
          `Of 3 key(s), memcached applied 2 ("${table}:new", "${table}:gone"). Refused by memcached: 1 ("${table}:k").`,
      ],
    ]);
    expect([await held(table, 'k'), await held(table, 'new'), await held(table, 'gone')]).toEqual([
      'theirs',
      'n',
      null,
    ]);
  });

  it('under SERIALIZABLE an add another client beat is a WARNING naming the key; its value stays, the rest goes', async () => {
    const table = await cacheTable("insert_mode 'add'");
    await session.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ('c', 'mine'), ('d', 'mine too')`);
    await rawSet(server, `${table}:c`, 'theirs');
    session.takeNotices();
    await session.client.query('COMMIT');
    expect(session.takeNotices().map((notice) => [notice.severity, notice.message, notice.detail])).toEqual([
      [
        'WARNING',
        `duplicate key value: key "c" already exists in memcached at ${server.host}:${server.port} after PostgreSQL committed the transaction`,
        'memcached has no transactions: what it applied stays. ' +
          `Of 2 key(s), memcached applied 1 ("${table}:d"). Refused by memcached: 1 ("${table}:c").`,
      ],
    ]);
    expect([await held(table, 'c'), await held(table, 'd')]).toEqual(['theirs', 'mine too']);
  });

  it('counters incremented from two sessions at once lose nothing: every increment that committed is counted', async () => {
    const table = await cacheTable();
    await rawSet(server, `${table}:n`, '0');
    await other.client
      .query(`CREATE FOREIGN TABLE IF NOT EXISTS ${table}_other (key text, value text, expire integer) SERVER mc
      OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${table}:')`);
    const increment = `SET value = (value::int + 1)::text WHERE key = 'n'`;
    const run = async (
      client: HostSession['client'],
      name: string,
    ): Promise<{ applied: number; conflicts: number }> => {
      let applied = 0;
      let conflicts = 0;
      for (let i = 0; i < 60; i++) {
        try {
          await client.query(`UPDATE ${name} ${increment}`);
          applied += 1;
        } catch (error) {
          expect((error as Error).message).toMatch(
            /^another client changed key "n" in memcached at .* after this transaction read it/,
          );
          conflicts += 1;
        }
      }
      return { applied, conflicts };
    };
    const [mine, theirs] = await Promise.all([run(session.client, table), run(other.client, `${table}_other`)]);
    expect(await held(table, 'n')).toBe(String(mine.applied + theirs.applied));
    expect(mine.applied + mine.conflicts).toBe(60);
    expect(theirs.applied + theirs.conflicts).toBe(60);
  });
});
