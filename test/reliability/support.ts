// Shared by the reliability tests: a scratch database with the extensions and one cache server, cache tables under
// fresh prefixes, and what memcached holds read through an independent raw-protocol client (never the wrapper's).
import { inject } from 'vitest';
import { createScratchDatabase, type PostgresConnection } from '../rig/postgres';
import { openSession, type HostSession } from '../host/helpers';
import { uniquePrefix } from '../rig/memcached';
import { rawGet, type MemcachedAddress } from '../rig/raw-memcached';

export type CacheTable = { table: string; prefix: string; address: MemcachedAddress };

/** A scratch database named `name` with multicorn and a `mc` server for PymcacheFDW, and a session on it. */
export async function openReliabilityDatabase(
  name: string,
): Promise<{ session: HostSession; connection: PostgresConnection }> {
  const connection = await createScratchDatabase(inject('postgres'), name);
  const session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  return { session, connection };
}

let tableCounter = 0;

/** A cache table (key text, value text, expire integer) under a fresh prefix on `address`, `options` appended. */
export async function createCacheTable(
  session: HostSession,
  address: MemcachedAddress,
  options = '',
): Promise<CacheTable> {
  tableCounter += 1;
  const table = `cache_${tableCounter}`;
  const prefix = uniquePrefix('rel');
  const more = options === '' ? '' : `, ${options}`;
  await session.client.query(`CREATE FOREIGN TABLE ${table} (key text, value text, expire integer)
    SERVER mc OPTIONS (host '${address.host}', port '${address.port}', row_id 'key', prefix '${prefix}'${more})`);
  return { table, prefix, address };
}

/** What memcached holds for each of `keys` of `cache` (as text), null for a miss. */
export async function held(cache: CacheTable, keys: string[]): Promise<Array<string | null>> {
  const values: Array<string | null> = [];
  for (const key of keys) {
    const item = await rawGet(cache.address, cache.prefix + key);
    values.push(item === null ? null : item.value.toString('utf8'));
  }
  return values;
}
