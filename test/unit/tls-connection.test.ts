// The connection layer over TLS, in Node against memcached 1.6.18 -Z: pipelined sets of 1 KB values, which that
// memcached leaves half-read inside its TLS layer until more bytes arrive, all get their replies because the connection
// wakes the server after a silent slice (TLS_WAKE_SECONDS); the woken connection is closed once the request is done
// (the wake-up's own reply is still on its way). The same pipeline over plain TCP keeps its connection.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CacheStore, type StoredItem } from '../../src/cache-store';
import {
  closeAllConnections,
  connectionTo,
  plainConnection,
  type ConnectionSecurity,
} from '../../src/memcache/connection';
import { uniquePrefix, type MemcachedHandle } from '../rig/memcached';
import { makeTlsFiles, startTlsMemcached, type TlsFiles } from '../rig/tls';

let files: TlsFiles;
let memcached: MemcachedHandle;
let security: ConnectionSecurity;

beforeAll(async () => {
  files = makeTlsFiles();
  memcached = await startTlsMemcached(files.server);
  security = { ...plainConnection(), tls: 'on', tlsCaFile: files.ca };
});

afterAll(async () => {
  closeAllConnections();
  await memcached?.stop();
  files?.remove();
});

function store(address: { host: string; port: number }, settings: ConnectionSecurity): CacheStore {
  return new CacheStore(
    { ...address, connectTimeout: 2, timeout: 5, listed: false, security: settings, itemSizeMax: null },
    '',
  );
}

describe('pipelined writes over TLS', () => {
  it('300 sets of 1000 bytes in one request: every reply arrives, and the woken connection is closed afterwards', async () => {
    const prefix = uniquePrefix('wake');
    const keys = Array.from({ length: 300 }, (_, i) => `${prefix}${i}`);
    const items = keys.map((): StoredItem => ({
      value: new Uint8Array(1000).fill(0x61),
      flags: 0,
      cas: null,
      facts: null,
    }));
    const tls = store(memcached.address, security);
    expect(await tls.setPipelined(keys, items, 0)).toEqual([]);
    // Whether memcached stalled this time depends on timing (on a loaded machine it may read everything at once): a
    // woken connection is closed, one that was not stays open; either way the next request must work on it.
    const found = await tls.getMany(keys);
    expect(found.size).toBe(300);
    // Plain TCP needs no wake-up: the connection stays open for the next request.
    const plainServer = inject('memcachedServers')[0]!;
    expect(await store(plainServer, plainConnection()).setPipelined(keys, items, 0)).toEqual([]);
    expect(connectionTo(plainServer.host, plainServer.port, plainConnection()).isOpen).toBe(true);
  });
});
