// Every function side by side with pgmemcache 2.3 (Debian's postgresql-15-pgmemcache, installed in schema pgmc of the
// same database) on the same private memcached: each scenario runs with pgmemcache, then (memcached flushed) with
// ours, and the results and what memcached holds afterwards must be the same. Where ours answers differently on
// purpose, the test pins both answers; docs/functions.md lists each difference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import { startMemcached, type MemcachedHandle } from '../rig/memcached';
import { rawFlushAll, rawGet, rawSet } from '../rig/raw-memcached';
import { createCacheTable, openFunctionsDatabase, rows, type FunctionsDatabase } from './support';

let memcached: MemcachedHandle;
let database: FunctionsDatabase;
let ours: HostSession;
let theirs: HostSession;

type Contender = 'pgmc' | 'pymcache_fdw';

beforeAll(async () => {
  memcached = await startMemcached();
  database = await openFunctionsDatabase('functions_pgmemcache');
  await database.admin.client.query('CREATE SCHEMA pgmc');
  await database.admin.client.query('CREATE EXTENSION pgmemcache SCHEMA pgmc');
  // No prefix: both write the same memcached keys.
  await createCacheTable(database, 'cache', [memcached.address], '', null);
  ours = await database.session();
  theirs = await database.session();
  await theirs.client.query('SELECT pgmc.memcache_server_add($1)', [
    `${memcached.address.host}:${memcached.address.port}`,
  ]);
});

afterAll(async () => {
  await database?.close();
  await memcached?.stop();
});

async function flush(): Promise<void> {
  await rawFlushAll(memcached.address);
}

/** Each statement's rows, with `{s}` replaced by the contender's schema; memcached is flushed first. */
async function scenario(contender: Contender, statements: string[]): Promise<unknown[][][]> {
  await flush();
  const session = contender === 'pgmc' ? theirs : ours;
  const results: unknown[][][] = [];
  for (const statement of statements) results.push(await rows(session, statement.replaceAll('{s}', contender)));
  return results;
}

/** What memcached holds for `keys` (bytes as hex, flags), or null. */
async function contents(keys: string[]): Promise<Array<[string, string, number] | null>> {
  const found: Array<[string, string, number] | null> = [];
  for (const key of keys) {
    const item = await rawGet(memcached.address, key);
    found.push(item === null ? null : [key, item.value.toString('hex'), item.flags]);
  }
  return found;
}

/** Runs `statements` with both; the results and memcached's contents of `keys` must be equal. */
async function sameOnBoth(statements: string[], keys: string[]): Promise<unknown[][][]> {
  const theirResults = await scenario('pgmc', statements);
  const theirContents = await contents(keys);
  const ourResults = await scenario('pymcache_fdw', statements);
  const ourContents = await contents(keys);
  expect(ourResults, 'results').toEqual(theirResults);
  expect(ourContents, 'memcached afterwards').toEqual(theirContents);
  return ourResults;
}

