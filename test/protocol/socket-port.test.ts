// The socket port's two bindings (src/ports/socket.ts in Node, python-out/pymcache_fdw/_socket.py under
// /usr/bin/python3) run the same scenarios against real peers: memcached, a port nobody listens on, a host name that
// does not resolve, a peer that never answers, one that closes at once, one that talks unasked, and a listener whose
// backlog is full; and over TLS, memcached started with -Z and certificates the rig makes (trusted, self-signed, for
// another host name, expired; client certificates required, given, from another CA; files missing, not PEM,
// mismatched). Both must report the same steps, failure kinds and messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, Socket as NetSocket, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSocket, SocketError, type TlsMode } from '../../src/ports/socket';
import { PYTHON, PYTHONPATH, REPO_ROOT } from '../rig/differential';
import type { MemcachedHandle } from '../rig/memcached';
import { makeTlsFiles, startTlsMemcached, type TlsFiles } from '../rig/tls';

type TlsSettings = { tls: TlsMode; tlsCaFile: string | null; tlsCertFile: string | null; tlsKeyFile: string | null };
type Action =
  | ['send', string, number]
  | ['receiveUntil', string]
  | ['receiveBytes', number]
  | ['receive']
  | ['sleep', number]
  | ['stale']
  | ['close'];
interface Scenario {
  host: string;
  port: number;
  connectTimeout: number;
  timeout: number;
  /** TLS settings passed to openSocket as they are (snake_case keywords in Python); absent: plain TCP. */
  tls?: TlsSettings;
  actions: Action[];
}
type Step = unknown[];

const memcached = inject('memcachedServers')[0]!;
const servers: Server[] = [];
const held: NetSocket[] = [];
const children: ChildProcess[] = [];
const tlsServers: MemcachedHandle[] = [];
let tlsFiles: TlsFiles | null = null;

