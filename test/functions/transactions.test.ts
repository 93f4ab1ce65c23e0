// Writes through the memcache_* functions, the seed article's rules and the cache triggers follow the default table's
// write_mode exactly as INSERT/UPDATE/DELETE do: held until COMMIT, dropped on ROLLBACK and ROLLBACK TO SAVEPOINT
// (PL/pgSQL EXCEPTION blocks too), visible to the transaction's own reads (functions and SELECT alike), refused by
// PREPARE TRANSACTION; memcache_incr/decr apply at once. memcached is checked with an independent raw client.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import { startMemcached } from '../rig/memcached';
import { rawCommand, rawGet, rawSet } from '../rig/raw-memcached';
import {
  createCacheTable,
  held,
  openFunctionsDatabase,
  rows,
  sharedServers,
  type CacheTable,
  type FunctionsDatabase,
} from './support';

const DATABASE = 'functions_transactions';
let database: FunctionsDatabase;
let cache: CacheTable;
let client: HostSession;
let other: HostSession;

beforeAll(async () => {
  database = await openFunctionsDatabase(DATABASE);
  cache = await createCacheTable(database, 'cache', [sharedServers()[0]!]);
  await database.admin.client.query(
    "CREATE TABLE sessions (session_id char(32) NOT NULL, data bytea NOT NULL DEFAULT '')",
  );
  await database.admin.client.query(
    'CREATE RULE session_insert_rule AS ON INSERT TO sessions DO ALSO SELECT memcache_set(NEW.session_id::text, NEW.data)',
  );
  await database.admin.client.query(
    'CREATE RULE session_update_rule AS ON UPDATE TO sessions DO ALSO SELECT memcache_set(NEW.session_id::text, NEW.data)',
  );
  await database.admin.client.query('CREATE TABLE items (id int PRIMARY KEY, body text)');
  await database.admin.client.query(`CREATE TRIGGER items_cache AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION memcache_write_through('id', 'body')`);
  await database.admin.client.query('CREATE TABLE things (k text, v text)');
  await database.admin.client.query(`CREATE TRIGGER things_invalidate AFTER INSERT OR UPDATE OR DELETE ON things
    FOR EACH ROW EXECUTE FUNCTION memcache_invalidate('k')`);
  client = await database.session();
  other = await database.session();
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  // Each test starts outside a transaction, with the database's default table.
  await client.client.query('ROLLBACK').catch(() => undefined);
  await client.client.query('RESET pymcache_fdw.default_table');
});

let keyCounter = 0;
/** A key no other test uses. */
function key(label: string): string {
  keyCounter += 1;
  return `${label}${keyCounter}`;
}

