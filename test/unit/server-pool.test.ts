// ServerPool against the real 3-server fleet and a dead server (a port nothing listens on, or a private memcached
// that is stopped): keys grouped per server on exactly the server the distribution predicts, the on_server_error
// policy, retry_interval bookkeeping, keys of a down server moving as the matching client moves them, write routing,
// and the statistics of every server.
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeAllConnections as closeAllClients } from '../../src/memcache/connection';
import { createDistribution, type DistributionName } from '../../src/distribution/index';
import { takeLoggedMessages, WARNING } from '../../src/ports/host';
import { describeLookup, describeServers } from '../../src/explain-text';
import { ServerPool } from '../../src/server-pool';
import { forgetServerFailures, ServerStore } from '../../src/server-store';
import { parseServerSet } from '../../src/table-options';
import { WriteSet } from '../../src/write-set';
import { utf8Decode } from '../../src/ports/runtime';
import { startMemcached, startMemcachedOnPort, uniquePrefix } from '../rig/memcached';
import { failure } from './fdw-support';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';

const fleet: MemcachedAddress[] = inject('memcachedServers');

function serversOption(addresses: MemcachedAddress[], weights: number[] = []): string {
  return addresses.map((a, i) => `${a.host}:${a.port}${weights[i] !== undefined ? `:${weights[i]}` : ''}`).join(',');
}

function pool(addresses: MemcachedAddress[], extra: Record<string, string> = {}, prefix = ''): ServerPool {
  return new ServerPool(
    parseServerSet({ servers: serversOption(addresses), connect_timeout: '0.5', ...extra }, true),
    prefix,
  );
}

/** A port on 127.0.0.1 where nothing listens (borrowed from a memcached that is stopped). */
async function closedPort(): Promise<MemcachedAddress> {
  const probe = await startMemcached();
  await probe.stop();
  return probe.address;
}

function warnings(): string[] {
  return takeLoggedMessages()
    .filter((m) => m.level === WARNING)
    .map((m) => m.message);
}