describe('the same results as pgmemcache', () => {
  it('memcache_set / memcache_get, text and bytea values, bytea keys', async () => {
    const results = await sameOnBoth(
      [
        "SELECT {s}.memcache_set('k', 'v')",
        "SELECT {s}.memcache_get('k')",
        "SELECT {s}.memcache_get('k'::bytea)",
        "SELECT {s}.memcache_set('k'::bytea, 'w')",
        "SELECT {s}.memcache_get('k')",
        "SELECT {s}.memcache_set('b', '\\x414243'::bytea)",
        "SELECT {s}.memcache_get('b')",
        "SELECT {s}.memcache_get('missing')",
        "SELECT {s}.memcache_set('ü', 'ünïcode')",
        "SELECT {s}.memcache_get('ü')",
      ],
      ['k', 'b', 'ü'],
    );
    expect(results).toEqual([
      [[true]],
      [['v']],
      [['v']],
      [[true]],
      [['w']],
      [[true]],
      [['ABC']],
      [[null]],
      [[true]],
      [['ünïcode']],
    ]);
  });

  it('memcache_add, memcache_replace, memcache_append, memcache_prepend', async () => {
    const results = await sameOnBoth(
      [
        "SELECT {s}.memcache_add('a', '1')",
        "SELECT {s}.memcache_replace('a', '2')",
        "SELECT {s}.memcache_replace('r', '2')",
        "SELECT {s}.memcache_append('a', '3')",
        "SELECT {s}.memcache_prepend('a', '0')",
        "SELECT {s}.memcache_get('a')",
      ],
      ['a', 'r'],
    );
    expect(results).toEqual([[[true]], [[true]], [[false]], [[true]], [[true]], [['023']]]);
  });

  it('memcache_delete', async () => {
    const results = await sameOnBoth(
      [
        "SELECT {s}.memcache_set('d', 'x')",
        "SELECT {s}.memcache_delete('d')",
        "SELECT {s}.memcache_delete('d')",
        "SELECT {s}.memcache_delete('d', '0'::interval)",
      ],
      ['d'],
    );
    expect(results).toEqual([[[true]], [[true]], [[false]], [[false]]]);
  });

  it('memcache_incr / memcache_decr on numbers, with deltas, negative deltas and the floor at 0', async () => {
    const results = await sameOnBoth(
      [
        "SELECT {s}.memcache_set('n', '5')",
        "SELECT {s}.memcache_incr('n')",
        "SELECT {s}.memcache_incr('n', 10)",
        "SELECT {s}.memcache_decr('n')",
        "SELECT {s}.memcache_decr('n', 100)",
        "SELECT {s}.memcache_incr('n', -1)",
        "SELECT {s}.memcache_incr('n', 41)",
        "SELECT {s}.memcache_decr('n', -1)",
        "SELECT {s}.memcache_get('n')",
      ],
      ['n'],
    );
    expect(results).toEqual([[[true]], [['6']], [['16']], [['15']], [['0']], [['0']], [['41']], [['42']], [['42']]]);
  });

  it('memcache_get_multi: a row per key found, in the order given (duplicates too), text and bytea arrays', async () => {
    const results = await sameOnBoth(
      [
        "SELECT {s}.memcache_set('m1', 'one'), {s}.memcache_set('m2', 'two')",
        "SELECT * FROM {s}.memcache_get_multi(ARRAY['m1', 'nope', 'm2', 'm1'])",
        "SELECT * FROM {s}.memcache_get_multi(ARRAY['m2'::bytea])",
      ],
      ['m1', 'm2'],
    );
    expect(results[1]).toEqual([
      ['m1', 'one'],
      ['m2', 'two'],
      ['m1', 'one'],
    ]);
  });

  it('expirations: an interval is seconds from now, a timestamptz memcached absolute time', async () => {
    const statements = [
      "SELECT {s}.memcache_set('i', 'v', '1 hour'::interval)",
      "SELECT {s}.memcache_set('t', 'v', now() + '2 hours'::interval)",
      "SELECT {s}.memcache_add('a', 'v', '10 minutes'::interval)",
    ];
    const ttls = async (): Promise<number[]> => {
      const found: number[] = [];
      for (const key of ['i', 't', 'a']) found.push((await rawGet(memcached.address, key))!.ttl);
      return found;
    };
    await scenario('pgmc', statements);
    const theirs = await ttls();
    await scenario('pymcache_fdw', statements);
    const ours = await ttls();
    // Both within the seconds the two runs took apart: the same expiration.
    for (let i = 0; i < 3; i++)
      expect(Math.abs(ours[i]! - theirs[i]!), `ttl ${i}: ours ${ours[i]}, theirs ${theirs[i]}`).toBeLessThanOrEqual(2);
    expect(theirs.map((ttl) => Math.round(ttl / 600))).toEqual([6, 12, 1]);
  });

  it('memcache_replace, memcache_append, memcache_prepend with an expiration: interval and timestamptz', async () => {
    // replace stores with the new expiration; memcached's append and prepend keep the item's (pgmemcache sends the
    // expiration, memcached ignores it; ours keeps the remaining TTL it read).
    const keys = ['ri', 'rt', 'ai', 'at', 'pi', 'pt', 'an', 'pn'];
    const statements = [
      "SELECT {s}.memcache_set('ri', 'v'), {s}.memcache_set('rt', 'v')",
      "SELECT {s}.memcache_set('ai', 'v', '10 minutes'::interval), {s}.memcache_set('at', 'v', '10 minutes'::interval)",
      "SELECT {s}.memcache_set('pi', 'v', '10 minutes'::interval), {s}.memcache_set('pt', 'v', '10 minutes'::interval)",
      "SELECT {s}.memcache_set('an', 'v'), {s}.memcache_set('pn', 'v')",
      "SELECT {s}.memcache_replace('ri', 'w', '1 hour'::interval)",
      "SELECT {s}.memcache_replace('rt', 'w', now() + '2 hours'::interval)",
      "SELECT {s}.memcache_append('ai', '+', '1 hour'::interval)",
      "SELECT {s}.memcache_append('at', '+', now() + '2 hours'::interval)",
      "SELECT {s}.memcache_prepend('pi', '-', '1 hour'::interval)",
      "SELECT {s}.memcache_prepend('pt', '-', now() + '2 hours'::interval)",
      "SELECT {s}.memcache_append('an', '+', '1 hour'::interval), {s}.memcache_prepend('pn', '-', now() + '2 hours'::interval)",
      "SELECT {s}.memcache_replace('gone', 'w', '1 hour'::interval), {s}.memcache_replace('gone', 'w', now() + '1 hour'::interval)",
      "SELECT {s}.memcache_append('gone', 'w', '1 hour'::interval), {s}.memcache_append('gone', 'w', now() + '1 hour'::interval)",
      "SELECT {s}.memcache_prepend('gone', 'w', '1 hour'::interval), {s}.memcache_prepend('gone', 'w', now() + '1 hour'::interval)",
    ];
    const ttls = async (): Promise<Array<number | null>> => {
      const found: Array<number | null> = [];
      for (const key of keys) {
        const item = await rawGet(memcached.address, key);
        found.push(item === null ? null : item.ttl);
      }
      return found;
    };
    // A TTL within the seconds the scenario took of its nominal value, or up to two above it, is shown as that value;
    // anything else as it is. Above: memcached's clock ticks once a second, and ours rounds a timestamptz up to the
    // next whole second (pgmemcache's truncates), so an absolute time may count two more.
    const nominal = (found: Array<number | null>, expected: number[]): Array<number | null> =>
      found.map((ttl, i) => (ttl !== null && ttl > expected[i]! - 5 && ttl <= expected[i]! + 2 ? expected[i]! : ttl));
    const expected = [3600, 7200, 600, 600, 600, 600, -1, -1];
    const theirResults = await scenario('pgmc', statements);
    const theirContents = await contents([...keys, 'gone']);
    const theirTtls = await ttls();
    const ourResults = await scenario('pymcache_fdw', statements);
    const ourContents = await contents([...keys, 'gone']);
    const ourTtls = await ttls();
    expect(ourResults, 'results').toEqual(theirResults);
    expect(ourContents, 'memcached afterwards').toEqual(theirContents);
    expect(nominal(theirTtls, expected), 'pgmemcache TTLs').toEqual(expected);
    expect(nominal(ourTtls, expected), 'our TTLs').toEqual(expected);
    expect(ourResults.slice(4)).toEqual([
      [[true]],
      [[true]],
      [[true]],
      [[true]],
      [[true]],
      [[true]],
      [[true, true]],
      [[false, false]],
      [[false, false]],
      [[false, false]],
    ]);
    expect(ourContents.map((item) => (item === null ? null : Buffer.from(item[1], 'hex').toString()))).toEqual([
      'w',
      'w',
      'v+',
      'v+',
      '-v',
      '-v',
      'v+',
      '-v',
      null,
    ]);
  });

  it('memcache_flush_all empties the server', async () => {
    const results = await sameOnBoth(
      ["SELECT {s}.memcache_set('f', 'x')", 'SELECT {s}.memcache_flush_all()', "SELECT {s}.memcache_get('f')"],
      ['f'],
    );
    expect(results).toEqual([[[true]], [[true]], [[null]]]);
  });

  it('memcache_stats: "Server: host (port)", then the same statistics in the same order', async () => {
    const layout = async (contender: Contender): Promise<string[]> => {
      const text = (
        await rows(contender === 'pgmc' ? theirs : ours, `SELECT ${contender}.memcache_stats()`)
      )[0]![0] as string;
      return text.split('\n').map((line) => line.split(':')[0]!);
    };
    const theirLayout = await layout('pgmc');
    expect(await layout('pymcache_fdw')).toEqual(theirLayout);
    expect(theirLayout[0]).toBe(`Server`);
    expect(((await rows(ours, 'SELECT pymcache_fdw.memcache_stats()'))[0]![0] as string).split('\n')[0]).toBe(
      `Server: ${memcached.address.host} (${memcached.address.port})`,
    );
  });

  it('memcache_server_add of the server both use: true', async () => {
    const spec = `${memcached.address.host}:${memcached.address.port}`;
    expect(await rows(theirs, 'SELECT pgmc.memcache_server_add($1)', [spec])).toEqual([[true]]);
    expect(await rows(ours, 'SELECT pymcache_fdw.memcache_server_add($1)', [spec])).toEqual([[true]]);
  });
});