describe('memcache_* functions under write_mode commit', () => {
  it('COMMIT sends, ROLLBACK drops; the transaction reads its own writes, other sessions see memcached', async () => {
    const [a, b] = [key('a'), key('b')];
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_set($1, $2), memcache_get($1)', [a, 'pending'])).toEqual([
      [true, 'pending'],
    ]);
    expect(await rows(client, 'SELECT value FROM cache WHERE key = $1', [a])).toEqual([['pending']]);
    expect(await rows(other, 'SELECT memcache_get($1)', [a])).toEqual([[null]]);
    expect(await held(cache, [a])).toEqual([null]);
    await client.client.query('COMMIT');
    expect(await held(cache, [a])).toEqual(['pending']);

    await client.client.query('BEGIN');
    await client.client.query('SELECT memcache_set($1, $2)', [b, 'dropped']);
    await client.client.query('SELECT memcache_delete($1)', [a]);
    expect(await rows(client, 'SELECT memcache_get($1), memcache_get($2)', [a, b])).toEqual([[null, 'dropped']]);
    await client.client.query('ROLLBACK');
    expect(await held(cache, [a, b])).toEqual(['pending', null]);
  });

  it('ROLLBACK TO SAVEPOINT drops exactly the writes since the savepoint; RELEASE keeps them', async () => {
    const [a, b, c, d] = [key('a'), key('b'), key('c'), key('d')];
    await client.client.query('BEGIN');
    await client.client.query('SELECT memcache_set($1, $2)', [a, '1']);
    await client.client.query('SAVEPOINT s1');
    await client.client.query('SELECT memcache_set($1, $2)', [b, '2']);
    await client.client.query('SAVEPOINT s2');
    await client.client.query('SELECT memcache_set($1, $2), memcache_set($3, $4)', [c, '3', a, 'overwritten']);
    await client.client.query('ROLLBACK TO SAVEPOINT s2');
    expect(await rows(client, 'SELECT memcache_get($1), memcache_get($2), memcache_get($3)', [a, b, c])).toEqual([
      ['1', '2', null],
    ]);
    await client.client.query('RELEASE SAVEPOINT s1');
    await client.client.query('SAVEPOINT s3');
    await client.client.query('SELECT memcache_set($1, $2)', [d, '4']);
    await client.client.query('RELEASE SAVEPOINT s3');
    await client.client.query('COMMIT');
    expect(await held(cache, [a, b, c, d])).toEqual(['1', '2', null, '4']);
  });

  it('a PL/pgSQL EXCEPTION block that fails drops the writes made in it', async () => {
    const [kept, lost] = [key('kept'), key('lost')];
    await client.client.query(`DO $$
      BEGIN
        PERFORM memcache_set('${kept}', 'kept');
        BEGIN
          PERFORM memcache_set('${lost}', 'lost');
          RAISE EXCEPTION 'fail';
        EXCEPTION WHEN OTHERS THEN NULL;
        END;
      END $$`);
    expect(await held(cache, [kept, lost])).toEqual(['kept', null]);
  });

  it('an error in the transaction: nothing reaches memcached', async () => {
    const a = key('a');
    await client.client.query('BEGIN');
    await client.client.query('SELECT memcache_set($1, $2)', [a, 'x']);
    await sqlError(client.client.query('SELECT 1 / 0'));
    await client.client.query('COMMIT');
    expect(await held(cache, [a])).toEqual([null]);
  });

  it("add, replace, append, prepend, touch and delete see the transaction's pending writes", async () => {
    const [a, b, c] = [key('a'), key('b'), key('c')];
    await rawSet(cache.servers[0]!, cache.prefix + c, 'memcached');
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_add($1, $2)', [a, 'first'])).toEqual([[true]]);
    expect(await rows(client, 'SELECT memcache_add($1, $2)', [a, 'second'])).toEqual([[false]]);
    expect(await rows(client, 'SELECT memcache_replace($1, $2)', [b, 'x'])).toEqual([[false]]);
    expect(await rows(client, 'SELECT memcache_append($1, $2), memcache_prepend($1, $3)', [a, '>', '<'])).toEqual([
      [true, true],
    ]);
    expect(await rows(client, 'SELECT memcache_delete($1)', [c])).toEqual([[true]]);
    expect(
      await rows(client, 'SELECT memcache_replace($1, $2), memcache_touch($1, $3::interval)', [c, 'x', '1 hour']),
    ).toEqual([[false, false]]);
    expect(await rows(client, 'SELECT memcache_add($1, $2)', [c, 'again'])).toEqual([[true]]);
    expect(await rows(client, 'SELECT memcache_get($1), memcache_get($2)', [a, c])).toEqual([['<first>', 'again']]);
    expect(await held(cache, [a, c])).toEqual([null, 'memcached']);
    await client.client.query('COMMIT');
    expect(await held(cache, [a, b, c])).toEqual(['<first>', null, 'again']);
  });

  it("append under write_mode commit: another client's append in between fails the COMMIT and stays; the TTL stays", async () => {
    const [log, kept] = [key('log'), key('kept')];
    const address = cache.servers[0]!;
    await rawSet(address, cache.prefix + log, 'A', 0, 1000);
    await rawSet(address, cache.prefix + kept, 'A', 0, 1000);
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_append($1, $2)', [log, 'B'])).toEqual([[true]]);
    expect(await rawCommand(address, `append ${cache.prefix}${log} 0 0 1\r\nC`)).toBe('STORED');
    const failure = await sqlError(client.client.query('COMMIT'));
    expect(failure.message).toBe(
      `another client changed key "${log}" in memcached at ${address.host}:${address.port} after this transaction ` +
        'read it: the compare-and-swap of 1 key(s) was not applied',
    );
    expect(await held(cache, [log])).toEqual(['AC']);
    // Without interference the append lands, and the item keeps the expiration it had (memcached's append does).
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_append($1, $2), memcache_prepend($1, $3)', [kept, 'B', '<'])).toEqual([
      [true, true],
    ]);
    await client.client.query('COMMIT');
    expect(await held(cache, [kept])).toEqual(['<AB']);
    const ttl = /^HD t(\d+)$/.exec(await rawCommand(address, `mg ${cache.prefix}${kept} t`));
    expect(ttl).not.toBeNull();
    expect(Number(ttl![1])).toBeGreaterThan(990);
    expect(Number(ttl![1])).toBeLessThanOrEqual(1000);
  });

  it('function writes and table writes share one write set, in statement order', async () => {
    const [a, b] = [key('a'), key('b')];
    await client.client.query('BEGIN');
    await client.client.query('INSERT INTO cache (key, value) VALUES ($1, $2)', [a, 'from insert']);
    expect(await rows(client, 'SELECT memcache_get($1), memcache_replace($1, $2)', [a, 'replaced'])).toEqual([
      ['from insert', true],
    ]);
    await client.client.query('SELECT memcache_set($1, $2)', [b, 'from function']);
    await client.client.query('UPDATE cache SET value = value || $2 WHERE key = $1', [b, ' and update']);
    await client.client.query('SAVEPOINT s');
    await client.client.query('DELETE FROM cache WHERE key = $1', [a]);
    expect(await rows(client, 'SELECT memcache_get($1)', [a])).toEqual([[null]]);
    await client.client.query('ROLLBACK TO SAVEPOINT s');
    await client.client.query('COMMIT');
    expect(await held(cache, [a, b])).toEqual(['replaced', 'from function and update']);
  });

  it('SERIALIZABLE: the writes are sent once PostgreSQL has committed', async () => {
    const a = key('a');
    await client.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await client.client.query('SELECT memcache_set($1, $2)', [a, 'serializable']);
    await client.client.query('COMMIT');
    expect(await held(cache, [a])).toEqual(['serializable']);
  });

  it('PREPARE TRANSACTION of a transaction that used only functions is refused, and nothing is sent', async () => {
    const a = key('a');
    await client.client.query('BEGIN');
    await client.client.query('SELECT memcache_set($1, $2)', [a, 'prepared']);
    const error = await sqlError(client.client.query("PREPARE TRANSACTION 'functions_only'"));
    expect([error.code, error.message]).toEqual([
      '0A000',
      'cannot PREPARE a transaction that has used pymcache_fdw cache tables',
    ]);
    await client.client.query('SELECT 1');
    expect(await held(cache, [a])).toEqual([null]);
  });

  it('a transaction that only read through functions: PREPARE is refused; the next transactions begin afresh', async () => {
    const a = key('a');
    await client.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await client.client.query('SELECT memcache_get($1)', [a]);
    expect((await sqlError(client.client.query("PREPARE TRANSACTION 'read_only'"))).code).toBe('0A000');
    await client.client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await client.client.query('SELECT memcache_get($1)', [a]);
    await client.client.query('COMMIT');
    // Read committed now: the write goes at pre-commit, inside COMMIT, and a savepoint's rollback still drops its part.
    await client.client.query('BEGIN');
    await client.client.query('SELECT memcache_set($1, $2)', [a, 'after reads']);
    await client.client.query('SAVEPOINT s');
    await client.client.query('SELECT memcache_get($1), memcache_delete($1)', [a]);
    await client.client.query('ROLLBACK TO SAVEPOINT s');
    await client.client.query('COMMIT');
    expect(await held(cache, [a])).toEqual(['after reads']);
  });

  it('a COMMIT whose writes cannot reach memcached fails with an ERROR naming the server; the transaction is rolled back', async () => {
    const server = await startMemcached();
    await createCacheTable(database, 'fragile', [server.address]);
    try {
      await client.client.query("SET pymcache_fdw.default_table = 'fragile'");
      await client.client.query('BEGIN');
      await client.client.query('INSERT INTO sessions VALUES ($1, $2)', ['f'.repeat(32), 'row']);
      await client.client.query("SELECT memcache_set('k', 'v')");
      await server.stop();
      const error = await sqlError(client.client.query('COMMIT'));
      expect(error.message).toBe(
        `cannot reach memcached at ${server.address.host}:${server.address.port} (set of 2 keys): connection refused, while sending the transaction's writes`,
      );
      expect(await rows(client, 'SELECT count(*)::int FROM sessions WHERE session_id = $1', ['f'.repeat(32)])).toEqual([
        [0],
      ]);
    } finally {
      await server.stop();
    }
  });
});