function keysFor(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}k${i}`);
}

beforeEach(() => {
  takeLoggedMessages();
  forgetServerFailures();
});

afterEach(() => {
  forgetServerFailures();
});

afterAll(async () => {
  await closeAllClients();
});

describe('placement and grouping', () => {
  for (const distribution of ['ketama', 'modula', 'modula_python', 'rendezvous'] as DistributionName[]) {
    it(`${distribution}: reads every key from the server the distribution predicts, and only from there`, async () => {
      const prefix = uniquePrefix(`pool-${distribution}`);
      const keys = keysFor('', 60);
      const servers = fleet.map((a) => ({ host: a.host, port: a.port, weight: 1 }));
      const placement = createDistribution(distribution, servers);
      // Each key is stored on its predicted server with the value "right", and on the next server with "wrong".
      for (const key of keys) {
        const home = placement.serverFor(key);
        await rawSet(fleet[home]!, prefix + key, 'right');
        await rawSet(fleet[(home + 1) % fleet.length]!, prefix + key, 'wrong');
      }
      const servedBy = new Set(keys.map((key) => placement.serverFor(key)));
      expect(servedBy.size).toBe(3);
      const found = await pool(fleet, { distribution }, prefix).readThrough(
        new WriteSet(),
        keys.map((key) => prefix + key),
      );
      expect(found.size).toBe(keys.length);
      for (const key of keys) expect(utf8Decode(found.get(prefix + key)!.value)).toBe('right');
      expect(warnings()).toEqual([]);
    });
  }

  it('hashes the key without the table prefix, as clients with a namespace do', async () => {
    const prefix = uniquePrefix('ns');
    const servers = fleet.map((a) => ({ host: a.host, port: a.port, weight: 1 }));
    const placement = createDistribution('ketama', servers);
    const tablePool = pool(fleet, {}, prefix);
    for (const key of keysFor('', 30)) {
      expect(tablePool.homeOf(prefix + key)).toBe(placement.serverFor(key));
      expect(tablePool.storeFor(prefix + key).serverLabel).toBe(
        `${fleet[placement.serverFor(key)]!.host}:${fleet[placement.serverFor(key)]!.port}`,
      );
    }
  });

  it('weights change the placement exactly as the distribution computes it', () => {
    const weighted = new ServerPool(
      parseServerSet({ servers: serversOption(fleet, [1, 5, 1]), distribution: 'modula' }, true),
      '',
    );
    const placement = createDistribution(
      'modula',
      fleet.map((a, i) => ({ host: a.host, port: a.port, weight: [1, 5, 1][i]! })),
    );
    const keys = keysFor('w', 300);
    expect(keys.map((key) => weighted.homeOf(key))).toEqual(keys.map((key) => placement.serverFor(key)));
    const onMiddle = keys.filter((key) => weighted.homeOf(key) === 1).length;
    expect(onMiddle).toBeGreaterThan(150);
  });

  it("reads pending writes of the write set on the key's own server (read-your-writes per server)", async () => {
    const prefix = uniquePrefix('ryw');
    const tablePool = pool(fleet, {}, prefix);
    const pending = new WriteSet();
    const keys = keysFor(prefix, 12);
    for (const key of keys.slice(0, 6)) {
      await rawSet(fleet[tablePool.homeOf(key)]!, key, 'stored');
    }
    const store = tablePool.storeFor(keys[0]!);
    pending.record(1, store, { kind: 'delete', key: keys[0]! });
    const late = keys[11]!;
    pending.record(1, tablePool.storeFor(late), {
      kind: 'set',
      key: late,
      item: { value: new Uint8Array(Buffer.from('pending')), flags: 0, cas: null, facts: null },
      expire: 0,
    });
    const found = await tablePool.readThrough(pending, keys);
    expect([...found.keys()].sort()).toEqual([...keys.slice(1, 6), late].sort());
    expect(utf8Decode(found.get(late)!.value)).toBe('pending');
  });

  it('one server (host/port) is a plain store with no policy; a servers list gets policed stores', () => {
    const single = new ServerPool(parseServerSet({ host: fleet[0]!.host, port: String(fleet[0]!.port) }, true), '');
    expect(single.stores.length).toBe(1);
    expect(single.stores[0]).not.toBeInstanceOf(ServerStore);
    expect(pool(fleet).stores.every((store) => store instanceof ServerStore)).toBe(true);
  });
});

describe('a server that does not answer', () => {
  it('on_server_error error: the read fails naming the server, then fails at once while it is marked down', async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('dead-error');
    const servers = [fleet[0]!, dead, fleet[1]!];
    const tablePool = pool(servers, { retry_interval: '3600' }, prefix);
    const keys = keysFor(prefix, 40);
    const onDead = keys.filter((key) => tablePool.homeOf(key) === 1);
    expect(onDead.length).toBeGreaterThan(0);
    const first = await failure(() => tablePool.readThrough(new WriteSet(), keys));
    expect(first.message.startsWith(`cannot reach memcached at ${dead.host}:${dead.port} (get`)).toBe(true);
    // The table names its servers in the servers option (host and port would be an ERROR there): the HINT says so.
    expect(first.hint).toBe(
      'Check that memcached runs there and accepts connections, or correct its host:port in the servers option; connect_timeout and timeout set how long to wait.',
    );
    const second = await failure(() => tablePool.readThrough(new WriteSet(), keys));
    expect(second.message).toBe(
      `memcached at ${dead.host}:${dead.port} is marked down after a failure less than 3600 seconds ago (retry_interval): cannot get ${onDead.length === 1 ? `key "${onDead[0]!.slice(prefix.length)}"` : `${onDead.length} keys`}`,
    );
    // Keys of the live servers alone are still read.
    const live = keys.filter((key) => tablePool.homeOf(key) !== 1);
    await rawSet(servers[tablePool.homeOf(live[0]!)]!, live[0]!, 'alive');
    expect([...(await tablePool.readThrough(new WriteSet(), live)).keys()]).toEqual([live[0]]);
  });

  it("on_server_error miss: the dead server's keys are misses with a WARNING naming it, the others are read", async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('dead-miss');
    const servers = [fleet[0]!, fleet[1]!, dead];
    const tablePool = pool(servers, { on_server_error: 'miss' }, prefix);
    const keys = keysFor(prefix, 40);
    for (const key of keys) {
      const home = tablePool.homeOf(key);
      if (home !== 2) await rawSet(servers[home]!, key, 'v');
    }
    const live = keys.filter((key) => tablePool.homeOf(key) !== 2);
    const onDead = keys.filter((key) => tablePool.homeOf(key) === 2);
    const found = await tablePool.readThrough(new WriteSet(), keys);
    expect([...found.keys()].sort()).toEqual(live.sort());
    const [warning, ...rest] = warnings();
    expect(rest).toEqual([]);
    expect(warning!.startsWith(`cannot reach memcached at ${dead.host}:${dead.port} (get`)).toBe(true);
    expect(warning!.endsWith('; its keys are read as misses (on_server_error miss)')).toBe(true);
    // Marked down now (default retry_interval 30): not tried again, the WARNING says so.
    const again = await tablePool.readThrough(new WriteSet(), keys);
    expect(again.size).toBe(live.length);
    expect(warnings()).toEqual([
      `memcached at ${dead.host}:${dead.port} is marked down after a failure less than 30 seconds ago (retry_interval): ${onDead.length} keys read as misses (on_server_error miss)`,
    ]);
  });

  it('writes to a down server fail whatever on_server_error says (ketama does not move keys)', async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('dead-write');
    const tablePool = pool([fleet[0]!, dead], { on_server_error: 'miss' }, prefix);
    const keys = keysFor(prefix, 20);
    await tablePool.readThrough(new WriteSet(), keys);
    warnings();
    const onDead = keys.find((key) => tablePool.homeOf(key) === 1)!;
    const onLive = keys.find((key) => tablePool.homeOf(key) === 0)!;
    expect(tablePool.storeFor(onLive).serverLabel).toBe(`${fleet[0]!.host}:${fleet[0]!.port}`);
    const refused = await failure(() => tablePool.storeFor(onDead));
    expect(refused.message).toBe(
      `memcached at ${dead.host}:${dead.port} is marked down after a failure less than 30 seconds ago (retry_interval): cannot write key "${onDead.slice(prefix.length)}"`,
    );
  });

  for (const distribution of ['modula', 'modula_python', 'rendezvous'] as DistributionName[]) {
    it(`${distribution}: while a server is marked down its keys move where the client moves them`, async () => {
      const dead = await closedPort();
      const prefix = uniquePrefix(`move-${distribution}`);
      const servers = [fleet[0]!, dead, fleet[1]!, fleet[2]!];
      const tablePool = pool(servers, { distribution, on_server_error: 'miss' }, prefix);
      const keys = keysFor('', 80);
      const placement = createDistribution(
        distribution,
        servers.map((a) => ({ host: a.host, port: a.port, weight: 1 })),
      );
      const down = [false, true, false, false];
      for (const key of keys) {
        const target = placement.serverForWhileDown(key, down);
        expect(target).not.toBeNull();
        await rawSet(servers[target!]!, prefix + key, 'moved-or-home');
      }
      const moved = keys.filter((key) => placement.serverFor(key) === 1);
      expect(moved.length).toBeGreaterThan(0);
      // The first read finds the server dead: its keys are misses this time, and it is marked down.
      const first = await tablePool.readThrough(
        new WriteSet(),
        keys.map((key) => prefix + key),
      );
      expect(first.size).toBe(keys.length - moved.length);
      warnings();
      // From then on its keys are read where the client puts them while it is down; a WARNING says so.
      const second = await tablePool.readThrough(
        new WriteSet(),
        keys.map((key) => prefix + key),
      );
      expect(second.size).toBe(keys.length);
      expect(warnings()).toEqual([
        `memcached at ${dead.host}:${dead.port} is marked down after a failure less than 30 seconds ago (retry_interval): its keys are read from the servers distribution ${distribution} moves them to while it is down`,
      ]);
      for (const key of moved) {
        const target = placement.serverForWhileDown(key, down)!;
        expect(tablePool.storeFor(prefix + key).serverLabel).toBe(`${servers[target]!.host}:${servers[target]!.port}`);
      }
    });
  }

  it('retry_interval: a server back on its port is used at once with 0, and not before the interval otherwise', async () => {
    const probe = await startMemcached();
    const port = probe.address.port;
    await probe.stop();
    const address = { host: '127.0.0.1', port };
    const prefix = uniquePrefix('retry');
    const patient = pool([fleet[0]!, address], { retry_interval: '3600' }, prefix);
    const eager = pool([fleet[0]!, address], { retry_interval: '0' }, prefix);
    const key = keysFor(prefix, 40).find((k) => patient.homeOf(k) === 1)!;
    expect(
      (await failure(() => eager.readThrough(new WriteSet(), [key]))).message.startsWith(
        `cannot reach memcached at 127.0.0.1:${port}`,
      ),
    ).toBe(true);
    const revived = await startMemcachedOnPort(port);
    try {
      await rawSet(address, key, 'back');
      // The failure was noted for the server; the table with retry_interval 3600 leaves it alone...
      expect((await failure(() => patient.readThrough(new WriteSet(), [key]))).message).toBe(
        `memcached at 127.0.0.1:${port} is marked down after a failure less than 3600 seconds ago (retry_interval): cannot get key "${key.slice(prefix.length)}"`,
      );
      // ...the one with 0 asks it, finds it back, and that success clears the mark for every table.
      expect([...(await eager.readThrough(new WriteSet(), [key])).keys()]).toEqual([key]);
      expect([...(await patient.readThrough(new WriteSet(), [key])).keys()]).toEqual([key]);
    } finally {
      await closeAllClients();
      await revived.stop();
    }
  });

  it('a failed flush write marks the server down', async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('flush-mark');
    const tablePool = pool([fleet[0]!, dead], {}, prefix);
    const key = keysFor(prefix, 20).find((k) => tablePool.homeOf(k) === 1)!;
    const store = tablePool.storeFor(key);
    await expect(
      store.setPipelined([key], [{ value: new Uint8Array([1]), flags: 0, cas: null, facts: null }], 0),
    ).rejects.toThrow();
    expect((await failure(() => tablePool.storeFor(key))).message).toContain('is marked down');
    expect(await rawGet(fleet[0]!, key)).toBeNull();
  });
});

describe('EXPLAIN text and statistics', () => {
  it('describes the servers, the distribution and the requests per server', () => {
    const weighted = new ServerPool(
      parseServerSet({ servers: serversOption(fleet, [1, 2, 1]), distribution: 'modula' }, true),
      '',
    );
    const names = fleet.map((a, i) => `${a.host}:${a.port}${i === 1 ? ':2' : ''}`).join(', ');
    expect(describeServers(weighted)).toBe(`memcached servers ${names} (distribution modula)`);
    const keys = keysFor('x', 40);
    const counts = [0, 1, 2].map((position) => keys.filter((key) => weighted.homeOf(key) === position).length);
    const used = counts.filter((count) => count > 0).length;
    const perServer = counts
      .flatMap((count, position) =>
        count > 0 ? [`${count} on ${fleet[position]!.host}:${fleet[position]!.port}`] : [],
      )
      .join(', ');
    expect(describeLookup(weighted, keys, false)).toBe(
      `gets 40 key(s) from ${used} of 3 servers at once, one round trip: ${perServer}`,
    );
    expect(describeLookup(weighted, keys, true)).toBe(
      `mg (meta get, with TTL and item facts) of 40 key(s) from ${used} of 3 servers at once, one round trip: ${perServer}`,
    );
    const single = new ServerPool(parseServerSet({ host: fleet[0]!.host, port: String(fleet[0]!.port) }, true), '');
    expect(describeServers(single)).toBe(`memcached ${fleet[0]!.host}:${fleet[0]!.port}`);
    expect(describeLookup(single, keysFor('x', 501), false)).toBe(
      'gets 501 key(s) (2 lines, pipelined) in one round trip',
    );
  });

  it('reads the statistics of every server in list order; miss leaves a dead one out with a WARNING', async () => {
    const dead = await closedPort();
    const all = await pool(fleet).statsOfEachServer('');
    expect(all.map((s) => `${s.endpoint.host}:${s.endpoint.port}`)).toEqual(fleet.map((a) => `${a.host}:${a.port}`));
    for (const perServer of all) {
      const names = perServer.stats.map(([name]) => name);
      expect(names).toContain('curr_items');
    }
    const some = await pool([fleet[0]!, dead], { on_server_error: 'miss' }).statsOfEachServer('settings');
    expect(some.map((s) => s.endpoint.port)).toEqual([fleet[0]!.port]);
    const [warning] = warnings();
    expect(warning!.startsWith(`cannot reach memcached at ${dead.host}:${dead.port} (stats settings): `)).toBe(true);
    expect(warning!.endsWith('; its statistics are left out (on_server_error miss)')).toBe(true);
  });
});
