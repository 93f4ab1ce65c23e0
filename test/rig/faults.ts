// Faulty peers for the reliability tests, all real TCP listeners on loopback: a peer that accepts and never answers,
// one that answers every request with bytes that are not a memcached reply, and a relay in front of a real memcached
// that cuts both connections after a given number of reply bytes (a server that dies in the middle of a reply).
// memcached itself is killed and restarted through test/rig/memcached.ts (MemcachedHandle.kill, startMemcachedOnPort).
import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import type { MemcachedAddress } from './memcached';

const LOOPBACK = '127.0.0.1';

export type Peer = { address: MemcachedAddress; stop(): Promise<void> };

async function listen(onConnection: (socket: Socket) => void): Promise<Peer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  server.listen(0, LOOPBACK);
  await once(server, 'listening');
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('faults: the listener has no TCP address');
  return {
    address: { host: LOOPBACK, port: bound.port },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts connections, reads every request, never answers (a hung server, or a firewall that drops replies). */
export function startSilentPeer(): Promise<Peer> {
  return listen((socket) => socket.on('data', () => undefined));
}

/** Answers every chunk of request bytes with `reply` (an HTTP server, an SSH banner, anything but memcached). */
export function startGarbagePeer(reply: string): Promise<Peer> {
  return listen((socket) => socket.on('data', () => socket.write(reply)));
}

/**
 * A relay to `target` that passes requests through and replies back. On its first `cuts` connections it counts the
 * reply bytes that follow the first request holding `countFrom` (e.g. 'set ': the writes of a COMMIT, not the
 * `stats settings` before them), and once `replyBytes` of them have gone to the client it destroys both sides (the
 * server died part-way through a reply). Later connections are relayed whole. `connections()` counts them all.
 */
export async function startCuttingRelay(
  target: MemcachedAddress,
  replyBytes: number,
  countFrom: string,
  cuts = 1,
): Promise<Peer & { connections(): number }> {
  let accepted = 0;
  const peer = await listen((client) => {
    accepted += 1;
    const limit = accepted <= cuts ? replyBytes : Number.POSITIVE_INFINITY;
    let counting = false;
    const upstream = new Socket();
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (!counting) {
        client.write(chunk);
        return;
      }
      const room = limit - sent;
      if (chunk.length >= room) {
        client.write(chunk.subarray(0, room), () => {
          client.destroy();
          upstream.destroy();
        });
        sent = limit;
        return;
      }
      sent += chunk.length;
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      if (!counting && chunk.includes(countFrom)) counting = true;
      upstream.write(chunk);
    });
    upstream.connect(target.port, target.host);
  });
  return { ...peer, connections: () => accepted };
}