describe('memcache_incr / memcache_decr', () => {
  it('apply at once, like nextval(): other sessions see the new value, ROLLBACK does not undo it', async () => {
    const counter = key('counter');
    await rawSet(cache.servers[0]!, cache.prefix + counter, '10');
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_incr($1, 5)', [counter])).toEqual([['15']]);
    expect(await rows(other, 'SELECT memcache_get($1)', [counter])).toEqual([['15']]);
    await client.client.query('ROLLBACK');
    expect(await held(cache, [counter])).toEqual(['15']);
  });

  it('a key this transaction wrote is counted in the write set, and the write still waits for COMMIT', async () => {
    const counter = key('counter');
    await client.client.query('BEGIN');
    expect(
      await rows(client, "SELECT memcache_set($1, '41'), memcache_incr($1), memcache_decr($1, 2)", [counter]),
    ).toEqual([[true, '42', '40']]);
    expect(await held(cache, [counter])).toEqual([null]);
    await client.client.query('ROLLBACK');
    expect(await held(cache, [counter])).toEqual([null]);
  });

  // memcached holds '5'; the transaction joins a digit to it, then counts: the joined value is what is counted.
  for (const [join, counter, joinSql, joinedRow, countSql, countedRow, committed] of [
    [
      'memcache_append',
      'incr',
      "SELECT memcache_append($1, '1'), memcache_get($1)",
      [true, '51'],
      'SELECT memcache_incr($1), memcache_get($1)',
      ['52', '52'],
      '52',
    ],
    [
      'memcache_prepend',
      'incr',
      "SELECT memcache_prepend($1, '1'), memcache_get($1)",
      [true, '15'],
      'SELECT memcache_incr($1, 10)',
      ['25'],
      '25',
    ],
    [
      'memcache_append',
      'decr',
      "SELECT memcache_append($1, '1')",
      [true],
      'SELECT memcache_decr($1, 2), memcache_decr($1)',
      ['49', '48'],
      '48',
    ],
  ] as Array<[string, string, string, unknown[], string, unknown[], string]>) {
    it(`after ${join} of a key in memcached, ${counter} counts the joined value and the COMMIT writes it`, async () => {
      const name = key('counter');
      await rawSet(cache.servers[0]!, cache.prefix + name, '5');
      await client.client.query('BEGIN');
      expect(await rows(client, joinSql, [name])).toEqual([joinedRow]);
      expect(await rows(client, countSql, [name])).toEqual([countedRow]);
      expect(await held(cache, [name])).toEqual(['5']);
      await client.client.query('COMMIT');
      expect(await held(cache, [name])).toEqual([committed]);
    });
  }

  it("after memcache_append, another client's change before COMMIT still fails the COMMIT and stays", async () => {
    const counter = key('counter');
    const address = cache.servers[0]!;
    await rawSet(address, cache.prefix + counter, '5');
    await client.client.query('BEGIN');
    expect(await rows(client, "SELECT memcache_append($1, '1'), memcache_incr($1)", [counter])).toEqual([[true, '52']]);
    expect(await rawCommand(address, `incr ${cache.prefix}${counter} 100`)).toBe('105');
    const failure = await sqlError(client.client.query('COMMIT'));
    expect(failure.message).toBe(
      `another client changed key "${counter}" in memcached at ${address.host}:${address.port} after this ` +
        'transaction read it: the compare-and-swap of 1 key(s) was not applied',
    );
    expect(await held(cache, [counter])).toEqual(['105']);
  });

  it("after an UPDATE of the cache table, incr counts the updated value; another client's change fails the COMMIT", async () => {
    const [counted, raced] = [key('counted'), key('raced')];
    const address = cache.servers[0]!;
    await rawSet(address, cache.prefix + counted, '5');
    await rawSet(address, cache.prefix + raced, '5');
    await client.client.query('BEGIN');
    await client.client.query("UPDATE cache SET value = '70' WHERE key = $1", [counted]);
    expect(await rows(client, 'SELECT memcache_incr($1)', [counted])).toEqual([['71']]);
    await client.client.query('COMMIT');
    expect(await held(cache, [counted])).toEqual(['71']);
    await client.client.query('BEGIN');
    await client.client.query("UPDATE cache SET value = '70' WHERE key = $1", [raced]);
    expect(await rows(client, 'SELECT memcache_incr($1)', [raced])).toEqual([['71']]);
    await rawSet(address, cache.prefix + raced, 'other');
    const failure = await sqlError(client.client.query('COMMIT'));
    expect(failure.message).toBe(
      `another client changed key "${raced}" in memcached at ${address.host}:${address.port} after this ` +
        'transaction read it: the compare-and-swap of 1 key(s) was not applied',
    );
    expect(await held(cache, [raced])).toEqual(['other']);
  });

  it('a key deleted in this transaction is missing: NULL', async () => {
    const counter = key('counter');
    await rawSet(cache.servers[0]!, cache.prefix + counter, '1');
    await client.client.query('BEGIN');
    expect(await rows(client, 'SELECT memcache_delete($1), memcache_incr($1)', [counter])).toEqual([[true, null]]);
    await client.client.query('COMMIT');
    expect(await held(cache, [counter])).toEqual([null]);
  });
});

