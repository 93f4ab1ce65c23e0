// Behaviour of the Node memcache client that a call-by-call comparison cannot show: connection handling
// (lazy, one connection, closed after errors and reopened), pipelining, timeouts, concurrency, bytes-keyed stats,
// and the documented limits. Real memcached servers: the shared fleet (unique key prefixes, since test files run in
// parallel) or a private instance where server-wide counters are read.
import { randomBytes } from 'node:crypto';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  BytesKeyedMap, MemcacheClient, MemcacheIllegalInputError, MemcacheServerError, MemcacheUnexpectedCloseError, TransportError,
} from '../../src/ports/memcache';
import type { Bytes } from '../../src/ports/runtime';
import { startMemcached, type MemcachedAddress } from '../rig/memcached';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const text = (value: Bytes | null | undefined): string | null => (value === null || value === undefined ? null : Buffer.from(value).toString('utf8'));
const uniquePrefix = (): string => `t${randomBytes(6).toString('hex')}:`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sharedServer(): MemcachedAddress {
  const servers = inject('memcachedServers');
  const first = servers[0];
  if (first === undefined) throw new Error('the global setup provided no memcached servers');
  return first;
}

function clientFor(address: MemcachedAddress, options: ConstructorParameters<typeof MemcacheClient<Bytes>>[1] = {}): MemcacheClient<Bytes> {
  const client = new MemcacheClient<Bytes>([address.host, address.port], options);
  cleanups.push(() => client.close());
  return client;
}

async function privateServer(): Promise<{ address: MemcachedAddress; stop(): Promise<void> }> {
  const server = await startMemcached();
  cleanups.push(server.stop);
  return server;
}

async function totalConnections(observer: MemcacheClient<Bytes>): Promise<number> {
  const value = (await observer.stats()).get(bytes('total_connections'));
  if (typeof value !== 'number') throw new Error('stats has no numeric total_connections');
  return value;
}

/** A loopback TCP server for failure modes real memcached does not produce on demand (a server that never answers). */
async function listen(onConnection: (socket: Socket) => void): Promise<{ address: MemcachedAddress; server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { address: { host: '127.0.0.1', port: address.port }, server };
}

describe('connection handling (like pymemcache: lazy, one socket, closed on any error, reopened on the next call)', () => {
  it('opens no connection until the first call, then reuses one, and reconnects after a server error', async () => {
    const { address } = await privateServer();
    const observer = clientFor(address, { defaultNoreply: false });
    const client = clientFor(address, { defaultNoreply: false });
    const before = await totalConnections(observer);
    expect(await totalConnections(observer)).toBe(before); // the observer itself keeps one connection
    await client.set('k', bytes('v'));
    const afterFirstCall = await totalConnections(observer);
    expect(afterFirstCall - before).toBe(1);
    expect(text(await client.get('k'))).toBe('v');
    expect(await totalConnections(observer)).toBe(afterFirstCall);
    await expect(client.set('big', new Uint8Array(1_100_000))).rejects.toThrow(new MemcacheServerError("b'object too large for cache'"));
    expect(text(await client.get('k'))).toBe('v');
    expect((await totalConnections(observer)) - afterFirstCall).toBe(1);
  });

  it('reports a server that went away as MemcacheUnexpectedCloseError, then ECONNREFUSED on the reconnect', async () => {
    const server = await privateServer();
    const client = clientFor(server.address, { defaultNoreply: false });
    await client.set('k', bytes('v'));
    await server.stop();
    await expect(client.get('k')).rejects.toBeInstanceOf(MemcacheUnexpectedCloseError);
    const refused = await client.get('k').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TransportError);
    expect((refused as TransportError).code).toBe('ECONNREFUSED');
  });

  it('times out a server that accepts but never answers (TransportError "timed out") and drops that connection', async () => {
    let connections = 0;
    const { address } = await listen(() => {
      connections += 1;
    });
    const client = clientFor(address, { timeout: 0.2 });
    const error = await client.get('k').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).message).toBe('timed out');
    await client.get('k').catch(() => undefined);
    expect(connections).toBe(2);
  });

  it('runs concurrent calls one at a time on its single connection, each getting its own reply', async () => {
    const prefix = uniquePrefix();
    const client = clientFor(sharedServer(), { defaultNoreply: false });
    const keys = Array.from({ length: 50 }, (_, i) => `${prefix}${i}`);
    await Promise.all(keys.map((key, i) => client.set(key, bytes(`value-${i}`))));
    const values = await Promise.all(keys.map((key) => client.get(key)));
    expect(values.map(text)).toEqual(keys.map((_, i) => `value-${i}`));
  });
});

