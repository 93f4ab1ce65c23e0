// IMPORT FOREIGN SCHEMA memcached from a cache server: the cache table with every column and one statistics table per
// stats command, LIMIT TO and EXCEPT, the statement's options, and the errors for what memcached does not have.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMemcached, startMemcachedFleet, type MemcachedHandle } from '../rig/memcached';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';

let memcached: MemcachedHandle;
let server: MemcachedAddress;
let session: HostSession;
let schemaCounter = 0;

beforeAll(async () => {
  memcached = await startMemcached();
  server = memcached.address;
  session = await openSession(await createScratchDatabase(inject('postgres'), 'sql_import'));
  await session.client.query('CREATE EXTENSION IF NOT EXISTS pymcache_fdw CASCADE');
  await session.client.query(`CREATE SERVER mc FOREIGN DATA WRAPPER multicorn
    OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW', host '${server.host}', port '${server.port}')`);
});

afterAll(async () => {
  await session?.close();
  await memcached?.stop();
});

async function freshSchema(): Promise<string> {
  schemaCounter += 1;
  const name = `imported_${schemaCounter}`;
  await session.client.query(`CREATE SCHEMA ${name}`);
  return name;
}

/** The foreign tables of `schema`: name, options and columns with their types. */
async function tablesOf(schema: string): Promise<Array<{ relname: string; ftoptions: string[]; columns: string[] }>> {
  return (
    await session.client.query(
      `
    SELECT c.relname, ft.ftoptions,
           array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) AS columns
      FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
     WHERE n.nspname = $1 GROUP BY c.relname, ft.ftoptions ORDER BY c.relname`,
      [schema],
    )
  ).rows;
}

const CACHE_COLUMNS = [
  'key text',
  'value text',
  'expire integer',
  'flags bigint',
  'cas bigint',
  'last_access timestamp with time zone',
  'size integer',
  'fetched boolean',
];
const STATS_COLUMNS = ['stat_name text', 'stat_value text'];