/** The remaining TTL memcached reports for key `k` of one-server table `table` (-1: none), null for a miss. */
async function remaining(table: CacheTable, k: string): Promise<number | null> {
  const item = await rawGet(table.servers[0]!, table.prefix + k);
  return item === null ? null : item.ttl;
}

describe('memcache_touch', () => {
  it('waits for COMMIT: ROLLBACK and ROLLBACK TO SAVEPOINT leave the expiration as it was, COMMIT applies it', async () => {
    const touched = key('touched');
    await rawSet(cache.servers[0]!, cache.prefix + touched, 'v', 0, 1000);
    await client.client.query('BEGIN');
    expect(await rows(client, "SELECT memcache_touch($1, '1 hour'::interval)", [touched])).toEqual([[true]]);
    expect(await remaining(cache, touched)).toBeGreaterThanOrEqual(999);
    expect(await remaining(cache, touched)).toBeLessThanOrEqual(1000);
    await client.client.query('ROLLBACK');
    expect(await remaining(cache, touched)).toBeGreaterThanOrEqual(999);
    expect(await remaining(cache, touched)).toBeLessThanOrEqual(1000);

    await client.client.query('BEGIN');
    await client.client.query('SAVEPOINT s');
    expect(await rows(client, "SELECT memcache_touch($1, '1 hour'::interval)", [touched])).toEqual([[true]]);
    await client.client.query('ROLLBACK TO SAVEPOINT s');
    await client.client.query('COMMIT');
    expect(await remaining(cache, touched)).toBeGreaterThanOrEqual(998);
    expect(await remaining(cache, touched)).toBeLessThanOrEqual(1000);

    await client.client.query('BEGIN');
    expect(await rows(client, "SELECT memcache_touch($1, '1 hour'::interval)", [touched])).toEqual([[true]]);
    await client.client.query('COMMIT');
    expect(await remaining(cache, touched)).toBeGreaterThanOrEqual(3599);
    expect(await remaining(cache, touched)).toBeLessThanOrEqual(3600);
    expect(await held(cache, [touched])).toEqual(['v']);
  });

  it("after memcache_set in the transaction: the set is sent with the touch's expiration", async () => {
    const touched = key('touched');
    await client.client.query('BEGIN');
    expect(
      await rows(
        client,
        "SELECT memcache_set($1, 'new', '10 minutes'::interval), memcache_touch($1, '1 hour'::interval)",
        [touched],
      ),
    ).toEqual([[true, true]]);
    expect(await held(cache, [touched])).toEqual([null]);
    await client.client.query('COMMIT');
    expect(await held(cache, [touched])).toEqual(['new']);
    expect(await remaining(cache, touched)).toBeGreaterThanOrEqual(3599);
    expect(await remaining(cache, touched)).toBeLessThanOrEqual(3600);
  });

  it('a key another client deletes before COMMIT stays gone; the COMMIT succeeds with a WARNING naming it', async () => {
    const touched = key('touched');
    const address = cache.servers[0]!;
    await rawSet(address, cache.prefix + touched, 'v');
    client.takeNotices();
    await client.client.query('BEGIN');
    expect(await rows(client, "SELECT memcache_touch($1, '1 hour'::interval)", [touched])).toEqual([[true]]);
    expect(await rawCommand(address, `delete ${cache.prefix}${touched}`)).toBe('DELETED');
    await client.client.query('COMMIT');
    expect(
      client
        .takeNotices()
        .filter((notice) => notice.severity === 'WARNING')
        .map((notice) => notice.message),
    ).toEqual([
      `memcached at ${address.host}:${address.port} no longer held 1 key(s) whose expiration this transaction ` +
        `changed ("${touched}"), while sending the transaction's writes: they expired, were evicted or were deleted ` +
        'before COMMIT, and stay absent',
    ]);
    expect(await held(cache, [touched])).toEqual([null]);
  });
});

