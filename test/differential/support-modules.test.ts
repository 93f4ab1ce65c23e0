// src/errors.ts, the connection registry of src/memcache/connection.ts, and the parts of src/cache-store.ts and
// src/server-pool.ts that need no server, in Node vs the emitted Python under /usr/bin/python3: raiseError/warn as
// log_to_postgres reports them; describeFailure and raiseFailure on each client failure (transport failures of every
// phase and kind, error replies known and unknown, unreadable replies); operationText and userKey; key placement,
// EXPLAIN texts and store choice of ServerPool on random server lists; connectionTo's registry (one connection per
// server, whatever the timeouts).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sample, wellFormedString } from '../runtime/vectors';
import { errorOf, expectScriptAgreement, okOf, PythonScripts } from './script-harness';

let python: PythonScripts;
beforeAll(() => {
  python = new PythonScripts();
});
afterAll(async () => {
  await python.close();
});

describe('errors.ts, cache-store.ts, server-pool.ts, memcache/connection.ts: Node and emitted Python agree', () => {
  it('raiseError and warn', async () => {
    const text = wellFormedString(20);
    const maybe = fc.oneof(fc.constant(null), text);
    const steps = [
      ['raiseError', 'm', null, null],
      ['raiseError', 'm', 'h', 'd'],
      ['warn', 'w', 'h', null],
      ...sample(fc.tuple(fc.constantFrom('raiseError', 'warn'), text, maybe, maybe), 300),
    ];
    const outcomes = await expectScriptAgreement(python, steps, `errors (FC_SEED=${SEED})`);
    expect(errorOf(outcomes[1]!)).toEqual({ class: 'MulticornException', message: 'm', hint: 'h' });
    expect(outcomes[2]!.logged).toEqual([['WARNING', 'w', 'h', null]]);
  });

  it('describeFailure, raiseFailure, operationText, userKey', async () => {
    const failures: unknown[][] = [
      ['TransportFailure', 'connect', 'refused', 'connection refused'],
      ['TransportFailure', 'connect', 'not-found', 'host name not found'],
      ['TransportFailure', 'connect', 'timeout', 'connect timed out after 2.0 s'],
      ['TransportFailure', 'connect', 'interrupted', 'interrupted: canceling statement due to statement timeout'],
      ['TransportFailure', 'send', 'reset', 'connection reset by the server during send'],
      ['TransportFailure', 'receive', 'closed', 'the server closed the connection'],
      ['TransportFailure', 'receive', 'timeout', 'receive timed out after 5.0 s'],
      ['TransportFailure', 'receive', 'other', 'receive failed: EIO'],
      ['UnknownCommandReply', null, 0],
      ['UnknownCommandReply', 'Too many open connections', 25],
      ['ClientErrorReply', 'unauthenticated', 15],
      ['ClientErrorReply', null, 40],
      ['ServerErrorReply', 'object too large for cache', 26],
      ['ServerErrorReply', 'out of memory storing object', 28],
      ['ServerErrorReply', null, 31],
      ['ProtocolError', 'get', 'a line of 12 bytes'],
      ['ValueError', 'not a client failure'],
    ];
    const steps: unknown[][] = [];
    for (const failure of failures) {
      for (const listed of [false, true]) {
        steps.push(['describeFailure', failure, '127.0.0.1', 11211, listed, 'get of key "k"']);
        steps.push(['raiseFailure', failure, 'mc.example', 1, listed, 'set']);
      }
    }
    for (const action of ['get', 'set', 'touch']) {
      for (const userKey of [null, 'k', 'a "b"', 'é😀', '']) steps.push(['operationText', action, userKey]);
    }
    for (const prefix of ['', 'p:', 'pp']) {
      for (const fullKey of ['p:a', 'a', 'pp', 'p:', '']) steps.push(['userKey', prefix, fullKey]);
    }
    const outcomes = await expectScriptAgreement(python, steps, 'failures');
    const described = (index: number): unknown => okOf(outcomes[index * 4]!);
    expect(described(12)).toEqual({
      dict: [
        ['message', 'memcached at 127.0.0.1:11211 failed the get of key "k": object too large for cache'],
        ['hint', "The value is larger than the server's item size limit (memcached -I, 1 MB by default)."],
      ],
    });
    expect(described(14)).toEqual({
      dict: [
        [
          'message',
          'memcached at 127.0.0.1:11211 failed the get of key "k": memcached answered SERVER_ERROR with a text that is not a known memcached error (31 bytes, not shown)',
        ],
        ['hint', 'See the memcached server log for the cause.'],
      ],
    });
    expect(described(9)).toEqual({
      dict: [
        ['message', 'memcached at 127.0.0.1:11211 refused the connection: Too many open connections'],
        [
          'hint',
          "memcached's connection limit (memcached -c) is reached: raise it, or let fewer sessions use this server.",
        ],
      ],
    });
    expect(described(0)).toEqual({
      dict: [
        ['message', 'cannot reach memcached at 127.0.0.1:11211 (get of key "k"): connection refused'],
        [
          'hint',
          'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout and timeout set how long to wait.',
        ],
      ],
    });
    expect(described(15)).toEqual({
      dict: [
        [
          'message',
          'the server at 127.0.0.1:11211 answered the get of key "k" with something that is not a memcached reply: a line of 12 bytes',
        ],
        [
          'hint',
          'Check that 127.0.0.1:11211 is a memcached server (or a proxy speaking its text protocol), not another service.',
        ],
      ],
    });
    // A failure that is not the client's is re-raised as it is: a ValueError in both.
    expect(
      errorOf(
        outcomes[steps.findIndex((step) => step[0] === 'raiseFailure' && (step[1] as unknown[])[0] === 'ValueError')]!,
      )?.class,
    ).toBe('ValueError');
  });

  it('server pools: placement, EXPLAIN texts and the store of each key, on random server lists', async () => {
    const host = fc.constantFrom('10.0.0.1', '10.0.0.2', 'mc1', 'mc2.example', 'localhost');
    const server = fc
      .tuple(host, fc.integer({ min: 11211, max: 11214 }), fc.constantFrom('', '', ':1', ':2', ':5', ':0'))
      .map(([h, p, w]) => `${h}:${p}${w}`);
    const options = fc.record(
      {
        servers: fc.array(server, { minLength: 1, maxLength: 5 }).map((list) => list.join(',')),
        distribution: fc.constantFrom('ketama', 'modula', 'rendezvous'),
        on_server_error: fc.constantFrom('error', 'miss'),
        retry_interval: fc.constantFrom('0', '30'),
      },
      { requiredKeys: ['servers'] },
    );
    const single = fc.record(
      { host: host, port: fc.constantFrom('11211', '1'), on_server_error: fc.constantFrom('error', 'miss') },
      { requiredKeys: ['host'] },
    );
    const keys = fc.array(
      fc.oneof(
        fc.constantFrom('a', 'b', 'user:1', 'é'),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }),
      ),
      { maxLength: 30 },
    );
    const steps = sample(fc.tuple(fc.oneof(options, single), fc.constantFrom('', 'p:'), keys), 400).map(
      ([set, prefix, list]) => ['pool', set, prefix, list],
    );
    const outcomes = await expectScriptAgreement(python, steps, `server pools (FC_SEED=${SEED})`);
    expect(outcomes.filter((outcome) => errorOf(outcome) === null).length).toBeGreaterThan(200);
  });

  it('connectionTo: one connection per server and security settings, shared by tables whatever their timeouts', async () => {
    const plain = { tls: 'off', tlsCaFile: null, tlsCertFile: null, tlsKeyFile: null, username: null, password: null };
    const verified = { ...plain, tls: 'on', tlsCaFile: '/etc/ca.pem' };
    const steps: unknown[][] = [
      ['closeConnections'],
      ['connectionTo', '127.0.0.1', 1],
      ['connectionTo', '127.0.0.1', 1],
      ['connectionTo', '127.0.0.1', 2],
      ['connectionTo', 'localhost', 1],
      ['connectionTo', '127.0.0.1', 1],
      // A TLS table and a plain one on the same host:port do not share a socket; nor do two logins.
      ['connectionTo', '127.0.0.1', 1, verified],
      ['connectionTo', '127.0.0.1', 1, { ...verified }],
      ['connectionTo', '127.0.0.1', 1, { ...verified, tls: 'insecure', tlsCaFile: null }],
      ['connectionTo', '127.0.0.1', 1, { ...plain, username: 'app', password: 'one' }],
      ['connectionTo', '127.0.0.1', 1, { ...plain, username: 'app', password: 'two' }],
      ['connectionTo', '127.0.0.1', 1, { ...plain, username: 'app', password: 'one' }],
      ['connectionTo', '127.0.0.1', 1, plain],
      ['closeConnections'],
      ['connectionTo', '127.0.0.1', 1],
      ['closeConnections'],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'connections');
    expect(
      outcomes.slice(1, 13).map((outcome) => (okOf(outcome) as Array<{ int: string }>).map((n) => n.int).join(' ')),
    ).toEqual(['1 0', '1 0', '2 1', '3 2', '3 0', '4 3', '4 3', '5 4', '6 5', '7 6', '7 5', '7 0']);
  });
});
