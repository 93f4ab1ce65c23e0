// PymcacheFDW and PymcacheFDWStats in PostgreSQL beyond the README: prefix groups, value types, RETURNING,
// prepared statements, joins on the key, the planner's estimates, every option error and an unreachable server.
// What reaches memcached is checked with an independent raw-protocol client.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase } from '../rig/postgres';
import { startMemcached, uniquePrefix } from '../rig/memcached';
import { explainLines, openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, rawSetMany, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let session: HostSession;

beforeAll(async () => {
  const connection = await createScratchDatabase(inject('postgres'), 'sql_fdw');
  session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  // Host and port go on each table: Multicorn merges table, then server, then user-mapping options, so a server-level
  // host would override every table's.
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  await session.client.query(`CREATE SERVER mc_stats FOREIGN DATA WRAPPER multicorn
    OPTIONS (wrapper 'pymcache_fdw.PymcacheFDWStats', host '${server.host}', port '${server.port}')`);
});

afterAll(async () => {
  await session?.close();
});

let tableCounter = 0;

/** A cache table under a fresh prefix; returns its name and prefix. */
async function cacheTable(
  valueType = 'text',
  options = '',
  extraColumns = ', expire integer',
): Promise<{ table: string; prefix: string }> {
  tableCounter += 1;
  const table = `cache_${tableCounter}`;
  const prefix = uniquePrefix('sql');
  const more = options === '' ? '' : `, ${options}`;
  await session.client.query(`CREATE FOREIGN TABLE ${table} (key text, value ${valueType}${extraColumns})
    SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${prefix}'${more})`);
  return { table, prefix };
}

describe('reads', () => {
  it('key = , IN, = ANY(array) return the hits, once each', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}b`, 'B');
    expect((await session.client.query(`SELECT key, value FROM ${table} WHERE key = 'a'`)).rows).toEqual([
      { key: 'a', value: 'A' },
    ]);
    expect(
      (await session.client.query(`SELECT key, value FROM ${table} WHERE key IN ('b', 'zz', 'a', 'b') ORDER BY key`))
        .rows,
    ).toEqual([
      { key: 'a', value: 'A' },
      { key: 'b', value: 'B' },
    ]);
    expect(
      (await session.client.query(`SELECT key FROM ${table} WHERE key = ANY($1) ORDER BY key`, [['a', 'b', 'c']])).rows,
    ).toEqual([{ key: 'a' }, { key: 'b' }]);
  });

  it('a whole-row reference shows every column (multicorn2 does not ask for them; the rows carry them anyway)', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}w`, 'whole');
    await rawSet(server, `${prefix}bad`, Buffer.from([0xff]));
    expect((await session.client.query(`SELECT c::text AS row FROM ${table} c WHERE key = 'w'`)).rows).toEqual([
      { row: '(w,whole,0)' },
    ]);
    // A value no column of the query needs is never decoded strictly: count(*) counts an unreadable one.
    expect(
      (await session.client.query(`SELECT count(*)::int AS n FROM ${table} WHERE key IN ('w', 'bad')`)).rows,
    ).toEqual([{ n: 2 }]);
  });

  it('without a key condition: the rows of the prefix group, filtered by PostgreSQL (docs: test/sql/listing.test.ts)', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}b`, 'B');
    session.takeNotices();
    expect((await session.client.query(`SELECT key, value FROM ${table} WHERE value = 'A'`)).rows).toEqual([
      { key: 'a', value: 'A' },
    ]);
    expect(session.takeNotices()).toEqual([]);
  });

  it("tells the planner the number of keys, not Multicorn's 1e8 default", async () => {
    const { table } = await cacheTable();
    const [scan] = await explainLines(session.client, `SELECT value FROM ${table} WHERE key = 'a'`, 'FORMAT TEXT');
    expect(scan).toMatch(/^Foreign Scan on cache_\d+ {2}\(cost=[\d.]+\.\.[\d.]+ rows=1 width=\d+\)$/);
    const inList = await explainLines(
      session.client,
      `SELECT value FROM ${table} WHERE key IN ('a', 'b', 'c')`,
      'FORMAT TEXT',
    );
    expect(inList[0]).toMatch(/ rows=3 /);
  });

  it('keeps a one-key SELECT far below jit_above_cost, so JIT stays off even where it is enabled', async () => {
    const { table } = await cacheTable();
    const result = await session.client.query<{
      'QUERY PLAN': Array<{ Plan: { 'Total Cost': number; 'Plan Rows': number } }>;
    }>(`EXPLAIN (FORMAT JSON) SELECT key, value FROM ${table} WHERE key = 'meaning_of_life'`);
    const plan = result.rows[0]!['QUERY PLAN'][0]!.Plan;
    expect(plan['Plan Rows']).toBe(1);
    const jitAboveCost = Number((await session.client.query('SHOW jit_above_cost')).rows[0].jit_above_cost);
    expect(plan['Total Cost']).toBeLessThan(jitAboveCost);
  });

  it('EXPLAIN names the server and the lookup', async () => {
    const { table, prefix } = await cacheTable();
    const lines = await explainLines(session.client, `SELECT value FROM ${table} WHERE key IN ('a', 'b')`);
    expect(lines).toContain(`  Multicorn: memcached ${server.host}:${server.port}`);
    expect(lines).toContain(`  Multicorn: key prefix "${prefix}"`);
    expect(lines).toContain('  Multicorn: gets 2 key(s) in one round trip');
    expect(await explainLines(session.client, `SELECT key, expire FROM ${table} WHERE key IN ('a', 'b')`)).toContain(
      '  Multicorn: mg (meta get, with TTL and item facts) of 2 key(s) in one round trip',
    );
  });

  it('a join on the key runs as key lookups (nested loop over a parameterized foreign scan)', async () => {
    const { table, prefix } = await cacheTable();
    await session.client.query(`CREATE TEMP TABLE wanted_${table} (k text)`);
    await session.client.query(`INSERT INTO wanted_${table} SELECT 'k' || i FROM generate_series(1, 50) i`);
    await session.client.query(`ANALYZE wanted_${table}`);
    await rawSet(server, `${prefix}k7`, 'seven');
    await rawSet(server, `${prefix}k42`, 'forty-two');
    // The planner weighs 50 lookups against listing the server's items: the server holds more than 50 (other groups).
    await rawSetMany(
      server,
      Array.from({ length: 200 }, (_, i): [string, string] => [`${prefix}other:${i}`, 'x']),
    );
    const sql = `SELECT w.k, c.value FROM wanted_${table} w JOIN ${table} c ON c.key = w.k ORDER BY w.k`;
    const plan = (await explainLines(session.client, sql)).join('\n');
    expect(plan).toContain('Nested Loop');
    expect(plan).toContain(`Foreign Scan on ${table} c`);
    expect((await session.client.query(sql)).rows).toEqual([
      { k: 'k42', value: 'forty-two' },
      { k: 'k7', value: 'seven' },
    ]);
  });

  it('prepared statements find their key with custom and generic plans', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}p`, 'prepared');
    await session.client.query(`PREPARE lookup_${table}(text) AS SELECT value FROM ${table} WHERE key = $1`);
    for (let i = 0; i < 7; i++) {
      expect((await session.client.query(`EXECUTE lookup_${table}('p')`)).rows).toEqual([{ value: 'prepared' }]);
    }
    await session.client.query('SET plan_cache_mode = force_generic_plan');
    try {
      expect((await session.client.query(`EXECUTE lookup_${table}('p')`)).rows).toEqual([{ value: 'prepared' }]);
      expect((await session.client.query(`SELECT value FROM ${table} WHERE key = $1`, ['p'])).rows).toEqual([
        { value: 'prepared' },
      ]);
    } finally {
      await session.client.query('RESET plan_cache_mode');
    }
  });
});

