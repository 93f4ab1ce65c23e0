// PymcacheFDWStats in Node against real memcached: every stats_cmd, names and values checked against a raw `stats`
// call, values shown as pymemcache's conversions print in Python (the original README's output).
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeAllConnections as closeAllClients } from '../../src/memcache/connection';
import { Qual, takeLoggedMessages, WARNING } from '../../src/ports/host';
import { PymcacheFDWStats, statValueText } from '../../src/stats';
import { startMemcached } from '../rig/memcached';
import { collect, columns, failure } from './fdw-support';
import { rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
const STATS_COLUMNS = (): ReturnType<typeof columns> => columns(['stat_name', 'text'], ['stat_value', 'text']);
const BOTH = new Set(['stat_name', 'stat_value']);

function statsTable(statsCmd: string | null, address: MemcachedAddress = server): PymcacheFDWStats {
  const options: Record<string, string> = { host: address.host, port: String(address.port) };
  if (statsCmd !== null) options['stats_cmd'] = statsCmd;
  return new PymcacheFDWStats(options, STATS_COLUMNS());
}

async function rows(table: PymcacheFDWStats): Promise<Array<[string, string]>> {
  const result = await collect(table.execute([], BOTH));
  return result.map((row) => [row['stat_name'] as string, row['stat_value'] as string]);
}

beforeEach(() => {
  takeLoggedMessages();
});

afterAll(async () => {
  await closeAllClients();
});

describe('statValueText', () => {
  it('shows the text memcached sent as Python printed what pymemcache 3.5 made of it', () => {
    expect(statValueText('curr_connections', '6')).toBe('6');
    expect(statValueText('curr_connections', '007')).toBe('7');
    expect(statValueText('total_items', '18446744073709551615')).toBe('18446744073709551615');
    expect(statValueText('auth_enabled_sasl', 'no')).toBe('False');
    expect(statValueText('auth_enabled_sasl', 'yes')).toBe('True');
    expect(statValueText('slab_automove', '1')).toBe('True');
    expect(statValueText('slab_automove', '0')).toBe('False');
    expect(statValueText('rusage_user', '1.000000')).toBe('1.0');
    expect(statValueText('rusage_system', '0.012345')).toBe('0.012345');
    expect(statValueText('rusage_system', '0:500000')).toBe('0.5');
    expect(statValueText('growth_factor', '1.25')).toBe('1.25');
    expect(statValueText('umask', '700')).toBe('448');
    expect(statValueText('cas_enabled', 'yes')).toBe('yes');
    expect(statValueText('version', '1.6.18')).toBe('1.6.18');
    expect(statValueText('slab_automove_ratio', '0.80')).toBe('0.80');
    expect(statValueText('evictions', 'on')).toBe('on');
  });
});

describe('stats tables', () => {
  it('lists the general statistics with the names and order of a raw `stats`, numbers as sent', async () => {
    const own = await startMemcached();
    try {
      const table = statsTable(null, own.address);
      const shown = await rows(table);
      const raw = await rawStats(own.address);
      expect(shown.map(([name]) => name)).toEqual([...raw.keys()]);
      const byName = new Map(shown);
      for (const name of ['pid', 'curr_items', 'total_items', 'max_connections', 'threads']) {
        expect(byName.get(name)).toBe(raw.get(name));
      }
      expect(byName.get('version')).toBe(raw.get('version'));
      expect(byName.get('rusage_user')).toMatch(/^\d+\.\d+$/);
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });

  it('shows the README\'s "enabled" settings with its values (auth_enabled_sasl converted to False)', async () => {
    const shown = new Map(await rows(statsTable('settings')));
    expect(shown.get('cas_enabled')).toBe('yes');
    expect(shown.get('auth_enabled_sasl')).toBe('False');
    expect(shown.get('detail_enabled')).toBe('no');
    expect(shown.get('flush_enabled')).toBe('yes');
    const raw = await rawStats(server, 'settings');
    expect([...shown.keys()]).toEqual([...raw.keys()]);
    // pymemcache reads umask as octal and growth_factor as a float.
    expect(shown.get('umask')).toBe(String(parseInt(raw.get('umask')!, 8)));
    expect(shown.get('growth_factor')).toBe('1.25');
  });

  it('serves items, slabs, sizes and conns with the names a raw call returns', async () => {
    const own = await startMemcached();
    try {
      // An item so that items and slabs have something to show.
      await rawSet(own.address, 'stats-test', 'v');
      for (const command of ['items', 'slabs', 'sizes', 'conns']) {
        const shown = await rows(statsTable(command, own.address));
        const raw = await rawStats(own.address, command);
        if (command === 'conns') {
          // Our own connection is listed too, and the listing changes with it: compare the kinds of entries.
          const kinds = (names: string[]): string[] =>
            [...new Set(names.map((name) => name.split(':')[1] ?? name))].sort();
          expect(kinds(shown.map(([name]) => name))).toEqual(kinds([...raw.keys()]));
        } else {
          expect(shown.map(([name]) => name)).toEqual([...raw.keys()]);
        }
        expect(shown.length).toBeGreaterThan(0);
      }
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });

  it("returns every row and leaves filters such as stat_name ~* 'connection' to PostgreSQL", async () => {
    const table = statsTable(null);
    const all = await collect(table.execute([new Qual('stat_name', '~*', 'connection')], new Set(['stat_name'])));
    expect(all.map((row) => row['stat_name'])).toContain('curr_connections');
    expect(all.map((row) => row['stat_name'])).toContain('pid');
  });

  it('announces the default host and port once per backend, as the README shows', () => {
    new PymcacheFDWStats({}, STATS_COLUMNS());
    expect(takeLoggedMessages().map((message) => [message.level, message.message])).toEqual([
      [WARNING, 'Using default host: localhost'],
      [WARNING, 'Using default port: 11211'],
    ]);
    new PymcacheFDWStats({ stats_cmd: 'settings' }, STATS_COLUMNS());
    expect(takeLoggedMessages()).toEqual([]);
  });

  it('refuses an unknown stats_cmd, listing the valid ones, and columns other than stat_name and stat_value', async () => {
    const bad = await failure(() => statsTable('detail'));
    expect(bad.message).toBe(
      'invalid value "detail" for option "stats_cmd": expected one of \'\' (general statistics), items, settings, slabs, sizes, conns',
    );
    const unknown = await failure(() => new PymcacheFDWStats({ prefix: 'x' }, STATS_COLUMNS()));
    expect(unknown.message).toBe(
      'unknown option "prefix"; valid options are: connect_timeout, host, on_server_error, password, port, retry_interval, servers, stats_cmd, timeout, tls, tls_ca_file, tls_cert_file, tls_key_file, username',
    );
    const column = await failure(
      () => new PymcacheFDWStats({ host: server.host }, columns(['stat_name', 'text'], ['hostname', 'text'])),
    );
    expect(column.message).toBe('column "hostname" is not a statistics column');
  });

  it('names host:port when the server is unreachable', async () => {
    const gone = await startMemcached();
    const address = gone.address;
    await gone.stop();
    const error = await failure(() => rows(statsTable('settings', address)));
    expect(
      error.message.startsWith(`cannot reach memcached at ${address.host}:${address.port} (stats settings): `),
    ).toBe(true);
  });
});