describe("write_mode 'immediate'", () => {
  it('each call is sent when it returns: other sessions see it at once, ROLLBACK cannot undo it', async () => {
    const table = await createCacheTable(database, 'immediate_cache', [sharedServers()[0]!], "write_mode 'immediate'");
    await client.client.query("SET pymcache_fdw.default_table = 'immediate_cache'");
    await client.client.query('BEGIN');
    await client.client.query("SELECT memcache_set('now', 'sent'), memcache_set('tail', 'a')");
    expect(await held(table, ['now'])).toEqual(['sent']);
    expect(await rows(client, "SELECT memcache_append('tail', 'b'), memcache_append('absent', 'b')")).toEqual([
      [true, false],
    ]);
    await client.client.query('ROLLBACK');
    expect(await held(table, ['now', 'tail', 'absent'])).toEqual(['sent', 'ab', null]);
  });

  it('memcache_touch is sent when it returns: ROLLBACK cannot undo it', async () => {
    const table = await createCacheTable(database, 'immediate_touch', [sharedServers()[0]!], "write_mode 'immediate'");
    await rawSet(table.servers[0]!, `${table.prefix}t`, 'v', 0, 1000);
    await client.client.query("SET pymcache_fdw.default_table = 'immediate_touch'");
    await client.client.query('BEGIN');
    expect(await rows(client, "SELECT memcache_touch('t', '1 hour'::interval)")).toEqual([[true]]);
    expect(await remaining(table, 't')).toBeGreaterThanOrEqual(3599);
    await client.client.query('ROLLBACK');
    expect(await remaining(table, 't')).toBeGreaterThanOrEqual(3599);
    expect(await remaining(table, 't')).toBeLessThanOrEqual(3600);
    expect(await held(table, ['t'])).toEqual(['v']);
  });
});