describe('writes', () => {
  it('INSERT, UPDATE and DELETE with RETURNING', async () => {
    const { table, prefix } = await cacheTable();
    const inserted = await session.client.query(
      `INSERT INTO ${table} (key, value, expire) VALUES ('r1', 'one', 100), ('r2', 'two', NULL) RETURNING key, value, expire`,
    );
    expect(inserted.rows).toEqual([
      { key: 'r1', value: 'one', expire: 100 },
      { key: 'r2', value: 'two', expire: null },
    ]);
    expect((await rawGet(server, `${prefix}r2`))!.ttl).toBe(-1);
    const updated = await session.client.query(
      `UPDATE ${table} SET value = value || '!' WHERE key IN ('r1', 'r2') RETURNING key, value`,
    );
    expect(updated.rows.sort((a, b) => String(a.key).localeCompare(String(b.key)))).toEqual([
      { key: 'r1', value: 'one!' },
      { key: 'r2', value: 'two!' },
    ]);
    expect((await rawGet(server, `${prefix}r1`))!.value.toString()).toBe('one!');
    const deleted = await session.client.query(
      `DELETE FROM ${table} WHERE key IN ('r1', 'missing') RETURNING key, value`,
    );
    expect(deleted.rowCount).toBe(1);
    expect(deleted.rows).toEqual([{ key: 'r1', value: 'one!' }]);
    expect(await rawGet(server, `${prefix}r1`)).toBeNull();
  });

  it('DELETE counts only the keys that existed', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}x`, '1');
    await rawSet(server, `${prefix}y`, '2');
    const result = await session.client.query(`DELETE FROM ${table} WHERE key IN ('x', 'y', 'z')`);
    expect(result.rowCount).toBe(2);
  });

  it('an UPDATE of expire alone is a touch', async () => {
    const own = await startMemcached();
    try {
      await session.client.query(`CREATE FOREIGN TABLE touch_test (key text, value text, expire integer)
        SERVER mc OPTIONS (row_id 'key', host '${own.address.host}', port '${own.address.port}')`);
      await rawSet(own.address, 't', 'keep', 3);
      const before = await rawStats(own.address);
      expect((await session.client.query(`UPDATE touch_test SET expire = 900 WHERE key = 't'`)).rowCount).toBe(1);
      const after = await rawStats(own.address);
      expect(Number(after.get('cmd_touch')) - Number(before.get('cmd_touch'))).toBe(1);
      expect(Number(after.get('cmd_set')) - Number(before.get('cmd_set'))).toBe(0);
      const stored = await rawGet(own.address, 't');
      expect([stored!.value.toString(), stored!.flags]).toEqual(['keep', 3]);
      expect(stored!.ttl).toBeGreaterThan(890);
    } finally {
      await session.client.query('DROP FOREIGN TABLE IF EXISTS touch_test');
      await own.stop();
    }
  });

  it('changing the key moves the item', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}from`, 'v');
    expect((await session.client.query(`UPDATE ${table} SET key = 'to' WHERE key = 'from'`)).rowCount).toBe(1);
    expect(await rawGet(server, `${prefix}from`)).toBeNull();
    expect((await rawGet(server, `${prefix}to`))!.value.toString()).toBe('v');
  });

  it("insert_mode 'add' reports an existing key as a duplicate", async () => {
    const { table, prefix } = await cacheTable('text', "insert_mode 'add'");
    await session.client.query(`INSERT INTO ${table} (key, value) VALUES ('once', 'first')`);
    const error = await sqlError(session.client.query(`INSERT INTO ${table} (key, value) VALUES ('once', 'second')`));
    expect(error.message).toBe(
      `duplicate key value: key "once" already exists in memcached at ${server.host}:${server.port}`,
    );
    expect(error.detail).toBe('Key (key)=(once) already exists.');
    expect((await rawGet(server, `${prefix}once`))!.value.toString()).toBe('first');
  });

  it('an invalid key is an ERROR naming it, and nothing is written', async () => {
    const { table, prefix } = await cacheTable();
    const error = await sqlError(session.client.query(`INSERT INTO ${table} (key, value) VALUES ('two words', 'v')`));
    expect(error.message).toContain(`invalid memcached key "${prefix}two words": it contains a space`);
    expect(error.hint).toBe(
      'memcached keys are 1 to 250 bytes of UTF-8 without spaces or control characters, prefix included.',
    );
    expect(await rawGet(server, `${prefix}two`)).toBeNull();
  });

  it('a negative expire is an ERROR', async () => {
    const { table } = await cacheTable();
    const error = await sqlError(session.client.query(`INSERT INTO ${table} VALUES ('k', 'v', -10)`));
    expect(error.message).toBe('expire of key "k" is -10, outside 0 to 2147483647');
  });

  it('a value over the item size limit is an ERROR naming the key', async () => {
    const { table, prefix } = await cacheTable();
    const error = await sqlError(
      session.client.query(`INSERT INTO ${table} (key, value) VALUES ('big', repeat('x', 2000000))`),
    );
    // Refused before sending: item_size_max (1 MiB by default) less memcached's 59 bytes per item and the full key.
    const room = 1024 * 1024 - 59 - Buffer.byteLength(`${prefix}big`);
    expect(error.message).toBe(
      `the value of key "big" is 2000000 bytes, more than memcached at ${server.host}:${server.port} stores for this key (${room} bytes)`,
    );
    expect(await rawGet(server, `${prefix}big`)).toBeNull();
  });
});