describe('pipelining', () => {
  it('setMany, getMany and deleteMany write every request before reading any reply', async () => {
    const target = sharedServer();
    const seen: { clientBytes: number; beforeFirstReply: number | null } = { clientBytes: 0, beforeFirstReply: null };
    // A relay between the client and the real memcached that notes how much the client had sent when the first reply came back.
    const { address } = await listen((downstream) => {
      const upstream = connectTcp(target.port, target.host);
      upstream.on('error', () => downstream.destroy());
      downstream.on('data', (chunk: Buffer) => {
        seen.clientBytes += chunk.length;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        seen.beforeFirstReply ??= seen.clientBytes;
        downstream.write(chunk);
      });
      downstream.once('close', () => upstream.destroy());
    });
    const prefix = uniquePrefix();
    const client = clientFor(address, { defaultNoreply: false });
    const values = new Map(Array.from({ length: 100 }, (_, i) => [`${prefix}${i}`, bytes(`v${i}`)] as [string, Uint8Array]));
    const expectedBytes = [...values].reduce((sum, [key, value]) => sum + `set ${key} 0 0 ${value.length}\r\n`.length + value.length + 2, 0);
    expect(await client.setMany(values)).toEqual([]);
    expect(seen).toEqual({ clientBytes: expectedBytes, beforeFirstReply: expectedBytes });

    const found = await client.getMany([...values.keys(), `${prefix}missing`]);
    expect(found.size).toBe(100);
    expect(text(found.get(`${prefix}99`))).toBe('v99');
    expect(await client.deleteMany([...values.keys()])).toBe(true);
    expect((await client.getMany([...values.keys()])).size).toBe(0);
  });
});

describe('stats and value types', () => {
  it('returns a map keyed by bytes that finds entries by content, in server order', async () => {
    const client = clientFor(sharedServer());
    const stats = await client.stats();
    expect(stats).toBeInstanceOf(BytesKeyedMap);
    expect(text(stats.get(bytes('version')) as Bytes)).toBe('1.6.18');
    expect(typeof stats.get(bytes('pid'))).toBe('number');
    expect(typeof stats.get(bytes('hash_is_expanding'))).toBe('boolean');
    expect(stats.has(bytes('no_such_stat'))).toBe(false);
    expect(text([...stats.keys()][0])).toBe('pid');
    const settings = await client.stats('settings');
    expect(settings.get(bytes('umask'))).toBe(0o700);
    expect(settings.get(bytes('growth_factor'))).toBe(1.25);
    expect(text(settings.get(bytes('evictions')) as Bytes)).toBe('on');
  });

  it('rounds incr/decr results beyond 2^53 (memcached counters are 64-bit; Python keeps them exact)', async () => {
    const key = `${uniquePrefix()}counter`;
    const client = clientFor(sharedServer(), { defaultNoreply: false });
    await client.set(key, bytes('18446744073709551614'));
    expect(await client.incr(key, 1)).toBe(18446744073709552000);
    expect(await client.incr(key, 1)).toBe(0); // memcached wraps at 2^64
  });

  it('refuses keys with lone surrogates even with allowUnicodeKeys (pymemcache raises UnicodeEncodeError there)', async () => {
    const client = clientFor(sharedServer(), { allowUnicodeKeys: true });
    await expect(client.get('bad\ud800')).rejects.toThrow(
      new MemcacheIllegalInputError("'utf-8' codec can't encode character '\\ud800' in position 3: surrogates not allowed"),
    );
  });
});
