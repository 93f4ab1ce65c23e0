// The function API's contract apart from transactions: the default table (pymcache_fdw.default_table: unset, missing,
// not a cache table, per database / role / session, followed through ALTER and DROP), privileges, the table's options
// applied to every call, and bad input as clear errors. Real PostgreSQL, real memcached, an independent client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet } from '../rig/raw-memcached';
import {
  createCacheTable,
  held,
  openFunctionsDatabase,
  rows,
  sharedServers,
  type CacheTable,
  type FunctionsDatabase,
} from './support';

const DATABASE = 'functions_api';
let database: FunctionsDatabase;
let cache: CacheTable;
let session: HostSession;

const NO_TABLE_HINT =
  "Create a cache table (a foreign table of a server with wrapper 'pymcache_fdw.PymcacheFDW'), then name it: ALTER DATABASE " +
  `${DATABASE} SET pymcache_fdw.default_table = 'public.cache';`;
const SETTING_HINT = `ALTER DATABASE ${DATABASE} SET pymcache_fdw.default_table = 'public.cache'; (new sessions; SET pymcache_fdw.default_table = ... for this one)`;

beforeAll(async () => {
  database = await openFunctionsDatabase(DATABASE, null);
  session = await database.session();
});

afterAll(async () => {
  await database?.close();
});