describe('prefix groups', () => {
  it('two tables with different prefixes share the server without seeing each other', async () => {
    const first = await cacheTable();
    const second = await cacheTable();
    await session.client.query(`INSERT INTO ${first.table} (key, value) VALUES ('user:1', 'alice')`);
    await session.client.query(`INSERT INTO ${second.table} (key, value) VALUES ('user:1', 'bob')`);
    expect((await rawGet(server, `${first.prefix}user:1`))!.value.toString()).toBe('alice');
    expect((await rawGet(server, `${second.prefix}user:1`))!.value.toString()).toBe('bob');
    expect((await session.client.query(`SELECT value FROM ${first.table} WHERE key = 'user:1'`)).rows).toEqual([
      { value: 'alice' },
    ]);
  });
});

describe('value types', () => {
  it('bytea round-trips raw bytes', async () => {
    const { table, prefix } = await cacheTable('bytea', '', '');
    await session.client.query(`INSERT INTO ${table} VALUES ('bin', '\\x00ff80410d0a'::bytea)`);
    expect((await rawGet(server, `${prefix}bin`))!.value).toEqual(Buffer.from([0x00, 0xff, 0x80, 0x41, 0x0d, 0x0a]));
    const result = await session.client.query(`SELECT encode(value, 'hex') AS hex FROM ${table} WHERE key = 'bin'`);
    expect(result.rows).toEqual([{ hex: '00ff80410d0a' }]);
  });

  it('text refuses invalid UTF-8 with a HINT to use bytea', async () => {
    const { table, prefix } = await cacheTable();
    await rawSet(server, `${prefix}latin1`, Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const error = await sqlError(session.client.query(`SELECT value FROM ${table} WHERE key = 'latin1'`));
    expect(error.message).toBe('the value of key "latin1" is not valid UTF-8 and cannot be read as text');
    expect(error.hint).toBe('Declare the value column as bytea to read values that are not UTF-8 text.');
  });

  it('json and jsonb store their text and read back as JSON', async () => {
    const json = await cacheTable('json', '', '');
    await session.client.query(`INSERT INTO ${json.table} VALUES ('doc', '{"b": 1, "a": [true, null]}')`);
    expect((await rawGet(server, `${json.prefix}doc`))!.value.toString()).toBe('{"b": 1, "a": [true, null]}');
    expect((await session.client.query(`SELECT value->'a' AS a FROM ${json.table} WHERE key = 'doc'`)).rows).toEqual([
      { a: [true, null] },
    ]);
    const jsonb = await cacheTable('jsonb', '', '');
    await rawSet(server, `${jsonb.prefix}doc`, '{"n": 2.5}');
    expect(
      (await session.client.query(`SELECT (value->>'n')::numeric * 2 AS twice FROM ${jsonb.table} WHERE key = 'doc'`))
        .rows,
    ).toEqual([{ twice: '5.0' }]);
    await rawSet(server, `${jsonb.prefix}broken`, 'not json');
    const error = await sqlError(session.client.query(`SELECT value FROM ${jsonb.table} WHERE key = 'broken'`));
    expect(error.message).toBe('the value of key "broken" is not valid JSON');
  });

  it('integer values are decimal text in memcached (what incr/decr use)', async () => {
    const { table, prefix } = await cacheTable('bigint', '', '');
    await session.client.query(`INSERT INTO ${table} VALUES ('counter', 9007199254740993)`);
    expect((await rawGet(server, `${prefix}counter`))!.value.toString()).toBe('9007199254740993');
    expect((await session.client.query(`SELECT value + 1 AS next FROM ${table} WHERE key = 'counter'`)).rows).toEqual([
      { next: '9007199254740994' },
    ]);
    const small = await cacheTable('integer', '', '');
    await rawSet(server, `${small.prefix}n`, '41');
    expect((await session.client.query(`SELECT value + 1 AS next FROM ${small.table} WHERE key = 'n'`)).rows).toEqual([
      { next: 42 },
    ]);
  });

  it('a flags column writes and reads memcached client flags', async () => {
    const { table, prefix } = await cacheTable('text', '', ', flags bigint');
    await session.client.query(`INSERT INTO ${table} VALUES ('f', 'v', 16)`);
    expect((await rawGet(server, `${prefix}f`))!.flags).toBe(16);
    expect((await session.client.query(`SELECT flags FROM ${table} WHERE key = 'f'`)).rows).toEqual([{ flags: '16' }]);
  });
});

describe('option errors', () => {
  const cases: Array<[string, string, string]> = [
    [
      'unknown option',
      "colour 'red'",
      'unknown option "colour"; valid options are: batch_size, connect_timeout, distribution, expire, full_scan, host, insert_mode, item_size_max, on_server_error, password, port, prefix, retry_interval, row_id, servers, timeout, tls, tls_ca_file, tls_cert_file, tls_key_file, username, write_mode',
    ],
    ['port', "port 'x'", 'invalid value "x" for option "port": expected an integer from 1 to 65535'],
    ['expire', "expire '-1'", 'invalid value "-1" for option "expire": expected an integer from 0 to 2147483647'],
    ['insert_mode', "insert_mode 'merge'", 'invalid value "merge" for option "insert_mode": expected one of set, add'],
    [
      'connect_timeout',
      "connect_timeout '0'",
      'invalid value "0" for option "connect_timeout": expected a number of seconds above 0 and at most 3600',
    ],
    [
      'timeout',
      "timeout 'forever'",
      'invalid value "forever" for option "timeout": expected a non-negative number of seconds written in decimal, such as 0.5 or 2',
    ],
    ['prefix', "prefix 'a b'", 'invalid value "a b" for option "prefix": it contains a space (character 2)'],
    ['row_id', "row_id 'id'", 'option "row_id" names column "id", which the table does not have'],
  ];
  for (const [what, option, message] of cases) {
    it(`${what}: ${message}`, async () => {
      tableCounter += 1;
      const table = `bad_${tableCounter}`;
      const address = option.startsWith('port') ? '' : `port '${server.port}', `;
      await session.client.query(
        `CREATE FOREIGN TABLE ${table} (key text, value text) SERVER mc OPTIONS (host '${server.host}', ${address}${option})`,
      );
      const error = await sqlError(session.client.query(`SELECT * FROM ${table} WHERE key = 'a'`));
      expect(error.message).toBe(message);
      expect(error.hint).toBe(
        what === 'row_id'
          ? 'Set row_id to the key column, one of: key, value.'
          : "Change the option with ALTER FOREIGN TABLE or ALTER SERVER ... OPTIONS (SET name 'value') or (DROP name).",
      );
    });
  }

  it('a user mapping that sets where the table reads is refused when the table is used', async () => {
    await session.client.query(
      `CREATE SERVER mc_mapped FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
    );
    await session.client.query(
      `CREATE USER MAPPING FOR CURRENT_USER SERVER mc_mapped OPTIONS (host '${server.host}', port '${server.port}')`,
    );
    await session.client.query(
      `CREATE FOREIGN TABLE mapped (key text, value text) SERVER mc_mapped OPTIONS (row_id 'key', prefix 'mapped-test:')`,
    );
    await rawSet(server, 'mapped-test:m', 'via mapping');
    const error = await sqlError(session.client.query(`SELECT value FROM mapped WHERE key = 'm'`));
    expect([error.message, error.detail]).toEqual([
      'option "host" cannot be set in a user mapping of server "mc_mapped"',
      'A user mapping of a pymcache_fdw server carries only credentials (username, password, tls_cert_file, tls_key_file).',
    ]);
    // The user's cache tables are refused while the mapping stands; this one works once its owner sets host and port.
    await session.client.query('DROP USER MAPPING FOR CURRENT_USER SERVER mc_mapped');
    await session.client.query(
      `ALTER FOREIGN TABLE mapped OPTIONS (ADD host '${server.host}', ADD port '${server.port}')`,
    );
    expect((await session.client.query(`SELECT value FROM mapped WHERE key = 'm'`)).rows).toEqual([
      { value: 'via mapping' },
    ]);
  });

  it('stats_cmd must be one of the stats commands', async () => {
    await session.client.query(
      `CREATE FOREIGN TABLE bad_stats (stat_name text, stat_value text) SERVER mc_stats OPTIONS (stats_cmd 'detail dump')`,
    );
    const error = await sqlError(session.client.query('SELECT * FROM bad_stats'));
    expect(error.message).toBe(
      'invalid value "detail dump" for option "stats_cmd": expected one of \'\' (general statistics), items, settings, slabs, sizes, conns',
    );
  });

  it('column errors: an unknown column, a type that cannot hold the value', async () => {
    await session.client.query(
      `CREATE FOREIGN TABLE bad_column (key text, value text, ttl bigint) SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key')`,
    );
    expect((await sqlError(session.client.query(`SELECT * FROM bad_column WHERE key = 'a'`))).message).toBe(
      'column "ttl" is not a part of a memcached item',
    );
    await session.client.query(
      `CREATE FOREIGN TABLE bad_type (key text, value date) SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key')`,
    );
    expect((await sqlError(session.client.query(`SELECT * FROM bad_type WHERE key = 'a'`))).message).toBe(
      'column "value" has type date, which cannot hold the memcached value',
    );
  });
});

describe('stats', () => {
  // A private memcached: its items and slabs hold only the item set here, and no other test file moves its counters.
  let own: { address: MemcachedAddress; stop(): Promise<void> };

  beforeAll(async () => {
    own = await startMemcached();
    await rawSet(own.address, 'stats-item', 'v');
    await session.client.query(`CREATE SERVER mc_stats_own FOREIGN DATA WRAPPER multicorn
      OPTIONS (wrapper 'pymcache_fdw.PymcacheFDWStats', host '${own.address.host}', port '${own.address.port}')`);
    for (const command of ['', 'items', 'settings', 'slabs', 'sizes', 'conns']) {
      const table = `stats_${command === '' ? 'general' : command}`;
      await session.client.query(
        `CREATE FOREIGN TABLE ${table} (stat_name text, stat_value text) SERVER mc_stats_own OPTIONS (stats_cmd '${command}')`,
      );
    }
  });

  afterAll(async () => {
    await own?.stop();
  });

  async function shown(table: string): Promise<Array<[string, string]>> {
    const result = await session.client.query<{ stat_name: string; stat_value: string }>(
      `SELECT stat_name, stat_value FROM ${table}`,
    );
    return result.rows.map((row) => [row.stat_name, row.stat_value]);
  }

  /** What Python's str() shows of pymemcache's conversion of a raw stat (its STAT_TYPES; int() for the rest). */
  function asPymemcacheShowsIt(name: string, raw: string): string {
    const boolInts = [
      'hash_is_expanding',
      'slab_reassign_running',
      'detail_enabled',
      'cas_enabled',
      'maxconns_fast',
      'slab_reassign',
      'slab_automove',
    ];
    if (name === 'auth_enabled_sasl') return raw === 'yes' ? 'True' : 'False';
    if (name === 'umask') return String(parseInt(raw, 8));
    if (name === 'growth_factor') return String(Number(raw)).includes('.') ? String(Number(raw)) : `${Number(raw)}.0`;
    if (/^-?\d+$/.test(raw)) return boolInts.includes(name) ? (Number(raw) !== 0 ? 'True' : 'False') : raw;
    return raw;
  }

  it('settings: every row of a raw `stats settings`, in its order, as pymemcache converts it', async () => {
    const raw = await rawStats(own.address, 'settings');
    const rows = await shown('stats_settings');
    expect(rows).toEqual([...raw].map(([name, value]) => [name, asPymemcacheShowsIt(name, value)]));
    const byName = new Map(rows);
    expect([
      byName.get('growth_factor'),
      byName.get('auth_enabled_sasl'),
      byName.get('cas_enabled'),
      byName.get('umask'),
    ]).toEqual(['1.25', 'False', 'yes', '448']);
  });

  it('general: the names of a raw `stats` in its order, and its values where they do not move', async () => {
    const rows = await shown('stats_general');
    const raw = await rawStats(own.address);
    expect(rows.map(([name]) => name)).toEqual([...raw.keys()]);
    const byName = new Map(rows);
    for (const name of [
      'pid',
      'version',
      'libevent',
      'pointer_size',
      'max_connections',
      'threads',
      'curr_items',
      'total_items',
      'bytes',
      'limit_maxbytes',
      'evictions',
    ]) {
      expect([name, byName.get(name)]).toEqual([name, raw.get(name)]);
    }
    expect([byName.get('curr_items'), byName.get('hash_is_expanding'), byName.get('version')]).toEqual([
      '1',
      'False',
      '1.6.18',
    ]);
    // pymemcache reads rusage as a float (':' or '.' separated) and Python shows its repr.
    expect(byName.get('rusage_user')).toMatch(/^\d+\.\d+(e-\d+)?$/);
  });

  it('items, slabs and sizes: the rows of the raw call (ages and LRU segment counts aside, which move by themselves)', async () => {
    for (const command of ['items', 'slabs', 'sizes']) {
      const raw = await rawStats(own.address, command);
      const rows = await shown(`stats_${command}`);
      expect(
        rows.map(([name]) => name),
        command,
      ).toEqual([...raw.keys()]);
      // Ages move with the clock, and memcached's background LRU maintainer moves fresh items between segments.
      const settled = ([name]: [string, string]): boolean =>
        !/:(age|number_hot|number_warm|number_cold|moves_|crawler_)/.test(name);
      expect(rows.filter(settled), command).toEqual(
        [...raw].filter(settled).map(([name, value]) => [name, asPymemcacheShowsIt(name, value)]),
      );
    }
    expect(new Map(await shown('stats_items')).get('items:1:number')).toBe('1');
  });

  it("conns: one row per connection field, the backend's own connection among them", async () => {
    const rows = await shown('stats_conns');
    const raw = await rawStats(own.address, 'conns');
    // Each side sees its own connection: compare the kinds of fields (the part after "<fd>:").
    const kinds = (names: string[]): string[] => [...new Set(names.map((name) => name.split(':')[1] ?? name))].sort();
    expect(kinds(rows.map(([name]) => name))).toEqual(kinds([...raw.keys()]));
    expect(rows.filter(([name]) => name.endsWith(':state')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('unreachable server', () => {
  it('is an ERROR naming host:port, with a HINT naming the options', async () => {
    const gone = await startMemcached();
    const address = gone.address;
    await gone.stop();
    await session.client.query(`CREATE FOREIGN TABLE unreachable (key text, value text)
      SERVER mc OPTIONS (row_id 'key', host '${address.host}', port '${address.port}', connect_timeout '0.5')`);
    const error = await sqlError(session.client.query(`SELECT value FROM unreachable WHERE key = 'k'`));
    expect(error.message).toBe(
      `cannot reach memcached at ${address.host}:${address.port} (get of key "k"): connection refused`,
    );
    expect(error.hint).toBe(
      'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout and timeout set how long to wait.',
    );
  });
});