describe("the seed article's rules", () => {
  it('INSERT and UPDATE push the session to memcached at COMMIT', async () => {
    const id = '5cc27b0285c9d2e6dc4125456d308548';
    await client.client.query("INSERT INTO sessions VALUES ($1, 'This would be the session data')", [id]);
    expect(await rows(client, 'SELECT memcache_get($1)', [id])).toEqual([['This would be the session data']]);
    await client.client.query("UPDATE sessions SET data = 'This is the new data' WHERE session_id = $1", [id]);
    expect(await held(cache, [id])).toEqual(['This is the new data']);
  });

  it('a rolled-back session never reaches memcached (transaction and savepoint)', async () => {
    const [rolledBack, savepointed, kept] = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO sessions VALUES ($1, 'never')", [rolledBack]);
    expect(await rows(client, 'SELECT memcache_get($1)', [rolledBack])).toEqual([['never']]);
    await client.client.query('ROLLBACK');
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO sessions VALUES ($1, 'kept')", [kept]);
    await client.client.query('SAVEPOINT s');
    await client.client.query("INSERT INTO sessions VALUES ($1, 'never')", [savepointed]);
    await client.client.query("UPDATE sessions SET data = 'changed' WHERE session_id = $1", [kept]);
    await client.client.query('ROLLBACK TO SAVEPOINT s');
    await client.client.query('COMMIT');
    expect(await held(cache, [rolledBack, savepointed, kept])).toEqual([null, null, 'kept']);
  });
});

