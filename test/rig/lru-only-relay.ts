// A relay in front of a real memcached that makes it look like a server without the hash table walk: it answers
// `lru_crawler metadump hash` with BADCLASS, as memcached does where that walk does not exist, and relays every other
// byte both ways unchanged. The listing's fallback to `lru_crawler metadump all` (src/item-dump.ts) runs against it.
import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import type { MemcachedAddress } from './memcached';

const HASH_WALK = Buffer.from('lru_crawler metadump hash\r\n');
const REFUSAL = Buffer.from('BADCLASS invalid class id\r\n');

export type LruOnlyRelay = {
  address: MemcachedAddress;
  /** How many `lru_crawler metadump hash` requests it refused. */
  hashWalksRefused(): number;
  stop(): Promise<void>;
};

export async function startLruOnlyRelay(target: MemcachedAddress): Promise<LruOnlyRelay> {
  let refused = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = new Socket();
    sockets.add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // A listing sends the crawler command on its own, after the reply to `stats` (no other request is in flight).
    client.on('data', (chunk: Buffer) => {
      if (chunk.equals(HASH_WALK)) {
        refused += 1;
        client.write(REFUSAL);
        return;
      }
      upstream.write(chunk);
    });
    upstream.connect(target.port, target.host);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('lru-only relay: the listener has no TCP address');
  return {
    address: { host: '127.0.0.1', port: bound.port },
    hashWalksRefused: () => refused,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
