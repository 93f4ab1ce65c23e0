// Multi-key work is written to every server before any reply is read (issue 11): two relays in front of two real
// memcacheds hold back every reply until both have received a request (test/rig/faults.ts startBarrierRelays). A
// client that reads one server's reply before writing to the other waits for a reply that never comes and fails by its
// timeout; the read of a multi-server table (ServerPool.readThrough) and the flush of a write set across servers
// (flushWrites) get every value, in Node and through the emitted Python (client_driver.py).
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeAllConnections } from '../../src/memcache/connection';
import { utf8Decode } from '../../src/ports/runtime';
import { ServerPool } from '../../src/server-pool';
import { forgetServerFailures } from '../../src/server-store';
import { parseServerSet } from '../../src/table-options';
import { flushWrites } from '../../src/transaction';
import { PendingWrite, WriteSet } from '../../src/write-set';
import { startBarrierRelays } from '../rig/faults';
import { uniquePrefix } from '../rig/memcached';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';
import { failure } from '../unit/fdw-support';
import { PythonClient, type PythonOutcome } from './client-driver';

const fleet: MemcachedAddress[] = inject('memcachedServers');
let barrier: Awaited<ReturnType<typeof startBarrierRelays>>;
let python: PythonClient;
/** The two memcacheds, in the order of the relays in front of them. */
let behind: [MemcachedAddress, MemcachedAddress];

const label = (address: MemcachedAddress): string => `${address.host}:${address.port}`;

/** Table options naming the two relays; `timeout` is how long each wait for a reply may take. */
function options(timeout: string): Record<string, string> {
  return {
    servers: barrier.relays.map((relay) => label(relay.address)).join(','),
    connect_timeout: '2',
    timeout,
    retry_interval: '0',
  };
}

function pool(timeout = '5'): ServerPool {
  return new ServerPool(parseServerSet(options(timeout), true), '');
}

/** `perServer` keys placed on each relay's server by the table's distribution, in the order they were made. */
function keysOnBoth(prefix: string, perServer: number): { all: string[]; byServer: [string[], string[]] } {
  const placement = pool();
  const byServer: [string[], string[]] = [[], []];
  const all: string[] = [];
  for (let i = 0; byServer[0].length < perServer || byServer[1].length < perServer; i++) {
    const key = `${prefix}k${i}`;
    const home = placement.homeOf(key) as 0 | 1;
    if (byServer[home].length === perServer) continue;
    byServer[home].push(key);
    all.push(key);
  }
  return { all, byServer };
}

/** Stores `value of <key>` for each key on the memcached behind its relay; the expected rows. */
async function storeOnBoth(keys: { byServer: [string[], string[]] }): Promise<Record<string, string>> {
  const expected: Record<string, string> = {};
  for (const side of [0, 1] as const) {
    for (const key of keys.byServer[side]) {
      await rawSet(behind[side], key, `value of ${key}`);
      expected[key] = `value of ${key}`;
    }
  }
  return expected;
}

/** What each key holds on the memcached behind its relay (null: absent). */
async function heldBehind(keys: { byServer: [string[], string[]] }): Promise<Record<string, string | null>> {
  const held: Record<string, string | null> = {};
  for (const side of [0, 1] as const) {
    for (const key of keys.byServer[side])
      held[key] = (await rawGet(behind[side], key))?.value.toString('utf8') ?? null;
  }
  return held;
}

beforeAll(async () => {
  behind = [fleet[0]!, fleet[1]!];
  barrier = await startBarrierRelays(behind[0], behind[1]);
  python = new PythonClient();
});

afterAll(async () => {
  closeAllConnections();
  await python?.close();
  await barrier?.stop();
});

beforeEach(() => {
  closeAllConnections();
  forgetServerFailures();
  barrier.rearm();
});

describe('the barrier relays', () => {
  it("hold a client that reads server A before writing to server B: A times out, then B's request opens them", async () => {
    const keys = keysOnBoth(uniquePrefix('barrier-control'), 3);
    const expected = await storeOnBoth(keys);
    const [first, second] = pool('0.5').stores;
    const stuck = await failure(() => first!.getMany(keys.byServer[0]));
    expect(stuck.message).toBe(`memcached at ${label(barrier.relays[0].address)} did not answer the get within 0.5 s`);
    expect(barrier.opened()).toBe(false);
    // Server B's request opens the barrier: its reply comes (A's connection was closed by the timeout).
    const fromSecond = await second!.getMany(keys.byServer[1]);
    expect(barrier.opened()).toBe(true);
    expect(Object.fromEntries([...fromSecond].map(([key, item]) => [key, utf8Decode(item.value)]))).toEqual(
      Object.fromEntries(keys.byServer[1].map((key) => [key, expected[key]])),
    );
  });
});

describe('Node: every server is written before any reply is read', () => {
  it('ServerPool.readThrough of keys on two servers gets every value through the barrier', async () => {
    const keys = keysOnBoth(uniquePrefix('barrier-read'), 6);
    const expected = await storeOnBoth(keys);
    const found = await pool().readThrough(new WriteSet(), keys.all);
    expect(Object.fromEntries([...found].map(([key, item]) => [key, utf8Decode(item.value)]))).toEqual(expected);
    expect(barrier.opened()).toBe(true);
  });

  it('flushWrites of sets on two servers (a COMMIT) stores every value through the barrier', async () => {
    const keys = keysOnBoth(uniquePrefix('barrier-flush'), 6);
    const tablePool = pool();
    const writes = keys.all.map(
      (key) =>
        new PendingWrite(
          {
            kind: 'set',
            key,
            item: { value: new Uint8Array(Buffer.from(`flushed ${key}`)), flags: 0, cas: null, facts: null },
            expire: 0,
          },
          tablePool.storeFor(key),
        ),
    );
    const applied = new Set<PendingWrite>();
    await flushWrites(writes, "the transaction's writes", applied, '');
    expect(applied.size).toBe(writes.length);
    expect(barrier.opened()).toBe(true);
    expect(await heldBehind(keys)).toEqual(Object.fromEntries(keys.all.map((key) => [key, `flushed ${key}`])));
  });
});

describe('Python: every server is written before any reply is read', () => {
  it('ServerPool.read_through of keys on two servers gets every value through the barrier', async () => {
    const keys = keysOnBoth(uniquePrefix('barrier-py-read'), 6);
    const expected = await storeOnBoth(keys);
    const outcome = await python.request({ op: 'read', options: options('5'), keys: keys.all });
    expect(outcome).toEqual<PythonOutcome>({ rows: expected });
    expect(barrier.opened()).toBe(true);
  });

  it('flush_writes of sets on two servers (a COMMIT) stores every value through the barrier', async () => {
    const keys = keysOnBoth(uniquePrefix('barrier-py-flush'), 6);
    const items = Object.fromEntries(keys.all.map((key) => [key, `flushed ${key}`]));
    const outcome = await python.request({ op: 'flush', options: options('5'), items });
    expect(outcome).toEqual<PythonOutcome>({ flushed: true });
    expect(barrier.opened()).toBe(true);
    expect(await heldBehind(keys)).toEqual(items);
  });
});
