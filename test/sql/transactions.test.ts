// Writes follow the transaction (write_mode commit, the default) or the statement (write_mode immediate), in
// PostgreSQL through the Multicorn host. Every check of what memcached holds goes through an independent raw-protocol
// client, never through the wrapper.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { uniquePrefix } from '../rig/memcached';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
const otherServer: MemcachedAddress = inject('memcachedServers')[1]!;
let session: HostSession;
let second: HostSession;

beforeAll(async () => {
  const connection = await createScratchDatabase(inject('postgres'), 'sql_transactions');
  session = await openSession(connection);
  second = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
});

afterAll(async () => {
  await second?.close();
  await session?.close();
});

let tableCounter = 0;

/** A cache table under a fresh prefix (options appended), on `address`. */
async function cacheTable(
  options = '',
  address: MemcachedAddress = server,
): Promise<{ table: string; prefix: string }> {
  tableCounter += 1;
  const table = `tx_${tableCounter}`;
  const prefix = uniquePrefix('tx');
  const more = options === '' ? '' : `, ${options}`;
  await session.client.query(`CREATE FOREIGN TABLE ${table} (key text, value text, expire integer)
    SERVER mc OPTIONS (host '${address.host}', port '${address.port}', row_id 'key', prefix '${prefix}'${more})`);
  return { table, prefix };
}

/** The value memcached holds for `key`, as text, or null. */
async function stored(prefix: string, key: string, address: MemcachedAddress = server): Promise<string | null> {
  const item = await rawGet(address, `${prefix}${key}`);
  return item === null ? null : item.value.toString('utf8');
}

async function storedValues(prefix: string, keys: string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (const key of keys) values.push(await stored(prefix, key));
  return values;
}

async function sql(text: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return (await session.client.query(text, params)).rows as Array<Record<string, unknown>>;
}

