// What EXPLAIN says about a cache table's servers and about a key lookup, from the pool that routes the keys
// (server-pool.ts): the text only, so that routing and the words users read in plans change separately.
import { KEYS_PER_GET } from './cache-store';
import { intDiv, intToString } from './ports/runtime';
import type { ServerPool } from './server-pool';

/** What EXPLAIN says about the servers: `memcached host:port`, or the list and the distribution. */
export function describeServers(pool: ServerPool): string {
  const settings = pool.settings;
  if (!settings.listed) return `memcached ${pool.stores[0]!.serverLabel}`;
  const names: string[] = [];
  for (const address of settings.addresses) {
    const name = `${address.host}:${intToString(address.port)}`;
    names.push(address.weight === 1 ? name : `${name}:${intToString(address.weight)}`);
  }
  return `memcached servers ${names.join(', ')} (distribution ${settings.distribution})`;
}

/**
 * What EXPLAIN says about a lookup of `fullKeys`: keys, `gets` lines (KEYS_PER_GET keys each) or meta gets (one per
 * key, when the query needs an item's facts) and the servers asked. All requests go out pipelined, to every server
 * at once: one round trip.
 */
export function describeLookup(pool: ServerPool, fullKeys: string[], withFacts: boolean): string {
  const keyCount = intToString(fullKeys.length);
  let how: string;
  if (withFacts) {
    how = `mg (meta get, with TTL and item facts) of ${keyCount} key(s)`;
  } else {
    const lines = intDiv(fullKeys.length + KEYS_PER_GET - 1, KEYS_PER_GET);
    how = `gets ${keyCount} key(s)` + (lines > 1 ? ` (${intToString(lines)} lines, pipelined)` : '');
  }
  if (pool.only !== null) return `${how} in one round trip`;
  const perServer: Map<number, number> = new Map<number, number>();
  for (const fullKey of fullKeys) {
    const home = pool.homeOf(fullKey);
    const before = perServer.get(home);
    perServer.set(home, before === undefined ? 1 : before + 1);
  }
  const counts: string[] = [];
  const stores = pool.stores;
  for (let position = 0; position < stores.length; position++) {
    const keysThere = perServer.get(position);
    if (keysThere !== undefined) counts.push(`${intToString(keysThere)} on ${stores[position]!.serverLabel}`);
  }
  return (
    `${how} from ${intToString(counts.length)} of ${intToString(stores.length)} servers at once, one round trip: ` +
    counts.join(', ')
  );
}
