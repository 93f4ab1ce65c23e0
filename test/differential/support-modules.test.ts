// src/errors.ts, src/connections.ts, and the parts of src/cache-store.ts and src/server-pool.ts that need no server,
// in Node vs the emitted Python under /usr/bin/python3: raiseError/warn as log_to_postgres reports them; describeFailure
// and raiseFailure on each client failure class (pymemcache's exceptions and OSError in Python, the memcache port's
// classes in Node); operationText and userKey; key placement, EXPLAIN texts and store choice of ServerPool on random
// server lists; clientFor's registry (one client per server and timeouts) and the StoredItem serde.
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

describe('errors.ts, cache-store.ts, server-pool.ts, connections.ts: Node and emitted Python agree', () => {
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
    const classes = ['MemcacheClientError', 'MemcacheUnknownCommandError', 'MemcacheIllegalInputError', 'MemcacheServerError', 'MemcacheUnknownError', 'MemcacheUnexpectedCloseError', 'TransportError', 'ValueError'];
    const messages = ["b'object too large for cache'", "b'unauthenticated'", "b'out of memory storing object'", '[Errno 111] Connection refused', 'timed out', "b''", "b'", '', 'é'];
    const steps: unknown[][] = [];
    for (const errorClass of classes) {
      for (const message of messages) {
        for (const listed of [false, true]) {
          steps.push(['describeFailure', errorClass, message, '127.0.0.1', 11211, listed, 'get of key "k"']);
          steps.push(['raiseFailure', errorClass, message, 'mc.example', 1, listed, 'set']);
        }
      }
    }
    for (const action of ['get', 'set', 'touch']) {
      for (const userKey of [null, 'k', 'a "b"', 'é😀', '']) steps.push(['operationText', action, userKey]);
    }
    for (const prefix of ['', 'p:', 'pp']) {
      for (const fullKey of ['p:a', 'a', 'pp', 'p:', '']) steps.push(['userKey', prefix, fullKey]);
    }
    const outcomes = await expectScriptAgreement(python, steps, 'failures');
    const tooLarge = outcomes[classes.indexOf('MemcacheServerError') * messages.length * 4]!;
    expect(okOf(tooLarge)).toEqual({
      dict: [
        ['message', 'memcached at 127.0.0.1:11211 failed the get of key "k": object too large for cache'],
        ['hint', "The value is larger than the server's item size limit (memcached -I, 1 MB by default)."],
      ],
    });
    // A failure that is not the client's is re-raised as it is: a ValueError in both.
    expect(errorOf(outcomes[steps.findIndex((step) => step[0] === 'raiseFailure' && step[1] === 'ValueError')]!)?.class).toBe('ValueError');
  });

  it('server pools: placement, EXPLAIN texts and the store of each key, on random server lists', async () => {
    const host = fc.constantFrom('10.0.0.1', '10.0.0.2', 'mc1', 'mc2.example', 'localhost');
    const server = fc.tuple(host, fc.integer({ min: 11211, max: 11214 }), fc.constantFrom('', '', ':1', ':2', ':5', ':0')).map(([h, p, w]) => `${h}:${p}${w}`);
    const options = fc.record(
      {
        servers: fc.array(server, { minLength: 1, maxLength: 5 }).map((list) => list.join(',')),
        distribution: fc.constantFrom('ketama', 'modula', 'rendezvous'),
        on_server_error: fc.constantFrom('error', 'miss'),
        retry_interval: fc.constantFrom('0', '30'),
      },
      { requiredKeys: ['servers'] },
    );
    const single = fc.record({ host: host, port: fc.constantFrom('11211', '1'), on_server_error: fc.constantFrom('error', 'miss') }, { requiredKeys: ['host'] });
    const keys = fc.array(fc.oneof(fc.constantFrom('a', 'b', 'user:1', 'é'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 })), { maxLength: 30 });
    const steps = sample(fc.tuple(fc.oneof(options, single), fc.constantFrom('', 'p:'), keys), 400).map(([set, prefix, list]) => ['pool', set, prefix, list]);
    const outcomes = await expectScriptAgreement(python, steps, `server pools (FC_SEED=${SEED})`);
    expect(outcomes.filter((outcome) => errorOf(outcome) === null).length).toBeGreaterThan(200);
  });

  it('clientFor: one client per server and timeouts, shared; the serde hands bytes and flags through', async () => {
    const steps: unknown[][] = [
      ['closeClients'],
      ['clientFor', '127.0.0.1', 1, '2.0', '5.0'],
      ['clientFor', '127.0.0.1', 1, '2.0', '5.0'],
      ['clientFor', '127.0.0.1', 1, '2.0', '5.5'],
      ['clientFor', '127.0.0.1', 2, '2.0', '5.0'],
      ['clientFor', 'localhost', 1, '2.0', '5.0'],
      ['clientFor', '127.0.0.1', 1, '2.0', '5.0'],
      ['clientFor', '127.0.0.1', 1, '0.1', '5.0'],
      ['closeClients'],
      ['clientFor', '127.0.0.1', 1, '2.0', '5.0'],
      ['serde', new Uint8Array([0, 255, 10]), 4294967295],
      ['serde', new Uint8Array([]), 0],
      ['closeClients'],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'clients');
    expect(outcomes.slice(1, 8).map((outcome) => (okOf(outcome) as Array<{ int: string }>).map((n) => n.int).join(' '))).toEqual(['1 0', '1 0', '2 1', '3 2', '4 3', '4 0', '5 4']);
    expect(okOf(outcomes[9]!)).toEqual([{ int: '1' }, { int: '5' }]);
  });
});