describe('write_mode commit (the default)', () => {
  it('an autocommit INSERT is in memcached when the statement returns', async () => {
    const { table, prefix } = await cacheTable();
    await sql(`INSERT INTO ${table} (key, value) VALUES ('a', 'A'), ('b', 'B')`);
    expect(await storedValues(prefix, ['a', 'b'])).toEqual(['A', 'B']);
  });

  it('an autocommit INSERT sent with the extended protocol (parameters) is in memcached when the query resolves', async () => {
    const { table, prefix } = await cacheTable();
    await sql(`INSERT INTO ${table} (key, value) VALUES ($1, $2)`, ['p', 'P']);
    expect(await stored(prefix, 'p')).toBe('P');
  });

  it('inside BEGIN nothing reaches memcached until COMMIT, which sends everything', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}u`, 'old');
    await rawSet(server, `${prefix}d`, 'doomed');
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('i', 'new')`);
    await sql(`UPDATE ${table} SET value = 'changed' WHERE key = 'u'`);
    await sql(`DELETE FROM ${table} WHERE key = 'd'`);
    expect(await storedValues(prefix, ['i', 'u', 'd'])).toEqual([null, 'old', 'doomed']);
    await sql('COMMIT');
    expect(await storedValues(prefix, ['i', 'u', 'd'])).toEqual(['new', 'changed', null]);
  });

  it('ROLLBACK leaves memcached untouched', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}keep`, 'original');
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('new', 'x'), ('keep', 'overwritten')`);
    await sql(`DELETE FROM ${table} WHERE key = 'keep'`);
    await sql('ROLLBACK');
    expect(await storedValues(prefix, ['new', 'keep'])).toEqual([null, 'original']);
    const item = await rawGet(server, `${prefix}keep`);
    expect([item!.flags, item!.ttl]).toEqual([0, -1]);
  });

  it('ROLLBACK TO SAVEPOINT drops exactly that level; RELEASE keeps its writes', async () => {
    const { table, prefix } = await cacheTable();
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('a', 'level1')`);
    await sql('SAVEPOINT s1');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('b', 'level2')`);
    await sql(`UPDATE ${table} SET value = 'level2' WHERE key = 'a'`);
    await sql('SAVEPOINT s2');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('c', 'level3')`);
    await sql('ROLLBACK TO SAVEPOINT s2');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('d', 'level3 again')`);
    await sql('RELEASE SAVEPOINT s2');
    expect(await sql(`SELECT key, value FROM ${table} WHERE key IN ('a', 'b', 'c', 'd') ORDER BY key`)).toEqual([
      { key: 'a', value: 'level2' },
      { key: 'b', value: 'level2' },
      { key: 'd', value: 'level3 again' },
    ]);
    await sql('ROLLBACK TO SAVEPOINT s1');
    expect(await sql(`SELECT key, value FROM ${table} WHERE key IN ('a', 'b', 'c', 'd') ORDER BY key`)).toEqual([
      { key: 'a', value: 'level1' },
    ]);
    await sql(`INSERT INTO ${table} (key, value) VALUES ('e', 'after s1')`);
    await sql('COMMIT');
    expect(await storedValues(prefix, ['a', 'b', 'c', 'd', 'e'])).toEqual(['level1', null, null, null, 'after s1']);
  });

  it('a failed statement inside a transaction block (psql ON_ERROR_ROLLBACK style savepoint) loses only its rows', async () => {
    const { table, prefix } = await cacheTable();
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('before', '1')`);
    await sql('SAVEPOINT stmt');
    await sqlError(session.client.query(`INSERT INTO ${table} (key, value) VALUES ('x', '2'), ('bad key', '3')`));
    await sql('ROLLBACK TO SAVEPOINT stmt');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('after', '4')`);
    await sql('COMMIT');
    expect(await storedValues(prefix, ['before', 'x', 'after'])).toEqual(['1', null, '4']);
  });

  it('read-your-writes: SELECT in the transaction sees its pending sets and deletes, UPDATE and DELETE find them', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}gone`, 'here');
    await rawSet(server, `${prefix}same`, 'memcached');
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('fresh', 'pending')`);
    await sql(`DELETE FROM ${table} WHERE key = 'gone'`);
    expect(await sql(`SELECT key, value FROM ${table} WHERE key IN ('fresh', 'gone', 'same') ORDER BY key`)).toEqual([
      { key: 'fresh', value: 'pending' },
      { key: 'same', value: 'memcached' },
    ]);
    const updated = await session.client.query(
      `UPDATE ${table} SET value = value || '+' WHERE key IN ('fresh', 'gone', 'same')`,
    );
    expect(updated.rowCount).toBe(2);
    await sql(`UPDATE ${table} SET expire = 500 WHERE key = 'fresh'`);
    expect(await sql(`SELECT key, value FROM ${table} WHERE key IN ('fresh', 'same') ORDER BY key`)).toEqual([
      { key: 'fresh', value: 'pending+' },
      { key: 'same', value: 'memcached+' },
    ]);
    const deleted = await session.client.query(`DELETE FROM ${table} WHERE key IN ('fresh', 'gone')`);
    expect(deleted.rowCount).toBe(1);
    expect(await storedValues(prefix, ['fresh', 'gone', 'same'])).toEqual([null, 'here', 'memcached']);
    await sql('COMMIT');
    expect(await storedValues(prefix, ['fresh', 'gone', 'same'])).toEqual([null, null, 'memcached+']);
  });

  it('an expire change of a pending insert is sent with the insert', async () => {
    const { table, prefix } = await cacheTable();
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('k', 'v')`);
    await sql(`UPDATE ${table} SET expire = 900 WHERE key = 'k'`);
    await sql('COMMIT');
    const item = await rawGet(server, `${prefix}k`);
    expect(item!.value.toString()).toBe('v');
    expect(item!.ttl).toBeGreaterThan(800);
  });

  it('writes to tables on two servers commit together', async () => {
    const first = await cacheTable();
    const other = await cacheTable('', otherServer);
    await sql('BEGIN');
    await sql(`INSERT INTO ${first.table} (key, value) VALUES ('one', '1')`);
    await sql(`INSERT INTO ${other.table} (key, value) VALUES ('two', '2')`);
    expect([await stored(first.prefix, 'one'), await stored(other.prefix, 'two', otherServer)]).toEqual([null, null]);
    await sql('COMMIT');
    expect([await stored(first.prefix, 'one'), await stored(other.prefix, 'two', otherServer)]).toEqual(['1', '2']);
  });
});

describe('statement atomicity', () => {
  const failingStatements: Array<[string, string, string]> = [
    ['an invalid key', `('a', '1'), ('b', '2'), ('bad key', '3')`, 'it contains a space'],
    ['a NULL key', `('a', '1'), ('b', '2'), (NULL, '3')`, 'the key column "key" must not be NULL'],
    [
      'a NULL value',
      `('a', '1'), ('b', '2'), ('c', NULL)`,
      'the value of key "c" is NULL, which memcached cannot store',
    ],
    ['a negative expire', `('a', '1'), ('b', '2'), ('c', '3')`, ''],
  ];
  for (const mode of ['commit', 'immediate']) {
    for (const [what, rows, message] of failingStatements) {
      it(`write_mode ${mode}: ${what} in the last row leaves no trace of the rows before it`, async () => {
        const { table, prefix } = await cacheTable(`write_mode '${mode}'`);
        const statement =
          message === ''
            ? `INSERT INTO ${table} (key, value, expire) SELECT k, v, CASE WHEN k = 'c' THEN -1 ELSE 10 END FROM (VALUES ${rows}) AS r(k, v)`
            : `INSERT INTO ${table} (key, value) VALUES ${rows}`;
        const error = await sqlError(session.client.query(statement));
        expect(error.message).toContain(message === '' ? 'expire of key "c" is -1' : message);
        expect(await storedValues(prefix, ['a', 'b', 'c'])).toEqual([null, null, null]);
      });
    }

    it(`write_mode ${mode}: a value over the item size limit is refused before anything is sent`, async () => {
      const { table, prefix } = await cacheTable(`write_mode '${mode}'`);
      const error = await sqlError(
        session.client.query(`INSERT INTO ${table} (key, value) VALUES ('small', 'x'), ('big', repeat('x', 2000000))`),
      );
      const room = 1048576 - 59 - Buffer.byteLength(`${prefix}big`);
      expect(error.message).toBe(
        `the value of key "big" is 2000000 bytes, more than memcached at ${server.host}:${server.port} stores for this key (${room} bytes)`,
      );
      expect(error.hint).toBe(
        "The server's item_size_max is 1048576 bytes, including the key and 59 bytes of item overhead: store a smaller value, or start memcached with a larger -I.",
      );
      expect(await storedValues(prefix, ['small', 'big'])).toEqual([null, null]);
    });

    it(`write_mode ${mode}: insert_mode add finds a duplicate at statement time, before anything is sent`, async () => {
      const { table, prefix } = await cacheTable(`write_mode '${mode}', insert_mode 'add'`);
      await rawSet(server, `${prefix}taken`, 'theirs');
      const error = await sqlError(
        session.client.query(`INSERT INTO ${table} (key, value) VALUES ('a', '1'), ('taken', '2')`),
      );
      expect(error.message).toBe(
        `duplicate key value: key "taken" already exists in memcached at ${server.host}:${server.port}`,
      );
      expect(error.detail).toBe('Key (key)=(taken) already exists.');
      const repeated = await sqlError(
        session.client.query(`INSERT INTO ${table} (key, value) VALUES ('b', '1'), ('b', '2')`),
      );
      expect(repeated.message).toBe('a statement cannot write key "b" twice: memcached holds one item per key');
      expect(await storedValues(prefix, ['a', 'taken', 'b'])).toEqual([null, 'theirs', null]);
    });
  }
});

describe('write_mode immediate', () => {
  it('sends each statement when it ends, inside a transaction, and ROLLBACK does not undo it', async () => {
    const { table, prefix } = await cacheTable("write_mode 'immediate'");
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('a', '1'), ('b', '2')`);
    expect(await storedValues(prefix, ['a', 'b'])).toEqual(['1', '2']);
    await sql(`DELETE FROM ${table} WHERE key = 'a'`);
    expect(await stored(prefix, 'a')).toBeNull();
    await sql('ROLLBACK');
    expect(await storedValues(prefix, ['a', 'b'])).toEqual([null, '2']);
  });

  it('is accepted as an option value, and anything else is an ERROR listing both', async () => {
    const { table } = await cacheTable("write_mode 'later'");
    const error = await sqlError(session.client.query(`SELECT * FROM ${table} WHERE key = 'k'`));
    expect(error.message).toBe('invalid value "later" for option "write_mode": expected one of commit, immediate');
  });
});

