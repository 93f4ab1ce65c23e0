// One memcache client per server per backend, shared by every foreign table that names the same server (host, port
// and timeouts), and kept across statements. pymemcache closes its socket after any failure and opens a new one on
// the next call, so a server that comes back is used again without anything to do here.
import { MemcacheClient } from './ports/memcache';
import type { Bytes } from './ports/runtime';
import { formatFloat } from './ports/runtime';
import { endpointLabel, type ServerEndpoint } from './table-options';

/** A value as stored in memcached: its bytes and its client flags. */
export class StoredItem {
  readonly value: Bytes;
  readonly flags: number;
  constructor(value: Bytes, flags: number) {
    this.value = value;
    this.flags = flags;
  }
}

/**
 * Hands pymemcache the bytes and flags of a StoredItem as they are, and returns what memcached holds as a StoredItem:
 * no pickling, no text flags, so values stay readable by every other client.
 */
export class StoredItemSerde {
  serialize(_key: Bytes, item: StoredItem): [Bytes, number] {
    return [item.value, item.flags];
  }

  deserialize(_key: string, value: Bytes, flags: number): StoredItem {
    return new StoredItem(value, flags);
  }
}

const clients: Map<string, MemcacheClient<StoredItem>> = new Map<string, MemcacheClient<StoredItem>>();

/**
 * The endpoint object of the latest lookup and its client. A table asks with the same endpoint object on every
 * statement; recognising it by identity skips building the registry key (two float formats) per statement.
 */
interface LatestLookup {
  endpoint: ServerEndpoint | null;
  client: MemcacheClient<StoredItem> | null;
}
const latest: LatestLookup = { endpoint: null, client: null };

function registryKey(endpoint: ServerEndpoint): string {
  return endpointLabel(endpoint) + ' ' + formatFloat(endpoint.connectTimeout) + ' ' + formatFloat(endpoint.timeout);
}

/**
 * The backend's client for `endpoint`, created on first use. TCP_NODELAY is on (requests are small and
 * latency-bound), noreply is off everywhere (every write is acknowledged, every error seen), and keys go out as
 * UTF-8 (keys.ts has already checked them against memcached's rules).
 */
export function clientFor(endpoint: ServerEndpoint): MemcacheClient<StoredItem> {
  const latestClient = latest.client;
  if (latest.endpoint === endpoint && latestClient !== null) return latestClient;
  const key = registryKey(endpoint);
  const existing = clients.get(key);
  if (existing !== undefined) {
    latest.endpoint = endpoint;
    latest.client = existing;
    return existing;
  }
  const client = new MemcacheClient<StoredItem>([endpoint.host, endpoint.port], {
    connectTimeout: endpoint.connectTimeout,
    timeout: endpoint.timeout,
    noDelay: true,
    serde: new StoredItemSerde(),
    defaultNoreply: false,
    allowUnicodeKeys: true,
  });
  clients.set(key, client);
  latest.endpoint = endpoint;
  latest.client = client;
  return client;
}

/** How many clients the backend holds (tests check that tables on one server share one). */
export function openClientCount(): number {
  return clients.size;
}

/** Closes and forgets every client (Node tests only; a backend keeps its clients until it exits). */
export async function closeAllClients(): Promise<void> {
  for (const client of clients.values()) {
    await client.close();
  }
  clients.clear();
  latest.endpoint = null;
  latest.client = null;
}