describe('cache triggers', () => {
  it('memcache_write_through: INSERT and UPDATE set, a key change deletes the old key, DELETE deletes, NULL deletes', async () => {
    await client.client.query("INSERT INTO items VALUES (1, 'one'), (2, 'two')");
    expect(await held(cache, ['1', '2'])).toEqual(['one', 'two']);
    await client.client.query("UPDATE items SET id = 3, body = 'three' WHERE id = 2");
    expect(await held(cache, ['2', '3'])).toEqual([null, 'three']);
    await client.client.query('DELETE FROM items WHERE id = 1');
    expect(await held(cache, ['1'])).toEqual([null]);
    await client.client.query('UPDATE items SET body = NULL WHERE id = 3');
    expect(await held(cache, ['3'])).toEqual([null]);
    await client.client.query('DELETE FROM items');
  });

  it('memcache_write_through with an expiration, rolled back: nothing reaches memcached', async () => {
    await database.admin.client.query('CREATE TABLE expiring_items (id text PRIMARY KEY, body bytea)');
    await database.admin.client.query(`CREATE TRIGGER expiring_items_cache AFTER INSERT ON expiring_items
      FOR EACH ROW EXECUTE FUNCTION memcache_write_through('id', 'body', '10 minutes')`);
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO expiring_items VALUES ('e1', '\\x00ff')");
    expect(await rows(client, "SELECT memcache_get_bytea('e1')")).toEqual([[Buffer.from([0x00, 0xff])]]);
    await client.client.query('ROLLBACK');
    expect(await held(cache, ['e1'])).toEqual([null]);
    await client.client.query("INSERT INTO expiring_items VALUES ('e2', '\\x00ff')");
    const item = await rawGet(cache.servers[0]!, `${cache.prefix}e2`);
    expect([item?.value, item !== null && item.ttl > 590 && item.ttl <= 600]).toEqual([
      Buffer.from([0x00, 0xff]),
      true,
    ]);
  });

  it('memcache_invalidate: any change deletes the key (both keys when it changes); a rolled-back change deletes nothing', async () => {
    for (const k of ['t1', 't2', 't3']) await rawSet(cache.servers[0]!, cache.prefix + k, 'stale');
    await client.client.query("INSERT INTO things VALUES ('t1', 'x')");
    expect(await held(cache, ['t1', 't2'])).toEqual([null, 'stale']);
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO things VALUES ('t2', 'x')");
    expect(await rows(client, "SELECT memcache_get('t2')")).toEqual([[null]]);
    await client.client.query('ROLLBACK');
    expect(await held(cache, ['t2'])).toEqual(['stale']);
    await client.client.query("INSERT INTO things VALUES ('t2', 'y')");
    await rawSet(cache.servers[0]!, `${cache.prefix}t1`, 'stale again');
    await client.client.query("UPDATE things SET k = 't3' WHERE k = 't2'");
    expect(await held(cache, ['t1', 't2', 't3'])).toEqual(['stale again', null, null]);
  });

  it('memcache_write_through in savepoints: ROLLBACK TO drops the changes since, RELEASE keeps them, COMMIT sends the rest', async () => {
    const address = cache.servers[0]!;
    await rawSet(address, `${cache.prefix}201`, 'stale 201');
    await rawSet(address, `${cache.prefix}203`, 'stale 203');
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO items VALUES (201, 'a')");
    await client.client.query('SAVEPOINT s1');
    await client.client.query("UPDATE items SET body = 'b' WHERE id = 201");
    await client.client.query("INSERT INTO items VALUES (202, 'c')");
    await client.client.query('UPDATE items SET id = 203 WHERE id = 201');
    expect(
      await rows(client, "SELECT memcache_get('201'), memcache_get('202'), memcache_get('203'), memcache_get('204')"),
    ).toEqual([[null, 'c', 'b', null]]);
    await client.client.query('ROLLBACK TO SAVEPOINT s1');
    expect(
      await rows(client, "SELECT memcache_get('201'), memcache_get('202'), memcache_get('203'), memcache_get('204')"),
    ).toEqual([['a', null, 'stale 203', null]]);
    await client.client.query('SAVEPOINT s2');
    await client.client.query("INSERT INTO items VALUES (204, 'd')");
    await client.client.query('SAVEPOINT s3');
    await client.client.query("UPDATE items SET body = 'e' WHERE id = 204");
    await client.client.query('RELEASE SAVEPOINT s3');
    await client.client.query('RELEASE SAVEPOINT s2');
    await client.client.query('SAVEPOINT s4');
    await client.client.query('DELETE FROM items WHERE id = 201');
    await client.client.query('ROLLBACK TO SAVEPOINT s4');
    expect(await held(cache, ['201', '202', '203', '204'])).toEqual(['stale 201', null, 'stale 203', null]);
    await client.client.query('COMMIT');
    expect(await held(cache, ['201', '202', '203', '204'])).toEqual(['a', null, 'stale 203', 'e']);
    expect(await rows(client, 'SELECT id, body FROM items WHERE id BETWEEN 201 AND 204 ORDER BY id')).toEqual([
      [201, 'a'],
      [204, 'e'],
    ]);
  });

  it('memcache_write_through: a PL/pgSQL EXCEPTION block that fails drops the changes made in it', async () => {
    await rawSet(cache.servers[0]!, `${cache.prefix}212`, 'stale 212');
    await client.client.query(`DO $$
      BEGIN
        INSERT INTO items VALUES (211, 'kept');
        BEGIN
          UPDATE items SET body = 'lost' WHERE id = 211;
          INSERT INTO items VALUES (212, 'lost');
          RAISE EXCEPTION 'fail';
        EXCEPTION WHEN OTHERS THEN NULL;
        END;
      END $$`);
    expect(await held(cache, ['211', '212'])).toEqual(['kept', 'stale 212']);
  });

  it('memcache_invalidate in savepoints: ROLLBACK TO keeps the keys the dropped changes would delete, RELEASE deletes', async () => {
    const [i1, i2, i3, i4] = [key('i'), key('i'), key('i'), key('i')];
    for (const k of [i1, i2, i3, i4]) await rawSet(cache.servers[0]!, cache.prefix + k, `stale ${k}`);
    await client.client.query('BEGIN');
    await client.client.query("INSERT INTO things VALUES ($1, 'x')", [i1]);
    await client.client.query('SAVEPOINT s1');
    await client.client.query("INSERT INTO things VALUES ($1, 'x')", [i2]);
    await client.client.query('UPDATE things SET k = $2 WHERE k = $1', [i1, i3]);
    expect(
      await rows(client, 'SELECT memcache_get($1), memcache_get($2), memcache_get($3), memcache_get($4)', [
        i1,
        i2,
        i3,
        i4,
      ]),
    ).toEqual([[null, null, null, `stale ${i4}`]]);
    await client.client.query('ROLLBACK TO SAVEPOINT s1');
    expect(
      await rows(client, 'SELECT memcache_get($1), memcache_get($2), memcache_get($3), memcache_get($4)', [
        i1,
        i2,
        i3,
        i4,
      ]),
    ).toEqual([[null, `stale ${i2}`, `stale ${i3}`, `stale ${i4}`]]);
    await client.client.query('SAVEPOINT s2');
    await client.client.query("INSERT INTO things VALUES ($1, 'x')", [i4]);
    await client.client.query('RELEASE SAVEPOINT s2');
    expect(await held(cache, [i1, i2, i3, i4])).toEqual([`stale ${i1}`, `stale ${i2}`, `stale ${i3}`, `stale ${i4}`]);
    await client.client.query('COMMIT');
    expect(await held(cache, [i1, i2, i3, i4])).toEqual([null, `stale ${i2}`, `stale ${i3}`, null]);
  });

  it('misconfigured triggers: a missing column, wrong arguments, a statement trigger, a NULL key', async () => {
    await database.admin.client.query('CREATE TABLE bad (id int, body text)');
    await database.admin.client.query(
      `CREATE TRIGGER bad_column AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION memcache_write_through('nope', 'body')`,
    );
    const missing = await sqlError(client.client.query('INSERT INTO bad VALUES (1, 2)'));
    expect([missing.code, missing.message]).toEqual([
      '42703',
      'memcache_write_through: table "bad" has no column "nope" (trigger "bad_column")',
    ]);
    await database.admin.client.query('DROP TRIGGER bad_column ON bad');
    await database.admin.client.query(
      `CREATE TRIGGER bad_arguments AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION memcache_write_through('id')`,
    );
    const arguments_ = await sqlError(client.client.query('INSERT INTO bad VALUES (1, 2)'));
    expect([arguments_.message, arguments_.hint]).toEqual([
      'memcache_write_through: trigger "bad_arguments" has 1 argument(s)',
      "Give the key column, the value column and optionally an expiration: EXECUTE FUNCTION memcache_write_through('id', 'data', '1 hour').",
    ]);
    await database.admin.client.query('DROP TRIGGER bad_arguments ON bad');
    await database.admin.client.query(
      `CREATE TRIGGER bad_statement AFTER INSERT ON bad FOR EACH STATEMENT EXECUTE FUNCTION memcache_invalidate('id')`,
    );
    expect((await sqlError(client.client.query('INSERT INTO bad VALUES (1, 2)'))).message).toBe(
      'memcache_invalidate: trigger "bad_statement" must be FOR EACH ROW',
    );
    await database.admin.client.query('DROP TRIGGER bad_statement ON bad');
    await database.admin.client.query(
      `CREATE TRIGGER bad_null AFTER INSERT ON bad FOR EACH ROW EXECUTE FUNCTION memcache_invalidate('id')`,
    );
    const nullKey = await sqlError(client.client.query('INSERT INTO bad VALUES (NULL, 2)'));
    expect([nullKey.code, nullKey.message]).toEqual([
      '22004',
      'memcache_invalidate: the key column "id" of a row of "bad" is NULL',
    ]);
  });
});