describe('pymcache_fdw.default_table', () => {
  it('unset, in a database without a cache table: an ERROR whose HINT says to create one and gives the ALTER DATABASE line', async () => {
    const error = await sqlError(session.client.query("SELECT memcache_get('k')"));
    expect([error.code, error.message, error.hint]).toEqual([
      '55000',
      'pymcache_fdw.default_table is not set: the memcache_* functions do not know which cache table to use',
      NO_TABLE_HINT,
    ]);
  });

  it('unset: the HINT names the database and a cache table it has', async () => {
    cache = await createCacheTable(database, 'cache', [sharedServers()[0]!]);
    await database.admin.client.query(
      `CREATE FOREIGN TABLE zz_other (key text, value text) SERVER mc OPTIONS (host '127.0.0.1', port '1')`,
    );
    const error = await sqlError(session.client.query("SELECT memcache_set('k', 'v')"));
    expect([error.code, error.message, error.hint]).toEqual([
      '55000',
      'pymcache_fdw.default_table is not set: the memcache_* functions do not know which cache table to use',
      SETTING_HINT,
    ]);
  });

  it('naming a table that does not exist: an ERROR with the search_path and the same HINT', async () => {
    await session.client.query("SET pymcache_fdw.default_table = 'nope'");
    const error = await sqlError(session.client.query("SELECT memcache_get('k')"));
    expect([error.code, error.message, error.detail, error.hint]).toEqual([
      '42P01',
      'pymcache_fdw.default_table names "nope", which does not exist',
      'search_path is "$user", public, pymcache_fdw.',
      SETTING_HINT,
    ]);
  });

  it('naming a plain table, a view, a statistics table, or a foreign table of another wrapper: an ERROR saying what it is', async () => {
    await database.admin.client.query('CREATE TABLE plain (k text)');
    await database.admin.client.query('CREATE VIEW plain_view AS SELECT 1 AS one');
    await database.admin.client.query(
      `CREATE SERVER mc_stats FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDWStats')`,
    );
    await database.admin.client.query('CREATE FOREIGN TABLE stats (stat_name text, stat_value text) SERVER mc_stats');
    const cases: Array<[string, string]> = [
      ['plain', 'It is a table, not a foreign table'],
      ['plain_view', 'It is a view'],
      [
        'stats',
        `It is a table of server "mc_stats", whose wrapper is 'pymcache_fdw.PymcacheFDWStats' (statistics, not cache items)`,
      ],
    ];
    for (const [table, what] of cases) {
      await session.client.query(`SET pymcache_fdw.default_table = '${table}'`);
      const error = await sqlError(session.client.query("SELECT memcache_get('k')"));
      expect([error.code, error.message, error.detail, error.hint]).toEqual([
        '42809',
        `pymcache_fdw.default_table names "${table}", which is not a pymcache_fdw cache table`,
        `${what}; the memcache_* functions need a foreign table of a server with wrapper 'pymcache_fdw.PymcacheFDW'.`,
        SETTING_HINT,
      ]);
    }
  });

  it('is the per-database setting in new sessions, overridden per role and per session', async () => {
    const other = await createCacheTable(database, 'other_cache', [sharedServers()[0]!]);
    await database.admin.client.query(`ALTER DATABASE ${DATABASE} SET pymcache_fdw.default_table = 'public.cache'`);
    await database.admin.client.query('CREATE ROLE fn_role LOGIN');
    await database.admin.client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON cache, other_cache TO fn_role`);
    await database.admin.client.query(
      `ALTER ROLE fn_role IN DATABASE ${DATABASE} SET pymcache_fdw.default_table = 'public.other_cache'`,
    );
    const byDatabase = await database.session();
    expect(await rows(byDatabase, "SELECT memcache_set('which', 'database')")).toEqual([[true]]);
    const byRole = await database.session('fn_role');
    expect(await rows(byRole, "SELECT memcache_set('which', 'role')")).toEqual([[true]]);
    await byRole.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    expect(await rows(byRole, "SELECT memcache_get('which')")).toEqual([['database']]);
    expect(await held(cache, ['which'])).toEqual(['database']);
    expect(await held(other, ['which'])).toEqual(['role']);
  });

  it('follows the table: ALTER FOREIGN TABLE takes effect at the next call, RENAME and DROP are errors at once', async () => {
    const follower = await database.session();
    await follower.client.query("SET pymcache_fdw.default_table = 'moving'");
    const table = await createCacheTable(database, 'moving', [sharedServers()[0]!]);
    expect(await rows(follower, "SELECT memcache_set('m', 'before')")).toEqual([[true]]);
    await database.admin.client.query(`ALTER FOREIGN TABLE moving OPTIONS (SET prefix '${table.prefix}moved:')`);
    expect(await rows(follower, "SELECT memcache_set('m', 'after')")).toEqual([[true]]);
    expect(await held(table, ['m', 'moved:m'])).toEqual(['before', 'after']);
    await database.admin.client.query('ALTER FOREIGN TABLE moving RENAME TO moved');
    expect((await sqlError(follower.client.query("SELECT memcache_get('m')"))).message).toBe(
      'pymcache_fdw.default_table names "moving", which does not exist',
    );
    await follower.client.query("SET pymcache_fdw.default_table = 'moved'");
    expect(await rows(follower, "SELECT memcache_get('m')")).toEqual([['after']]);
    await database.admin.client.query('DROP FOREIGN TABLE moved');
    expect((await sqlError(follower.client.query("SELECT memcache_get('m')"))).message).toBe(
      'pymcache_fdw.default_table names "moved", which does not exist',
    );
  });
});

describe('privileges on the default table', () => {
  it('reads need SELECT, writes INSERT and UPDATE, deletes DELETE (as the table itself)', async () => {
    await database.admin.client.query('CREATE ROLE fn_reader LOGIN');
    const reader = await database.session('fn_reader');
    await reader.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    const denied = await sqlError(reader.client.query("SELECT memcache_get('k')"));
    expect([denied.code, denied.message]).toEqual(['42501', 'permission denied for foreign table cache']);
    await database.admin.client.query('GRANT SELECT ON cache TO fn_reader');
    await rawSet(cache.servers[0]!, `${cache.prefix}k`, 'v');
    expect(await rows(reader, "SELECT memcache_get('k')")).toEqual([['v']]);
    expect((await sqlError(reader.client.query("SELECT memcache_set('k', 'w')"))).code).toBe('42501');
    expect((await sqlError(reader.client.query("SELECT memcache_delete('k')"))).code).toBe('42501');
    await database.admin.client.query('GRANT INSERT, UPDATE ON cache TO fn_reader');
    expect(await rows(reader, "SELECT memcache_set('k', 'w')")).toEqual([[true]]);
    expect((await sqlError(reader.client.query("SELECT memcache_delete('k')"))).code).toBe('42501');
    await database.admin.client.query('REVOKE ALL ON cache FROM fn_reader');
    expect((await sqlError(reader.client.query("SELECT memcache_get('k')"))).code).toBe('42501');
  });
});

describe("the table's options apply to every call", () => {
  it('prefix: keys are stored and read under it', async () => {
    await session.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    expect(await rows(session, "SELECT memcache_set('p', 'x'), memcache_get('p')")).toEqual([[true, 'x']]);
    expect((await rawGet(cache.servers[0]!, `${cache.prefix}p`))?.value.toString()).toBe('x');
    expect(await rawGet(cache.servers[0]!, 'p')).toBeNull();
  });

  it("expire: a call without an expiration uses the table's", async () => {
    const table = await createCacheTable(database, 'expiring', [sharedServers()[0]!], "expire '600'");
    await session.client.query("SET pymcache_fdw.default_table = 'expiring'");
    await session.client.query(
      "SELECT memcache_set('e', 'x'), memcache_set('n', 'y', NULL::interval), memcache_set('z', 'z', '0'::interval)",
    );
    const ttls = [];
    for (const key of ['e', 'n', 'z']) ttls.push((await rawGet(table.servers[0]!, table.prefix + key))!.ttl);
    expect(ttls.map((ttl) => (ttl > 590 && ttl <= 600 ? 600 : ttl))).toEqual([600, 600, -1]);
  });

  it('a server that does not answer: an ERROR naming it, with the HINT on its options', async () => {
    await createCacheTable(database, 'unreachable', [{ host: '127.0.0.1', port: 1 }]);
    await session.client.query("SET pymcache_fdw.default_table = 'unreachable'");
    const error = await sqlError(session.client.query("SELECT memcache_get('k')"));
    expect([error.message, error.hint]).toEqual([
      'cannot reach memcached at 127.0.0.1:1 (get of key "k"): connection refused',
      'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout and timeout set how long to wait.',
    ]);
  });

  it('memcache_flush_all refuses a table with a prefix (memcached would empty the whole server)', async () => {
    await session.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    const error = await sqlError(session.client.query('SELECT memcache_flush_all()'));
    expect([error.message, error.hint]).toEqual([
      `memcache_flush_all on public.cache would empty its servers of every key, not only those with the prefix "${cache.prefix}"`,
      'memcached flushes whole servers. Point pymcache_fdw.default_table at a cache table without a prefix to flush them, or delete the keys of the prefix one by one.',
    ]);
  });

  it('memcache_server_add: true for a listed server, else the ALTER that adds it (to the table, or to the server that holds the list)', async () => {
    const [first, second] = sharedServers() as [{ host: string; port: number }, { host: string; port: number }];
    await session.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    expect(await rows(session, 'SELECT memcache_server_add($1)', [`${first.host}:${first.port}`])).toEqual([[true]]);
    const error = await sqlError(
      session.client.query('SELECT memcache_server_add($1)', [`${second.host}:${second.port}`]),
    );
    expect(error.hint).toBe(
      'Add it to the table for every session (keep the order your application lists the servers in): ' +
        `ALTER FOREIGN TABLE public.cache OPTIONS (DROP host, DROP port, ADD servers '${first.host}:${first.port},${second.host}:${second.port}');`,
    );
    await database.admin.client.query(`CREATE SERVER mc_listed FOREIGN DATA WRAPPER multicorn
      OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW', servers '${first.host}:${first.port}', distribution 'modula')`);
    await database.admin.client.query('CREATE FOREIGN TABLE "Listed" (key text, value text) SERVER mc_listed');
    await session.client.query(`SET pymcache_fdw.default_table = '"Listed"'`);
    const listed = await sqlError(session.client.query("SELECT memcache_server_add('cache9.example:11311:2')"));
    expect([listed.message, listed.hint]).toEqual([
      'memcache_server_add("cache9.example:11311:2") cannot add a server for this session only: the servers of public."Listed" are its options',
      'Add it to the table for every session (keep the order your application lists the servers in): ' +
        `ALTER SERVER mc_listed OPTIONS (SET servers '${first.host}:${first.port},cache9.example:11311:2');`,
    ]);
  });
});