describe('IMPORT FOREIGN SCHEMA memcached', () => {
  it('creates the cache table and a statistics table per stats command, which work at once', async () => {
    const schema = await freshSchema();
    await session.client.query(`IMPORT FOREIGN SCHEMA memcached FROM SERVER mc INTO ${schema}`);
    expect(await tablesOf(schema)).toEqual([
      { relname: 'cache', ftoptions: ['row_id=key'], columns: CACHE_COLUMNS },
      { relname: 'stats', ftoptions: ['stats_cmd='], columns: STATS_COLUMNS },
      { relname: 'stats_conns', ftoptions: ['stats_cmd=conns'], columns: STATS_COLUMNS },
      { relname: 'stats_items', ftoptions: ['stats_cmd=items'], columns: STATS_COLUMNS },
      { relname: 'stats_settings', ftoptions: ['stats_cmd=settings'], columns: STATS_COLUMNS },
      { relname: 'stats_sizes', ftoptions: ['stats_cmd=sizes'], columns: STATS_COLUMNS },
      { relname: 'stats_slabs', ftoptions: ['stats_cmd=slabs'], columns: STATS_COLUMNS },
    ]);
    await session.client.query(`INSERT INTO ${schema}.cache (key, value, expire) VALUES ('imported', 'yes', 60)`);
    expect((await rawGet(server, 'imported'))!.value.toString()).toBe('yes');
    expect(
      (await session.client.query(`SELECT key, value, flags, expire BETWEEN 59 AND 60 AS ttl FROM ${schema}.cache`))
        .rows,
    ).toEqual([{ key: 'imported', value: 'yes', flags: '0', ttl: true }]);
    expect(
      (await session.client.query(`SELECT stat_value FROM ${schema}.stats WHERE stat_name = 'curr_items'`)).rows,
    ).toEqual([{ stat_value: '1' }]);
    expect(
      (await session.client.query(`SELECT stat_value FROM ${schema}.stats_settings WHERE stat_name = 'cas_enabled'`))
        .rows,
    ).toEqual([{ stat_value: 'yes' }]);
    const error = await sqlError(session.client.query(`DELETE FROM ${schema}.stats`));
    expect([error.message, error.hint]).toEqual([
      'cannot change a statistics table: it shows memcached\'s "stats" (option stats_cmd)',
      'Statistics tables are read-only; write to a cache table of the server.',
    ]);
  });

  it('LIMIT TO and EXCEPT pick tables by name; options set the prefix and the value type', async () => {
    const limited = await freshSchema();
    await session.client
      .query(`IMPORT FOREIGN SCHEMA memcached LIMIT TO (cache, stats_slabs) FROM SERVER mc INTO ${limited}
      OPTIONS (prefix 'app:', value_type 'jsonb')`);
    expect(
      (await tablesOf(limited)).map((table) => [table.relname, table.ftoptions, table.columns.slice(0, 2)]),
    ).toEqual([
      ['cache', ['prefix=app:', 'row_id=key'], ['key text', 'value jsonb']],
      ['stats_slabs', ['stats_cmd=slabs'], STATS_COLUMNS],
    ]);
    await rawSet(server, 'app:doc', '{"a": 1}');
    expect(
      (await session.client.query(`SELECT value->>'a' AS a FROM ${limited}.cache WHERE key = 'doc'`)).rows,
    ).toEqual([{ a: '1' }]);
    const except = await freshSchema();
    await session.client.query(
      `IMPORT FOREIGN SCHEMA memcached EXCEPT (cache, stats_conns, stats_sizes) FROM SERVER mc INTO ${except}`,
    );
    expect((await tablesOf(except)).map((table) => table.relname)).toEqual([
      'stats',
      'stats_items',
      'stats_settings',
      'stats_slabs',
    ]);
  });

  it('statistics tables of a server with a servers list have a server column', async () => {
    const fleet = await startMemcachedFleet(2);
    try {
      await session.client.query(`CREATE SERVER mc_fleet FOREIGN DATA WRAPPER multicorn
        OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW', servers '${fleet.servers.map((a) => `${a.host}:${a.port}`).join(',')}')`);
      const schema = await freshSchema();
      await session.client.query(
        `IMPORT FOREIGN SCHEMA memcached LIMIT TO (stats) FROM SERVER mc_fleet INTO ${schema}`,
      );
      expect((await tablesOf(schema))[0]!.columns).toEqual(['server text', 'stat_name text', 'stat_value text']);
      expect(
        (await session.client.query(`SELECT server FROM ${schema}.stats WHERE stat_name = 'pid' ORDER BY 1`)).rows,
      ).toEqual(
        fleet.servers.map((a) => ({ server: `${a.host}:${a.port}` })).sort((x, y) => x.server.localeCompare(y.server)),
      );
    } finally {
      await fleet.stop();
    }
  });

  it('a schema other than memcached, a table memcached does not offer, or an unknown option is an ERROR', async () => {
    const schema = await freshSchema();
    const wrongSchema = await sqlError(
      session.client.query(`IMPORT FOREIGN SCHEMA public FROM SERVER mc INTO ${schema}`),
    );
    expect([wrongSchema.message, wrongSchema.hint]).toEqual([
      'memcached has no schema "public"',
      'Write IMPORT FOREIGN SCHEMA memcached FROM SERVER ... INTO ...: memcached has no schemas, and "memcached" stands for the whole server.',
    ]);
    const wrongTable = await sqlError(
      session.client.query(`IMPORT FOREIGN SCHEMA memcached LIMIT TO (sessions) FROM SERVER mc INTO ${schema}`),
    );
    expect([wrongTable.message, wrongTable.hint]).toEqual([
      'memcached offers no table "sessions" to import',
      'The tables are: cache, stats, stats_items, stats_settings, stats_slabs, stats_sizes, stats_conns.',
    ]);
    const wrongOption = await sqlError(
      session.client.query(`IMPORT FOREIGN SCHEMA memcached FROM SERVER mc INTO ${schema} OPTIONS (colour 'red')`),
    );
    expect(wrongOption.message).toBe('unknown IMPORT option "colour"; valid options are: prefix, value_type');
    const wrongType = await sqlError(
      session.client.query(`IMPORT FOREIGN SCHEMA memcached FROM SERVER mc INTO ${schema} OPTIONS (value_type 'date')`),
    );
    expect(wrongType.message).toBe(
      'invalid value "date" for IMPORT option "value_type": expected one of text, bytea, json, jsonb, smallint, integer, bigint',
    );
    expect(await tablesOf(schema)).toEqual([]);
  });
});
