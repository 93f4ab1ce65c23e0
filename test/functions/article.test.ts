// The seed article ("Memcache Access From PostgreSQL") end to end, with this extension in place of its PL/Perl
// functions: two memcached servers, listed in the same order as the application's Perl Cache::Memcached lists them
// (distribution 'modula', Cache::Memcached's own placement), the article's simple test, its sessions table and rules
// verbatim, and Perl reading what SQL wrote and writing what SQL reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerAddress } from '../../src/options';
import type { HostSession } from '../host/helpers';
import { clientPlacement, runClient } from '../interop/clients';
import { startMemcached, type MemcachedHandle } from '../rig/memcached';
import { rawGet } from '../rig/raw-memcached';
import { createCacheTable, openFunctionsDatabase, rows, type FunctionsDatabase } from './support';

let servers: MemcachedHandle[];
let fleet: ServerAddress[];
let database: FunctionsDatabase;
let psql: HostSession;

/** The SQL of the article, as it is printed there (rules and all). */
const ARTICLE_SQL = {
  table: `create table sessions (
	session_id char(32) not null,
	data bytea not null default ''
)`,
  insertRule: `create rule session_insert_rule as on insert to sessions
	do also select memcache_set(NEW.session_id::text, NEW.data)`,
  updateRule: `create rule session_update_rule as on update to sessions
	do also select memcache_set(NEW.session_id::text, NEW.data)`,
};

const SESSION_ID = '5cc27b0285c9d2e6dc4125456d308548';

beforeAll(async () => {
  servers = [await startMemcached(), await startMemcached()];
  fleet = servers.map((server) => ({ host: server.address.host, port: server.address.port, weight: 1 }));
  database = await openFunctionsDatabase('functions_article');
  // No prefix: the application's Perl client reads and writes the same keys.
  await createCacheTable(
    database,
    'cache',
    servers.map((server) => server.address),
    "distribution 'modula'",
    null,
  );
  psql = await database.session();
});

afterAll(async () => {
  await database?.close();
  for (const server of servers ?? []) await server.stop();
});

/** The server Cache::Memcached picks for `key`, and whether memcached holds `value` there and nowhere else. */
async function placedAsPerl(key: string, value: string): Promise<boolean> {
  const [position] = await clientPlacement('cache-memcached', fleet, [key]);
  const found = await Promise.all(servers.map((server) => rawGet(server.address, key)));
  return found.every((item, i) => (i === position ? item?.value.toString() === value : item === null));
}

describe('the article, on two memcached servers with Cache::Memcached', () => {
  it('A Simple Test: memcache_set then memcache_get', async () => {
    expect(await rows(psql, "select memcache_set('foo', 'bar')")).toEqual([[true]]);
    expect(await rows(psql, "select memcache_get('foo')")).toEqual([['bar']]);
    expect(await placedAsPerl('foo', 'bar')).toBe(true);
    expect(await runClient('cache-memcached', 'read', fleet, ['foo'])).toEqual(['HIT bar']);
  });

  it('Database Session Handler: the sessions table and its two rules, verbatim', async () => {
    await psql.client.query(ARTICLE_SQL.table);
    await psql.client.query(ARTICLE_SQL.insertRule);
    await psql.client.query(ARTICLE_SQL.updateRule);
    await psql.client.query(`insert into sessions values ('${SESSION_ID}', 
     'This would be the session data')`);
    expect(await rows(psql, `select memcache_get('${SESSION_ID}')`)).toEqual([['This would be the session data']]);
    expect(await runClient('cache-memcached', 'read', fleet, [SESSION_ID])).toEqual([
      'HIT This would be the session data',
    ]);
    await psql.client.query(`update sessions set data = 'This is the new data' where
   session_id = '${SESSION_ID}'`);
    expect(await rows(psql, `select memcache_get('${SESSION_ID}')`)).toEqual([['This is the new data']]);
    expect(await runClient('cache-memcached', 'read', fleet, [SESSION_ID])).toEqual(['HIT This is the new data']);
    expect(await placedAsPerl(SESSION_ID, 'This is the new data')).toBe(true);
  });

  it('many sessions: every one is where Cache::Memcached looks for it; a rolled-back one never reaches memcached', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `${i.toString(16).padStart(4, '0')}${'0'.repeat(28)}`);
    await psql.client.query(
      "insert into sessions select id, convert_to('session ' || id, 'UTF8') from unnest($1::text[]) as id",
      [ids],
    );
    const read = await runClient('cache-memcached', 'read', fleet, ids);
    expect(read).toEqual(ids.map((id) => `HIT session ${id}`));
    const lost = 'f'.repeat(32);
    await psql.client.query('begin');
    await psql.client.query(`insert into sessions values ('${lost}', 'rolled back')`);
    await psql.client.query('rollback');
    expect(await runClient('cache-memcached', 'read', fleet, [lost])).toEqual(['MISS']);
    // Both servers hold sessions: the distribution is really spread.
    const positions = new Set(await clientPlacement('cache-memcached', fleet, ids));
    expect(positions.size).toBe(2);
  });

  it('Perl writes, SQL reads: memcache_get and memcache_get_multi find every key on the server Perl chose', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `perl-${i}`);
    expect(await runClient('cache-memcached', 'write', fleet, keys)).toEqual([`stored ${keys.length}`]);
    const single = await rows(psql, 'select k, memcache_get(k) from unnest($1::text[]) as k', [keys]);
    expect(single).toEqual(keys.map((key) => [key, `value:${key}`]));
    const multi = await rows(psql, 'select key, value from memcache_get_multi($1::text[])', [keys]);
    expect(multi).toEqual(keys.map((key) => [key, `value:${key}`]));
  });
});
