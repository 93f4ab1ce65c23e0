// TCP_NODELAY on every connection the client opens (issue 11): requests are small and latency-bound, and Nagle's
// algorithm would hold the second of two small writes until the first is acknowledged. The option is read back from
// the kernel, on connections to a real memcached: in Python with getsockopt on the socket the socket port opened (the
// `_sock` of pymcache_fdw._socket.Socket, also the one a read through ServerPool leaves on its connection); in Node,
// whose net.Socket can set the option but not read it, by handing a duplicate of the socket's descriptor to a Python
// child (spawn's stdio), which reads it with getsockopt: the option belongs to the socket, not the descriptor. A plain
// socket, on which nobody set it, reads 0 both ways: the probe can tell.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeAllConnections, connectionTo, plainConnection } from '../../src/memcache/connection';
import { openSocket, type Socket } from '../../src/ports/socket';
import { PYTHON } from '../rig/differential';
import type { MemcachedAddress } from '../rig/raw-memcached';
import { PythonClient } from './client-driver';

const memcached: MemcachedAddress = inject('memcachedServers')[0]!;
let python: PythonClient;

beforeAll(() => {
  python = new PythonClient();
});

afterAll(async () => {
  closeAllConnections();
  await python?.close();
});

const PROBE = [
  'import socket',
  'probe = socket.socket(fileno=3)',
  'print(probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))',
].join('\n');

/** TCP_NODELAY of `socket` as the kernel reports it, read by a Python child holding a duplicate of its descriptor. */
async function nodelayOf(socket: NetSocket): Promise<number> {
  const child = spawn(PYTHON, ['-c', PROBE], { stdio: ['ignore', 'pipe', 'inherit', socket] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'close')) as [number | null];
  expect(code, 'the probe exits normally').toBe(0);
  return Number(output.trim());
}

/** The node:net socket under the port's Socket (a private field: the port exposes no socket options). */
function rawOf(socket: Socket): NetSocket {
  return (socket as unknown as { raw: NetSocket }).raw;
}

describe('Node: TCP_NODELAY on the sockets of src/ports/socket.ts', () => {
  it('a plain node:net socket to memcached reads 0 (the probe sees the option unset)', async () => {
    const plain = new NetSocket();
    plain.connect(memcached.port, memcached.host);
    await once(plain, 'connect');
    try {
      expect(await nodelayOf(plain)).toBe(0);
    } finally {
      plain.destroy();
    }
  });

  it('openSocket to memcached: TCP_NODELAY is 1', async () => {
    const socket = await openSocket(memcached.host, memcached.port, { connectTimeout: 2 });
    try {
      expect(await nodelayOf(rawOf(socket))).toBe(1);
    } finally {
      socket.close();
    }
  });

  it("the socket a Connection opens for the client's requests: TCP_NODELAY is 1", async () => {
    const connection = connectionTo(memcached.host, memcached.port, plainConnection());
    await connection.ready(2);
    const socket = (connection as unknown as { socket: Socket | null }).socket;
    expect(socket).not.toBeNull();
    expect(await nodelayOf(rawOf(socket!))).toBe(1);
  });
});

describe('Python: TCP_NODELAY on the sockets of pymcache_fdw/_socket.py', () => {
  it('open_socket and the connection of a ServerPool read: 1; a plain socket.socket: 0', async () => {
    const outcome = await python.request({ op: 'nodelay', host: memcached.host, port: memcached.port });
    expect(outcome).toEqual({ port: 1, connection: 1, plain: 0 });
  });
});