/** A TCP listener on loopback whose connections `onConnection` handles; closed after the tests. */
async function peer(onConnection: (socket: NetSocket) => void, backlog = 511): Promise<number> {
  const server = createServer((socket) => {
    held.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  server.listen({ host: '127.0.0.1', port: 0, backlog });
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function inNode(scenario: Scenario): Promise<Step[]> {
  const steps: Step[] = [];
  try {
    const socket = await openSocket(scenario.host, scenario.port, {
      connectTimeout: scenario.connectTimeout,
      ...scenario.tls,
    });
    for (const action of scenario.actions) {
      if (action[0] === 'send') {
        await socket.sendAll(new Uint8Array(Buffer.from(action[1].repeat(action[2]), 'latin1')), scenario.timeout);
        steps.push(['sent']);
      } else if (action[0] === 'receiveUntil') {
        let received = Buffer.alloc(0);
        let ended = false;
        while (!received.toString('latin1').endsWith(action[1])) {
          const chunk = await socket.receive(scenario.timeout);
          if (chunk.length === 0) {
            steps.push(['eof', received.length]);
            ended = true;
            break;
          }
          received = Buffer.concat([received, chunk]);
        }
        if (!ended) steps.push(['received', received.length, received.subarray(0, 40).toString('latin1')]);
      } else if (action[0] === 'receiveBytes') {
        let received = Buffer.alloc(0);
        while (received.length < action[1])
          received = Buffer.concat([received, await socket.receive(scenario.timeout)]);
        steps.push(['received', received.length, received.subarray(0, 40).toString('latin1')]);
      } else if (action[0] === 'sleep') {
        await new Promise((resolve) => setTimeout(resolve, action[1]));
        steps.push(['slept']);
      } else if (action[0] === 'receive') {
        const chunk = Buffer.from(await socket.receive(scenario.timeout));
        steps.push(['received', chunk.length, chunk.subarray(0, 40).toString('latin1')]);
      } else if (action[0] === 'stale') {
        steps.push(['stale', socket.isStale()]);
      } else {
        socket.close();
        steps.push(['closed']);
      }
    }
  } catch (error) {
    if (!(error instanceof SocketError)) throw error;
    steps.push(['error', error.failure, error.message]);
  }
  return steps;
}

async function inPython(scenarios: Scenario[]): Promise<Step[][]> {
  const child = spawn(PYTHON, [join(REPO_ROOT, 'test', 'protocol', 'socket_driver.py')], {
    env: { ...process.env, PYTHONPATH },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const results: Step[][] = [];
  for (const scenario of scenarios) {
    child.stdin.write(`${JSON.stringify(scenario)}\n`);
    const [line] = (await once(lines, 'line')) as [string];
    results.push(JSON.parse(line) as Step[]);
  }
  child.stdin.end();
  await once(child, 'exit');
  return results;
}

const scenarios = new Map<string, Scenario>();

beforeAll(async () => {
  const base = { host: '127.0.0.1', connectTimeout: 2, timeout: 2 };
  scenarios.set('memcached answers version', {
    ...base,
    port: memcached.port,
    actions: [['send', 'version\r\n', 1], ['receiveUntil', '\r\n'], ['stale'], ['close']],
  });
  // 4 MB of pipelined sets (about 3,000 replies) sent before any reply is read: no deadlock either way.
  const value = 'v'.repeat(1400);
  scenarios.set('memcached takes a 4 MB pipeline', {
    ...base,
    port: memcached.port,
    actions: [
      ['send', `set socket-port-k 0 0 ${value.length}\r\n${value}\r\n`, 3000],
      ['receiveBytes', 3000 * 8],
      ['close'],
    ],
  });
  const closedPort = await peer(() => undefined);
  await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
  scenarios.set('nothing listens', { ...base, port: closedPort, actions: [] });
  scenarios.set('host name does not resolve', { ...base, host: 'no-such-host.invalid', port: 11211, actions: [] });
  const silent = await peer(() => undefined);
  scenarios.set('peer never answers', {
    ...base,
    timeout: 0.3,
    port: silent,
    actions: [['send', 'get a\r\n', 1], ['receive']],
  });
  const closing = await peer((socket) => socket.end());
  scenarios.set('peer closes at once', {
    ...base,
    port: closing,
    actions: [['send', 'get a\r\n', 1], ['receive'], ['stale']],
  });
  const chatty = await peer((socket) => socket.write('HELLO unasked\r\n'));
  scenarios.set('peer talks unasked', { ...base, port: chatty, actions: [['receiveUntil', '\r\n'], ['stale']] });
  const idleChatty = await peer((socket) => setTimeout(() => socket.write('X'), 50));
  // A listener that never accepts, its backlog filled: the kernel drops further SYNs, so connect hangs until its timeout.
  const listener = spawn(PYTHON, [
    '-c',
    'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)',
  ]);
  children.push(listener);
  const [portLine] = (await once(createInterface({ input: listener.stdout! }), 'line')) as [string];
  const fullPort = Number(portLine);
  for (let i = 0; i < 3; i++) {
    const filler = new NetSocket();
    filler.on('error', () => undefined);
    filler.connect(fullPort, '127.0.0.1');
    held.push(filler);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  scenarios.set('connect to a full backlog times out', { ...base, connectTimeout: 0.3, port: fullPort, actions: [] });
  scenarios.set('an idle connection that received bytes is stale', {
    ...base,
    timeout: 1,
    port: idleChatty,
    actions: [['stale'], ['sleep', 300], ['stale'], ['receive'], ['stale']],
  });
  await tlsScenarios(base, silent, fullPort);
});

const VERSION: Action[] = [['send', 'version\r\n', 1], ['receiveUntil', '\r\n'], ['stale'], ['close']];

/** The TLS scenarios: memcached -Z with each certificate, and the client's own files. */
async function tlsScenarios(
  base: { host: string; connectTimeout: number; timeout: number },
  silentPort: number,
  fullPort: number,
): Promise<void> {
  const files = makeTlsFiles();
  tlsFiles = files;
  const start = async (server: TlsFiles['server'], clientCa: string | null = null): Promise<number> => {
    const handle = await startTlsMemcached(server, clientCa);
    tlsServers.push(handle);
    return handle.address.port;
  };
  const [good, untrusted, wrongHost, expired, verifying] = await Promise.all([
    start(files.server),
    start(files.untrusted),
    start(files.wrongHost),
    start(files.expired),
    start(files.server, files.ca),
  ]);
  const tls = (mode: TlsMode, caFile: string | null, client: TlsFiles['client'] | null = null): TlsSettings => ({
    tls: mode,
    tlsCaFile: caFile,
    tlsCertFile: client?.cert ?? null,
    tlsKeyFile: client?.key ?? null,
  });
  const on = tls('on', files.ca);
  scenarios.set('TLS: memcached answers version', { ...base, port: good, tls: on, actions: VERSION });
  // 100 KB values: memcached 1.6.18 over TLS stalls on pipelines of small values (src/memcache/connection.ts wakes it).
  const value = 'v'.repeat(100000);
  scenarios.set('TLS: memcached takes a 4 MB pipeline', {
    ...base,
    port: good,
    tls: on,
    actions: [
      ['send', `set socket-port-tls 0 0 ${value.length}\r\n${value}\r\n`, 40],
      ['receiveBytes', 40 * 8],
      ['stale'],
      ['close'],
    ],
  });
  scenarios.set('TLS: a self-signed certificate is refused', { ...base, port: untrusted, tls: on, actions: VERSION });
  scenarios.set('TLS: insecure accepts a self-signed certificate', {
    ...base,
    port: untrusted,
    tls: tls('insecure', null),
    actions: VERSION,
  });
  scenarios.set('TLS: a certificate for another host name is refused', {
    ...base,
    port: wrongHost,
    tls: on,
    actions: VERSION,
  });
  scenarios.set('TLS: insecure accepts a certificate for another host name', {
    ...base,
    port: wrongHost,
    tls: tls('insecure', null),
    actions: VERSION,
  });
  scenarios.set('TLS: an expired certificate is refused', { ...base, port: expired, tls: on, actions: VERSION });
  scenarios.set("TLS: without a CA file the platform's authorities do not know the test CA", {
    ...base,
    port: good,
    tls: tls('on', null),
    actions: VERSION,
  });
  scenarios.set('TLS to a port without TLS', { ...base, port: memcached.port, tls: on, actions: VERSION });
  scenarios.set('plain TCP to a TLS port', { ...base, port: good, actions: [['send', 'version\r\n', 1], ['receive']] });
  scenarios.set('TLS: a server requiring a client certificate, none given', {
    ...base,
    port: verifying,
    tls: on,
    actions: VERSION,
  });
  scenarios.set('TLS: a server requiring a client certificate, given', {
    ...base,
    port: verifying,
    tls: tls('on', files.ca, files.client),
    actions: VERSION,
  });
  scenarios.set('TLS: a client certificate of another CA', {
    ...base,
    port: verifying,
    tls: tls('on', files.ca, files.strangerClient),
    actions: VERSION,
  });
  scenarios.set('TLS: the CA file is missing', {
    ...base,
    port: good,
    tls: tls('on', join(files.dir, 'missing.pem')),
    actions: VERSION,
  });
  scenarios.set('TLS: the CA file is not PEM', {
    ...base,
    port: good,
    tls: tls('on', files.garbage),
    actions: VERSION,
  });
  scenarios.set('TLS: a directory as the CA file', {
    ...base,
    port: good,
    tls: tls('on', files.dir),
    actions: VERSION,
  });
  scenarios.set('TLS: the client key file is missing', {
    ...base,
    port: verifying,
    tls: { ...tls('on', files.ca, files.client), tlsKeyFile: join(files.dir, 'missing.key') },
    actions: VERSION,
  });
  scenarios.set('TLS: the client certificate and key do not match', {
    ...base,
    port: verifying,
    tls: { ...tls('on', files.ca, files.client), tlsKeyFile: files.server.key },
    actions: VERSION,
  });
  scenarios.set('TLS: the client certificate is not PEM', {
    ...base,
    port: verifying,
    tls: { ...tls('on', files.ca, files.client), tlsCertFile: files.garbage },
    actions: VERSION,
  });
  scenarios.set('TLS handshake with a peer that never answers', {
    ...base,
    connectTimeout: 0.3,
    port: silentPort,
    tls: on,
    actions: VERSION,
  });
  scenarios.set('TLS: connect to a full backlog times out', {
    ...base,
    connectTimeout: 0.3,
    port: fullPort,
    tls: on,
    actions: [],
  });
}

afterAll(async () => {
  await Promise.all(tlsServers.map((server) => server.stop()));
  tlsFiles?.remove();
  for (const child of children) child.kill();
  for (const socket of held) socket.destroy();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

describe('the socket port in Node and in Python', () => {
  it('reports the same steps, failures and messages for every scenario', async () => {
    const names = [...scenarios.keys()];
    const python = await inPython([...scenarios.values()]);
    const node: Step[][] = [];
    for (const scenario of scenarios.values()) node.push(await inNode(scenario));
    const table = (results: Step[][]): Record<string, Step[]> =>
      Object.fromEntries(names.map((name, i) => [name, results[i]!]));
    expect(table(python)).toEqual(table(node));
    expect(table(node)).toEqual({
      'memcached answers version': [
        ['sent'],
        ['received', 16, expect.stringMatching(/^VERSION 1\.6\.\d+\r\n$/)],
        ['stale', false],
        ['closed'],
      ],
      'memcached takes a 4 MB pipeline': [
        ['sent'],
        ['received', 24000, 'STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\n'],
        ['closed'],
      ],
      'nothing listens': [['error', 'refused', 'connection refused']],
      'host name does not resolve': [['error', 'not-found', 'host name not found']],
      'peer never answers': [['sent'], ['error', 'timeout', 'receive timed out after 0.3 s']],
      'peer closes at once': [['sent'], ['received', 0, ''], ['stale', true]],
      'peer talks unasked': [
        ['received', 15, 'HELLO unasked\r\n'],
        ['stale', false],
      ],
      'connect to a full backlog times out': [['error', 'timeout', 'connect timed out after 0.3 s']],
      'an idle connection that received bytes is stale': [
        ['stale', false],
        ['slept'],
        ['stale', true],
        ['received', 1, 'X'],
        ['stale', false],
      ],
      ...tlsExpectations(),
    });
  });
});

/** What every TLS scenario reports, in both bindings. */
function tlsExpectations(): Record<string, unknown> {
  const files = tlsFiles!;
  const version = [
    ['sent'],
    ['received', 16, expect.stringMatching(/^VERSION 1\.6\.\d+\r\n$/)],
    ['stale', false],
    ['closed'],
  ];
  const failed = (message: string): unknown[] => [['error', 'tls', message]];
  const verify = 'certificate verify failed: ';
  return {
    'TLS: memcached answers version': version,
    'TLS: memcached takes a 4 MB pipeline': [
      ['sent'],
      ['received', 320, 'STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\n'],
      ['stale', false],
      ['closed'],
    ],
    'TLS: a self-signed certificate is refused': failed(
      `${verify}the server's certificate is not signed by a trusted certificate authority`,
    ),
    'TLS: insecure accepts a self-signed certificate': version,
    'TLS: a certificate for another host name is refused': failed(
      `${verify}the server's certificate is not valid for the host name "127.0.0.1"`,
    ),
    'TLS: insecure accepts a certificate for another host name': version,
    'TLS: an expired certificate is refused': failed(`${verify}the server's certificate has expired`),
    "TLS: without a CA file the platform's authorities do not know the test CA": failed(
      `${verify}the server's certificate is not signed by a trusted certificate authority`,
    ),
    'TLS to a port without TLS': failed('the server does not speak TLS on this port'),
    'plain TCP to a TLS port': [['sent'], ['error', 'reset', 'connection reset by the server during receive']],
    // TLS 1.3: the client's handshake is over before the server checks its certificate; both bindings wait for the
    // server's verdict (its session tickets, or this alert) before they return the socket.
    'TLS: a server requiring a client certificate, none given': failed('the server requires a client certificate'),
    'TLS: a server requiring a client certificate, given': version,
    'TLS: a client certificate of another CA': failed(
      'the server does not trust the client certificate (unknown certificate authority)',
    ),
    'TLS: the CA file is missing': failed(`cannot read the CA file ${join(files.dir, 'missing.pem')}: no such file`),
    'TLS: the CA file is not PEM': failed(`no certificate in the CA file ${files.garbage}`),
    'TLS: a directory as the CA file': failed(`cannot read the CA file ${files.dir}: it is a directory`),
    'TLS: the client key file is missing': failed(
      `cannot read the client key file ${join(files.dir, 'missing.key')}: no such file`,
    ),
    'TLS: the client certificate and key do not match': failed('the client certificate and key do not match'),
    'TLS: the client certificate is not PEM': failed('the client certificate or key is not usable PEM'),
    'TLS handshake with a peer that never answers': [['error', 'timeout', 'TLS handshake timed out after 0.3 s']],
    'TLS: connect to a full backlog times out': [['error', 'timeout', 'connect timed out after 0.3 s']],
  };
}