describe('where ours answers differently on purpose (docs/functions.md, "Differences from pgmemcache")', () => {
  it('incr/decr of a missing key: pgmemcache -1 with a WARNING, ours NULL', async () => {
    await flush();
    theirs.takeNotices();
    expect(await rows(theirs, "SELECT pgmc.memcache_incr('none'), pgmc.memcache_decr('none')")).toEqual([['-1', '-1']]);
    expect(theirs.takeNotices().map((notice) => notice.message)).toEqual([
      'pgmemcache: memcached_increment_with_initial: NOT FOUND',
      'pgmemcache: memcached_decrement_with_initial: NOT FOUND',
    ]);
    expect(await rows(ours, "SELECT pymcache_fdw.memcache_incr('none'), pymcache_fdw.memcache_decr('none')")).toEqual([
      [null, null],
    ]);
    expect(ours.takeNotices()).toEqual([]);
  });

  it('incr of a value that is not a number: pgmemcache -1 with a WARNING, ours an ERROR naming the key', async () => {
    await flush();
    await rawSet(memcached.address, 'word', 'abc');
    expect(await rows(theirs, "SELECT pgmc.memcache_incr('word')")).toEqual([['-1']]);
    expect(theirs.takeNotices().map((notice) => notice.severity)).toEqual(['WARNING']);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_incr('word')"));
    expect([error.message, error.hint]).toEqual([
      `cannot incr key "word" in memcached at ${memcached.address.host}:${memcached.address.port}: its value is not a decimal number`,
      "memcached counts only values that are unsigned decimal integers of up to 20 digits: memcache_set the key to a number first (e.g. memcache_set('k', '0')).",
    ]);
  });

  it('add of an existing key, replace/append of a missing one: both false, pgmemcache with a WARNING', async () => {
    await flush();
    await rawSet(memcached.address, 'there', 'x');
    const sql = (s: string): string =>
      `SELECT ${s}.memcache_add('there', 'y'), ${s}.memcache_replace('gone', 'y'), ${s}.memcache_append('gone', 'y')`;
    expect(await rows(theirs, sql('pgmc'))).toEqual([[false, false, false]]);
    expect(theirs.takeNotices().length).toBe(3);
    expect(await rows(ours, sql('pymcache_fdw'))).toEqual([[false, false, false]]);
    expect(ours.takeNotices()).toEqual([]);
  });

  it('a delete hold time: pgmemcache false with a WARNING, ours an ERROR (memcached dropped hold times)', async () => {
    expect(await rows(theirs, "SELECT pgmc.memcache_delete('k', '10 seconds'::interval)")).toEqual([[false]]);
    expect(theirs.takeNotices().map((notice) => notice.message)).toEqual([
      'pgmemcache: memcached_delete: INVALID ARGUMENTS',
    ]);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_delete('k', '10 seconds'::interval)"));
    expect(error.message).toBe(
      'memcache_delete of key "k" with a hold time of 10 seconds: memcached 1.4 and later cannot hold a deleted key',
    );
  });

  it('a value larger than the server stores: pgmemcache false with a WARNING, ours an ERROR before anything is sent', async () => {
    expect(await rows(theirs, "SELECT pgmc.memcache_set('big', repeat('x', 2000000))")).toEqual([[false]]);
    expect(theirs.takeNotices().map((notice) => notice.message)).toEqual(['pgmemcache: memcached_set: ITEM TOO BIG']);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_set('big', repeat('x', 2000000))"));
    expect(error.message).toBe(
      `the value of key "big" is 2000000 bytes, more than memcached at ${memcached.address.host}:${memcached.address.port} stores for this key (1048514 bytes)`,
    );
  });

  it('a NULL key: pgmemcache (STRICT) NULL, ours an ERROR', async () => {
    expect(
      await rows(theirs, 'SELECT pgmc.memcache_get(NULL::text), pgmc.memcache_set(NULL::text, NULL::text)'),
    ).toEqual([[null, null]]);
    const error = await sqlError(ours.client.query('SELECT pymcache_fdw.memcache_get(NULL::text)'));
    expect([error.code, error.message, error.hint]).toEqual([
      '22004',
      'memcache_get: the key must not be NULL',
      'memcached has no NULL key: give every call a key.',
    ]);
  });

  it('an empty array of keys: pgmemcache an ERROR, ours no rows', async () => {
    const error = await sqlError(theirs.client.query('SELECT * FROM pgmc.memcache_get_multi(ARRAY[]::text[])'));
    expect(error.message).toBe('pgmemcache: only single dimension ARRAYs are supported, not ARRAYs with 0 dimensions');
    expect(await rows(ours, 'SELECT * FROM pymcache_fdw.memcache_get_multi(ARRAY[]::text[])')).toEqual([]);
  });

  it('a key with a space: pgmemcache stores it as is (binary protocol; text clients cannot name it), ours an ERROR', async () => {
    await flush();
    expect(await rows(theirs, "SELECT pgmc.memcache_set('a b', 'x')")).toEqual([[true]]);
    expect(await rows(theirs, "SELECT pgmc.memcache_get('a b')")).toEqual([['x']]);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_set('a b', 'x')"));
    expect(error.message).toBe(
      'invalid memcached key "a b": it contains a space (character 2); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters',
    );
  });

  it('a negative interval or a past timestamp: pgmemcache stores, ours an ERROR', async () => {
    expect(
      await rows(
        theirs,
        "SELECT pgmc.memcache_set('e', 'v', '-1 second'::interval), pgmc.memcache_set('p', 'v', now() - '1 hour'::interval)",
      ),
    ).toEqual([[true, true]]);
    const negative = await sqlError(
      ours.client.query("SELECT pymcache_fdw.memcache_set('e', 'v', '-1 second'::interval)"),
    );
    expect(negative.message).toBe('memcache_set: the expiration of key "e" is a negative interval');
    const past = await sqlError(
      ours.client.query("SELECT pymcache_fdw.memcache_set('p', 'v', now() - '1 hour'::interval)"),
    );
    expect(past.message).toBe('the expiration of key "p" is in the past');
  });

  it('a value that is not UTF-8: pgmemcache returns the bytes as text, ours an ERROR pointing at memcache_get_bytea', async () => {
    await flush();
    await rawSet(memcached.address, 'bin', Buffer.from([0x41, 0xff]));
    // pgmemcache hands PostgreSQL a text datum holding the raw bytes, invalid in a UTF-8 database.
    expect(await rows(theirs, "SELECT textsend(pgmc.memcache_get('bin'))")).toEqual([[Buffer.from([0x41, 0xff])]]);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_get('bin')"));
    expect([error.message, error.hint]).toEqual([
      'the value of key "bin" is not valid UTF-8 and cannot be read as text',
      'Read it with memcache_get_bytea(key), which returns the bytes as stored.',
    ]);
    expect(await rows(ours, "SELECT pymcache_fdw.memcache_get_bytea('bin')")).toEqual([[Buffer.from([0x41, 0xff])]]);
  });

  it('an interval over 30 days: pgmemcache sends the seconds, which memcached reads as a 1970 time (gone at once); ours keeps the item that long', async () => {
    const statements = (s: string): string[] => [
      `SELECT ${s}.memcache_set('long', 'v', '60 days'::interval)`,
      `SELECT ${s}.memcache_set('kept', 'v'), ${s}.memcache_replace('kept', 'w', '60 days'::interval)`,
      `SELECT ${s}.memcache_add('added', 'v', '60 days'::interval)`,
      `SELECT ${s}.memcache_get('long'), ${s}.memcache_get('kept'), ${s}.memcache_get('added')`,
    ];
    await flush();
    const theirResults: unknown[][][] = [];
    for (const statement of statements('pgmc')) theirResults.push(await rows(theirs, statement));
    expect(theirResults).toEqual([[[true]], [[true, true]], [[true]], [[null, null, null]]]);
    expect(await contents(['long', 'kept', 'added'])).toEqual([null, null, null]);

    await flush();
    const ourResults: unknown[][][] = [];
    for (const statement of statements('pymcache_fdw')) ourResults.push(await rows(ours, statement));
    expect(ourResults).toEqual([[[true]], [[true, true]], [[true]], [['v', 'w', 'v']]]);
    for (const key of ['long', 'kept', 'added']) {
      const item = await rawGet(memcached.address, key);
      expect(item?.value.toString(), key).toBe(key === 'kept' ? 'w' : 'v');
      expect(item?.ttl, `${key}: remaining TTL`).toBeGreaterThanOrEqual(60 * 86400 - 5);
      expect(item?.ttl, `${key}: remaining TTL`).toBeLessThanOrEqual(60 * 86400 + 1);
    }
  });

  it('memcache_server_add of another server: pgmemcache adds it to this session, ours an ERROR with the ALTER', async () => {
    expect(await rows(theirs, "SELECT pgmc.memcache_server_add('127.0.0.1:1')")).toEqual([[true]]);
    const error = await sqlError(ours.client.query("SELECT pymcache_fdw.memcache_server_add('127.0.0.1:1')"));
    const here = `${memcached.address.host}:${memcached.address.port}`;
    expect([error.message, error.hint]).toEqual([
      'memcache_server_add("127.0.0.1:1") cannot add a server for this session only: the servers of public.cache are its options',
      `Add it to the table for every session (keep the order your application lists the servers in): ALTER FOREIGN TABLE public.cache OPTIONS (DROP host, DROP port, ADD servers '${here},127.0.0.1:1');`,
    ]);
  });
});
