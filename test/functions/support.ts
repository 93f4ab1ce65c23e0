// Shared by the function API tests (memcache_get, memcache_set, ... of the pymcache_fdw extension): a scratch
// database with the extensions, a cache server and tables, the database's pymcache_fdw.default_table and search_path
// set as a DBA would, sessions that see those settings, and memcached read with an independent raw-protocol client.
import { inject } from 'vitest';
import { connect, createScratchDatabase, installedMulticorn, type PostgresConnection } from '../rig/postgres';
import { openSession, type HostSession } from '../host/helpers';
import { uniquePrefix } from '../rig/memcached';
import { rawGet, type MemcachedAddress } from '../rig/raw-memcached';

export type FunctionsDatabase = {
  connection: PostgresConnection;
  /** The session that created the database (its settings predate ALTER DATABASE: it sets them itself). */
  admin: HostSession;
  /** Sessions opened by `session()`, closed by `close()`. */
  sessions: HostSession[];
  session(user?: string): Promise<HostSession>;
  close(): Promise<void>;
};

export type CacheTable = { table: string; prefix: string; servers: MemcachedAddress[] };

/**
 * A fresh database `name` with multicorn, pymcache_fdw, a server `mc` for PymcacheFDW, and the database settings
 * `search_path` (pymcache_fdw's schema after public, so the article's unqualified memcache_set resolves) and
 * `pymcache_fdw.default_table` = `defaultTable` when given.
 */
export async function openFunctionsDatabase(
  name: string,
  defaultTable: string | null = 'public.cache',
): Promise<FunctionsDatabase> {
  installedMulticorn();
  const connection = await createScratchDatabase(inject('postgres'), name);
  const admin = await openSession(connection);
  await admin.client.query('CREATE EXTENSION pymcache_fdw CASCADE');
  await admin.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  await admin.client.query(`ALTER DATABASE ${name} SET search_path = "$user", public, pymcache_fdw`);
  await admin.client.query('SET search_path = "$user", public, pymcache_fdw');
  if (defaultTable !== null) {
    await admin.client.query(`ALTER DATABASE ${name} SET pymcache_fdw.default_table = '${defaultTable}'`);
    await admin.client.query(`SET pymcache_fdw.default_table = '${defaultTable}'`);
  }
  const sessions: HostSession[] = [];
  return {
    connection,
    admin,
    sessions,
    session: async (user?: string) => {
      const opened = await openSession(user === undefined ? connection : { ...connection, user });
      sessions.push(opened);
      return opened;
    },
    close: async () => {
      for (const opened of sessions) await opened.close();
      await admin.close();
      const postgres = await connect({ ...connection, database: 'postgres' });
      try {
        await postgres.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await postgres.end();
      }
    },
  };
}

/**
 * A cache table (key text, value text) named `table` on `servers` (one: host/port; several: servers, with
 * `distribution` when given) under a fresh prefix, `options` appended.
 */
export async function createCacheTable(
  database: FunctionsDatabase,
  table: string,
  servers: MemcachedAddress[],
  options = '',
  prefix: string | null = uniquePrefix('fn'),
): Promise<CacheTable> {
  const where =
    servers.length === 1
      ? `host '${servers[0]!.host}', port '${servers[0]!.port}'`
      : `servers '${servers.map((server) => `${server.host}:${server.port}`).join(',')}'`;
  const prefixOption = prefix === null ? '' : `, prefix '${prefix}'`;
  const more = options === '' ? '' : `, ${options}`;
  await database.admin.client.query(`CREATE FOREIGN TABLE ${table} (key text, value text)
    SERVER mc OPTIONS (${where}, row_id 'key'${prefixOption}${more})`);
  return { table, prefix: prefix ?? '', servers };
}

/** What memcached holds for each of `keys` of one-server table `cache` (as text), null for a miss. */
export async function held(cache: CacheTable, keys: string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (const key of keys) {
    const item = await rawGet(cache.servers[0]!, cache.prefix + key);
    values.push(item === null ? null : item.value.toString('utf8'));
  }
  return values;
}

/** The rows of `sql` as arrays of their values, in column order. */
export async function rows(session: HostSession, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  const result = await session.client.query({ text: sql, values: params, rowMode: 'array' });
  return result.rows as unknown[][];
}

/** The single value `sql` returns. */
export async function value(session: HostSession, sql: string, params: unknown[] = []): Promise<unknown> {
  const result = await rows(session, sql, params);
  if (result.length !== 1 || result[0]!.length !== 1)
    throw new Error(`expected one value from ${sql}, got ${JSON.stringify(result)}`);
  return result[0]![0];
}

export const sharedServers = (): MemcachedAddress[] => inject('memcachedServers');