describe('insert_mode add at COMMIT', () => {
  it('a key another client created after the INSERT checked it fails the COMMIT, and nothing of the transaction stays', async () => {
    const { table, prefix } = await cacheTable("insert_mode 'add'");
    await sql('BEGIN');
    await sql(`INSERT INTO ${table} (key, value) VALUES ('mine', '1'), ('race', '2')`);
    await sql(`UPDATE ${table} SET value = '3' WHERE key = 'mine'`);
    await rawSet(server, `${prefix}race`, 'theirs');
    const error = await sqlError(session.client.query('COMMIT'));
    expect(error.message).toBe(
      `duplicate key value: key "race" already exists in memcached at ${server.host}:${server.port}`,
    );
    expect(error.detail).toBe(
      "Another client created it after the INSERT checked it, so the transaction's writes were not applied; the keys added before it were deleted again.",
    );
    expect(await storedValues(prefix, ['mine', 'race'])).toEqual([null, 'theirs']);
    expect(await sql('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });
});

describe('concurrent sessions', () => {
  it('two sessions writing the same keys: the last COMMIT wins, and no acknowledged write is lost', async () => {
    const { table, prefix } = await cacheTable();
    const keys = Array.from({ length: 50 }, (_, i) => `shared${i}`);
    const values = (owner: string): string => keys.map((key) => `('${key}', '${owner}')`).join(', ');
    await session.client.query('BEGIN');
    await second.client.query('BEGIN');
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ${values('first')}, ('only_first', 'f')`);
    await second.client.query(`INSERT INTO ${table} (key, value) VALUES ${values('second')}, ('only_second', 's')`);
    await second.client.query('COMMIT');
    expect(await storedValues(prefix, ['shared0', 'shared49', 'only_second', 'only_first'])).toEqual([
      'second',
      'second',
      's',
      null,
    ]);
    await session.client.query('COMMIT');
    const after = await storedValues(prefix, [...keys, 'only_first', 'only_second']);
    expect(after).toEqual([...keys.map(() => 'first'), 'f', 's']);
  });
});
