// Faulty peers for the reliability tests, all real TCP listeners on loopback: a peer that accepts and never answers
// (counting the connections it accepts), one that never even reads, one that answers every request with bytes that
// are not a memcached reply, a relay in front of a real memcached that cuts both connections after a given number of
// reply bytes (a server that dies in the middle of a reply), a blackhole whose connects hang (a full backlog), a pair
// of relays in front of two real memcacheds that hold every reply until both have a request (a barrier), and a peer
// that answers each connection's first request with the bytes the test chose, then closes it.
// memcached itself is killed and restarted through test/rig/memcached.ts (MemcachedHandle.kill, startMemcachedOnPort).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { LOOPBACK } from './ports';
import type { MemcachedAddress } from './memcached';

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

/**
 * Accepts connections, reads every request, never answers (a hung server, or a firewall that drops replies);
 * `connections()` counts the connections it accepted.
 */
export async function startSilentPeer(): Promise<Peer & { connections(): number }> {
  let accepted = 0;
  const peer = await listen((socket) => {
    accepted += 1;
    socket.on('data', () => undefined);
  });
  return { ...peer, connections: () => accepted };
}

/** Accepts connections and never reads from them: once the socket buffers are full, a client's send blocks. */
export function startDeafPeer(): Promise<Peer> {
  return listen((socket) => socket.pause());
}

/**
 * A listener that never accepts, its backlog filled: the kernel drops further SYNs, so a connect to it hangs until
 * the client's own timeout (a host that has gone away, or a firewall that drops packets). A Python child holds the
 * listening socket (Node would accept).
 */
export async function startBlackhole(): Promise<Peer> {
  const child = spawn('/usr/bin/python3', [
    '-c',
    'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)',
  ]);
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const port = Number(line);
  const fillers: Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const filler = new Socket();
    filler.on('error', () => undefined);
    filler.connect(port, LOOPBACK);
    fillers.push(filler);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    address: { host: LOOPBACK, port },
    stop: async () => {
      for (const filler of fillers) filler.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
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

/**
 * Two relays, each in front of its own real memcached, that hold back every reply until both have received a
 * request since the barrier was armed (when started, and again after `rearm()`), then pass everything through both
 * ways. A client that reads one server's reply before writing to the other waits forever (and fails by its read
 * timeout); one that writes to every server before reading gets every reply. Held replies of a connection the client
 * closes are dropped. `opened()` says whether the barrier has opened since it was last armed.
 */
export async function startBarrierRelays(
  first: MemcachedAddress,
  second: MemcachedAddress,
): Promise<{ relays: [Peer, Peer]; rearm(): void; opened(): boolean; stop(): Promise<void> }> {
  const seen: [boolean, boolean] = [false, false];
  let open = false;
  // The connections holding replies, each with the function that writes them out once the barrier opens.
  const holding = new Set<() => void>();
  const start = (side: 0 | 1, target: MemcachedAddress): Promise<Peer> =>
    listen((client) => {
      const upstream = new Socket();
      let held: Buffer[] = [];
      const release = (): void => {
        for (const chunk of held) client.write(chunk);
        held = [];
      };
      upstream.on('error', () => client.destroy());
      client.on('close', () => {
        holding.delete(release);
        held = [];
        upstream.destroy();
      });
      upstream.on('data', (chunk: Buffer) => {
        if (open) {
          client.write(chunk);
          return;
        }
        held.push(chunk);
        holding.add(release);
      });
      client.on('data', (chunk: Buffer) => {
        seen[side] = true;
        if (!open && seen[0] && seen[1]) {
          open = true;
          for (const waiting of holding) waiting();
          holding.clear();
        }
        upstream.write(chunk);
      });
      upstream.connect(target.port, target.host);
    });
  const relays: [Peer, Peer] = [await start(0, first), await start(1, second)];
  return {
    relays,
    rearm: () => {
      seen[0] = false;
      seen[1] = false;
      open = false;
    },
    opened: () => open,
    stop: async () => {
      await Promise.all(relays.map((relay) => relay.stop()));
    },
  };
}

/**
 * Answers the first request of each connection with the bytes last given to `serve` (none until then), then closes
 * the connection: each read of a client that opens a new connection per request gets the reply of its turn (the
 * fuzz run of garbage replies through the client's read path). `connections()` counts the connections accepted.
 */
export async function startOneReplyPeer(): Promise<Peer & { serve(reply: Uint8Array): void; connections(): number }> {
  let reply: Uint8Array = new Uint8Array(0);
  let accepted = 0;
  const peer = await listen((socket) => {
    accepted += 1;
    socket.once('data', () => socket.end(reply));
  });
  return {
    ...peer,
    serve: (next: Uint8Array) => {
      reply = next;
    },
    connections: () => accepted,
  };
}

/**
 * A relay in front of a real memcached that makes it look like a server without the hash table walk: it answers
 * `lru_crawler metadump hash` with BADCLASS, as memcached does where that walk does not exist, and relays every other
 * byte both ways unchanged (the listing's fallback to `lru_crawler metadump all`, src/item-dump.ts).
 * `hashWalksRefused()` counts the hash walks it refused.
 */
export async function startLruOnlyRelay(target: MemcachedAddress): Promise<Peer & { hashWalksRefused(): number }> {
  const hashWalk = Buffer.from('lru_crawler metadump hash\r\n');
  let refused = 0;
  const peer = await listen((client) => {
    const upstream = new Socket();
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // A listing sends the crawler command on its own, after the reply to `stats` (no other request is in flight).
    client.on('data', (chunk: Buffer) => {
      if (chunk.equals(hashWalk)) {
        refused += 1;
        client.write('BADCLASS invalid class id\r\n');
        return;
      }
      upstream.write(chunk);
    });
    upstream.connect(target.port, target.host);
  });
  return { ...peer, hashWalksRefused: () => refused };
}