describe('memcache_touch', () => {
  /** The remaining TTL memcached reports for key `k` of `table` (-1: none), null for a miss. */
  async function remaining(table: CacheTable, k: string): Promise<number | null> {
    const item = await rawGet(table.servers[0]!, table.prefix + k);
    return item === null ? null : item.ttl;
  }

  it('an existing key: true, and the interval becomes its expiration (past 30 days too, fractions rounded up); a missing key: false', async () => {
    const table = await createCacheTable(database, 'touching', [sharedServers()[0]!]);
    await session.client.query("SET pymcache_fdw.default_table = 'touching'");
    await rawSet(table.servers[0]!, `${table.prefix}k`, 'v');
    expect(await remaining(table, 'k')).toBe(-1);
    expect(await rows(session, "SELECT memcache_touch('k', '1 hour'::interval)")).toEqual([[true]]);
    expect(await remaining(table, 'k')).toBeGreaterThanOrEqual(3599);
    expect(await remaining(table, 'k')).toBeLessThanOrEqual(3600);
    expect(await rows(session, "SELECT memcache_touch('k', '90.2 seconds'::interval)")).toEqual([[true]]);
    expect(await remaining(table, 'k')).toBeGreaterThanOrEqual(90);
    expect(await remaining(table, 'k')).toBeLessThanOrEqual(91);
    expect(await rows(session, "SELECT memcache_touch('k', '60 days'::interval)")).toEqual([[true]]);
    expect(await remaining(table, 'k')).toBeGreaterThanOrEqual(60 * 86400 - 2);
    expect(await remaining(table, 'k')).toBeLessThanOrEqual(60 * 86400 + 1);
    expect(await held(table, ['k'])).toEqual(['v']);
    expect(await rows(session, "SELECT memcache_touch('missing', '1 hour'::interval)")).toEqual([[false]]);
    expect(await held(table, ['missing'])).toEqual([null]);
  });

  it('the timestamptz overload: the key expires at that time', async () => {
    const table = await createCacheTable(database, 'touching_at', [sharedServers()[0]!]);
    await session.client.query("SET pymcache_fdw.default_table = 'touching_at'");
    await rawSet(table.servers[0]!, `${table.prefix}k`, 'v', 0, 100);
    const at = Math.floor(Date.now() / 1000) + 7200;
    expect(await rows(session, "SELECT memcache_touch('k', to_timestamp($1))", [at])).toEqual([[true]]);
    const ttl = await remaining(table, 'k');
    const expected = at - Math.floor(Date.now() / 1000);
    // memcached's clock ticks once a second, so its count may be a second either side of ours.
    expect(ttl).toBeGreaterThanOrEqual(expected - 1);
    expect(ttl).toBeLessThanOrEqual(expected + 1);
    expect(await held(table, ['k'])).toEqual(['v']);
    expect(await rows(session, "SELECT memcache_touch('missing', to_timestamp($1))", [at])).toEqual([[false]]);
    expect(await held(table, ['missing'])).toEqual([null]);
  });
});

