// PymcacheFDW and PymcacheFDWStats with a `servers` list, in Node against the real 3-server fleet: a transaction's
// writes reach each key's own server at COMMIT, errors name the key's server (not the first of the list), and the
// stats table shows every server with its `server` column.
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeAllConnections as closeAllClients } from '../../src/memcache/connection';
import { createDistribution } from '../../src/distribution/index';
import { PymcacheFDW } from '../../src/fdw';
import { Qual, takeLoggedMessages } from '../../src/ports/host';
import { forgetServerFailures } from '../../src/server-store';
import { PymcacheFDWStats } from '../../src/stats';
import { collect, columns, failure } from './fdw-support';
import { uniquePrefix } from '../rig/memcached';
import { rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const fleet: MemcachedAddress[] = inject('memcachedServers');
const servers = fleet.map((a) => `${a.host}:${a.port}`).join(',');
const placement = createDistribution(
  'modula',
  fleet.map((a) => ({ host: a.host, port: a.port, weight: 1 })),
);

function table(prefix: string, extra: Record<string, string> = {}): PymcacheFDW {
  return new PymcacheFDW(
    { servers, distribution: 'modula', row_id: 'key', prefix, ...extra },
    columns(['key', 'text'], ['value', 'text']),
  );
}

function label(position: number): string {
  return `${fleet[position]!.host}:${fleet[position]!.port}`;
}

beforeEach(() => {
  takeLoggedMessages();
  forgetServerFailures();
});

afterAll(async () => {
  await closeAllClients();
});

describe('cache tables over several servers', () => {
  it("a transaction's INSERTs, UPDATEs and DELETEs reach each key's own server at COMMIT, and only then", async () => {
    const prefix = uniquePrefix('ms-txn');
    const fdw = table(prefix);
    const keys = Array.from({ length: 24 }, (_, i) => `k${i}`);
    expect(new Set(keys.map((key) => placement.serverFor(key))).size).toBe(3);
    fdw.begin(0);
    for (const key of keys) await fdw.insert({ key, value: `v:${key}` });
    await fdw.endModify();
    await fdw.delete('k0');
    await fdw.endModify();
    await fdw.update('k1', { key: 'k1', value: 'changed' });
    await fdw.endModify();
    expect(await rawGet(fleet[placement.serverFor('k2')]!, `${prefix}k2`)).toBeNull();
    // Read-your-writes across servers before COMMIT.
    const seen = await collect(fdw.execute([new Qual('key', ['=', true], keys)], new Set(['key', 'value'])));
    expect(seen.length).toBe(keys.length - 1);
    await fdw.preCommit();
    await fdw.commit();
    for (const key of keys) {
      const expected = key === 'k0' ? null : key === 'k1' ? 'changed' : `v:${key}`;
      for (let position = 0; position < fleet.length; position++) {
        const item = await rawGet(fleet[position]!, prefix + key);
        expect(item === null ? null : item.value.toString(), `${key} on ${position}`).toBe(
          position === placement.serverFor(key) ? expected : null,
        );
      }
    }
  });

  it('insert_mode add: the duplicate ERROR names the server that holds the key', async () => {
    const prefix = uniquePrefix('ms-add');
    const fdw = table(prefix, { insert_mode: 'add' });
    const key = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].find((k) => placement.serverFor(k) === 2)!;
    await rawSet(fleet[2]!, prefix + key, 'there');
    fdw.begin(0);
    const error = await failure(() => fdw.insert({ key, value: 'new' }));
    expect(error.message).toBe(`duplicate key value: key "${key}" already exists in memcached at ${label(2)}`);
    await fdw.rollback();
  });

  it('refuses host or port next to servers, naming both', async () => {
    const error = await failure(
      () => new PymcacheFDW({ servers, port: '11211', row_id: 'key' }, columns(['key', 'text'], ['value', 'text'])),
    );
    expect(error.message).toBe(
      'options "servers" and "port" cannot be combined: "servers" lists every server, "host" and "port" name a single one',
    );
  });
});

describe('stats tables over several servers', () => {
  it('rows of every server in list order; the server column when declared, none otherwise', async () => {
    const withServer = new PymcacheFDWStats(
      { servers },
      columns(['server', 'text'], ['stat_name', 'text'], ['stat_value', 'text']),
    );
    const rows = await collect(withServer.execute([], new Set(['server', 'stat_name', 'stat_value'])));
    const pids = rows.filter((row) => row['stat_name'] === 'pid');
    const expected = await Promise.all(
      fleet.map(async (a, i) => ({ server: label(i), stat_name: 'pid', stat_value: (await rawStats(a)).get('pid') })),
    );
    expect(pids).toEqual(expected);
    const servedBy = [...new Set(rows.map((row) => row['server']))];
    expect(servedBy).toEqual([label(0), label(1), label(2)]);
    const plain = new PymcacheFDWStats({ servers }, columns(['stat_name', 'text'], ['stat_value', 'text']));
    const plainRows = await collect(plain.execute([], new Set(['stat_name', 'stat_value'])));
    expect(plainRows.filter((row) => row['stat_name'] === 'pid').map((row) => row['stat_value'])).toEqual(
      expected.map((row) => row.stat_value),
    );
    expect(plain.explain([], new Set())).toEqual([`memcached ${label(0)}, ${label(1)}, ${label(2)}: stats`]);
  });
});