describe('bad input: clear errors, memcached untouched', () => {
  it('NULL keys, values, expirations and deltas', async () => {
    await session.client.query("SET pymcache_fdw.default_table = 'public.cache'");
    const cases: Array<[string, string, string, string]> = [
      [
        "SELECT memcache_set(NULL, 'v')",
        '22004',
        'memcache_set: the key must not be NULL',
        'memcached has no NULL key: give every call a key.',
      ],
      [
        "SELECT memcache_set('k', NULL::text)",
        '22004',
        'memcache_set: the value of key "k" must not be NULL',
        'memcached cannot store NULL: memcache_delete the key to remove it.',
      ],
      [
        "SELECT memcache_add('k', NULL::bytea)",
        '22004',
        'memcache_add: the value of key "k" must not be NULL',
        'memcached cannot store NULL: memcache_delete the key to remove it.',
      ],
      [
        'SELECT memcache_delete(NULL)',
        '22004',
        'memcache_delete: the key must not be NULL',
        'memcached has no NULL key: give every call a key.',
      ],
      [
        "SELECT memcache_touch('k', NULL::interval)",
        '22004',
        'memcache_touch: the expiration of key "k" must not be NULL',
        "Give the new expiration as an interval ('0' for never) or a timestamp.",
      ],
      [
        "SELECT memcache_incr('k', NULL)",
        '22004',
        'memcache_incr: the delta of key "k" must not be NULL',
        'Give the amount to count by, or leave it out to count by 1.',
      ],
      [
        "SELECT * FROM memcache_get_multi(ARRAY['a', NULL])",
        '22004',
        'memcache_get_multi: key 2 of the array is NULL',
        'memcached has no NULL key: leave NULLs out of the array (array_remove(keys, NULL)).',
      ],
      [
        'SELECT memcache_server_add(NULL)',
        '22004',
        'memcache_server_add: the server must not be NULL',
        'Give a server as host, host:port or host:port:weight.',
      ],
    ];
    for (const [sql, code, message, hint] of cases) {
      const error = await sqlError(session.client.query(sql));
      expect([sql, error.code, error.message, error.hint]).toEqual([sql, code, message, hint]);
    }
  });

  it('invalid keys: a space, a control character, too long (prefix included), bytea that is not UTF-8', async () => {
    const long = 'x'.repeat(251 - Buffer.byteLength(cache.prefix));
    // Keys are checked with the prefix (ASCII here), so a character's position counts the prefix's.
    const at = Buffer.byteLength(cache.prefix) + 2;
    const cases: Array<[string, string]> = [
      [
        "SELECT memcache_set('a b', 'v')",
        `invalid memcached key "${cache.prefix}a b": it contains a space (character ${at}); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters`,
      ],
      [
        "SELECT memcache_get(E'a\\nb')",
        `invalid memcached key "${cache.prefix}a\\x0ab": it contains the control character \\x0a (character ${at}); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters`,
      ],
      [
        `SELECT memcache_get('${long}')`,
        `invalid memcached key "${`${cache.prefix}${long}`.slice(0, 60)}…" (251 characters): it is 251 bytes long in UTF-8; a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters`,
      ],
      ["SELECT memcache_get('\\xff'::bytea)", 'memcache_get: a bytea key must hold UTF-8 text'],
    ];
    for (const [sql, message] of cases) {
      expect([sql, (await sqlError(session.client.query(sql))).message]).toEqual([sql, message]);
    }
  });

  it('a value larger than the server stores: an ERROR naming the key and the room, before anything is sent', async () => {
    const error = await sqlError(session.client.query("SELECT memcache_set('big', repeat('x', 1100000))"));
    const room = 1048576 - 59 - Buffer.byteLength(`${cache.prefix}big`);
    expect([error.message, error.hint]).toEqual([
      `the value of key "big" is 1100000 bytes, more than memcached at ${cache.servers[0]!.host}:${cache.servers[0]!.port} stores for this key (${room} bytes)`,
      "The server's item_size_max is 1048576 bytes, including the key and 59 bytes of item overhead: store a smaller value, or start memcached with a larger -I.",
    ]);
    expect(await held(cache, ['big'])).toEqual([null]);
  });

  it('a value holding a NUL byte: memcache_get is an ERROR pointing at memcache_get_bytea, which returns the bytes', async () => {
    await rawSet(cache.servers[0]!, `${cache.prefix}nul`, Buffer.from([0x61, 0x00, 0x62]));
    const error = await sqlError(session.client.query("SELECT memcache_get('nul')"));
    expect([error.message, error.hint]).toEqual([
      'the value of key "nul" contains a NUL byte, which text cannot hold',
      'Read it with memcache_get_bytea(key), which returns the bytes as stored.',
    ]);
    expect((await session.client.query("SELECT memcache_get_bytea('nul') AS v")).rows).toEqual([
      { v: Buffer.from([0x61, 0x00, 0x62]) },
    ]);
  });

  it('expirations: negative, in the past, after 2038, infinite, and more than memcached can hold', async () => {
    const cases: Array<[string, string]> = [
      [
        "SELECT memcache_set('x', 'v', '-5 minutes'::interval)",
        'memcache_set: the expiration of key "x" is a negative interval',
      ],
      ["SELECT memcache_set('x', 'v', now() - '1 second'::interval)", 'the expiration of key "x" is in the past'],
      [
        "SELECT memcache_set('x', 'v', '2040-01-01'::timestamptz)",
        'the expiration of key "x" is after 2038-01-19 03:14:07 UTC, the latest memcached can hold',
      ],
      ["SELECT memcache_set('x', 'v', 'infinity'::timestamptz)", 'memcache_set: the expiration of key "x" is infinite'],
      ["SELECT memcache_touch('x', '100 years'::interval)", 'expire of key "x" is 3155760000, outside 0 to 2147483647'],
      ["SELECT memcache_delete('x', '-1 second'::interval)", 'memcache_delete: the hold time is a negative interval'],
    ];
    for (const [sql, message] of cases) {
      expect([sql, (await sqlError(session.client.query(sql))).message]).toEqual([sql, message]);
    }
    expect(await held(cache, ['x'])).toEqual([null]);
  });

  it('memcache_server_add of something that is not a server', async () => {
    const error = await sqlError(session.client.query("SELECT memcache_server_add('host:99999')"));
    expect([error.message, error.hint]).toEqual([
      'memcache_server_add("host:99999"): invalid value "host:99999" for option "server": server 1 ("host:99999") has an invalid port; expected a comma-separated list of host:port or host:port:weight (IPv6 hosts in brackets, e.g. [::1]:11211), ports from 1 to 65535, weights from 1 to 1000000',
      'Give one server as host, host:port or host:port:weight.',
    ]);
  });

  it('the trigger functions outside a row trigger', async () => {
    const error = await sqlError(session.client.query('SELECT memcache_write_through()'));
    expect([error.code, error.message, error.hint]).toEqual([
      '39P01',
      'memcache_write_through: not called by a trigger',
      'Use it in CREATE TRIGGER ... FOR EACH ROW EXECUTE FUNCTION memcache_write_through(...).',
    ]);
  });
});
