// src/stats.ts in Node vs the emitted pymcache_fdw/stats.py under /usr/bin/python3: statValueText on >= 1000 random
// stat texts (numbers in every spelling Python's int() takes, floats, booleans, octal, words), and the whole stats
// table on one private memcached.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllConnections as closeAllClients } from '../../src/memcache/connection';
import { runInNode, type Outcome } from '../rig/differential';
import { startMemcached } from '../rig/memcached';
import { sample, wellFormedString } from '../runtime/vectors';
import { rawSet, type MemcachedAddress } from '../rig/raw-memcached';
import { expectAgreement, runAdapterInPython } from './agreement';

const STATS = 'src/stats.ts';
const FLOAT_STATS = ['rusage_user', 'rusage_system', 'growth_factor'];
const BOOL_STATS = [
  'hash_is_expanding',
  'slab_reassign_running',
  'detail_enabled',
  'cas_enabled',
  'auth_enabled_sasl',
  'maxconns_fast',
  'slab_reassign',
  'slab_automove',
];
const INT_STATS = ['pid', 'uptime', 'curr_items', 'total_connections', 'umask', 'items:1:number', 'limit_maxbytes'];

describe('stats.ts: Node and emitted Python agree', () => {
  it('statValueText shows every kind of stat text the same way', async () => {
    const numberText = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => n.toString()),
      fc.constantFrom('0', '007', '+5', '-0', ' 12 ', '1_000', '1__0', '_1', '1_', '', ' ', '1 2', '٣', '0x10', '1e3'),
    );
    const floatText = fc.oneof(
      fc
        .tuple(fc.nat(1_000_000), fc.nat(999_999))
        .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(6, '0')}`),
      fc
        .tuple(fc.nat(1000), fc.nat(999_999))
        .map(([whole, fraction]) => `${whole}:${String(fraction).padStart(6, '0')}`),
      fc.constantFrom('1.25', '1.0', '0', '.5', '5.', 'nan', 'inf', '1e3', ''),
    );
    const text = fc.oneof(wellFormedString(12), fc.constantFrom('yes', 'no', 'on', 'off', '700', '0777', '8', ''));
    const stat = fc.oneof(
      fc.tuple(fc.constantFrom(...FLOAT_STATS), floatText),
      fc.tuple(fc.constantFrom(...BOOL_STATS), fc.oneof(numberText, text)),
      fc.tuple(fc.constantFrom(...INT_STATS), fc.oneof(numberText, text)),
      fc.tuple(
        fc.constantFrom('version', 'inter', 'stat_key_prefix', 'evictions', 'slab_automove_ratio', 'rusage_user'),
        fc.oneof(text, numberText, floatText),
      ),
    );
    const vectors = [
      ['rusage_user', '0.000000'],
      ['rusage_user', '1.000000'],
      ['rusage_system', '0.012345'],
      ['growth_factor', '1.25'],
      ['rusage_user', '0:500000'],
      ['auth_enabled_sasl', 'no'],
      ['auth_enabled_sasl', 'yes'],
      ['cas_enabled', 'yes'],
      ['cas_enabled', '1'],
      ['slab_automove', '0'],
      ['umask', '700'],
      ['umask', '8'],
      ['pid', '0'],
      ['curr_items', '18446744073709551615'],
      ['version', '1.6.18'],
      ['inter', ''],
      ['stat_key_prefix', ':'],
      ...sample(stat),
    ];
    const report = await expectAgreement(STATS, 'statValueText', vectors);
    expect(report.errors).toBe(0);
  });
});

describe('stats tables: Node and emitted Python show the same rows from one memcached', () => {
  let memcached: { address: MemcachedAddress; stop(): Promise<void> };
  const options = (command: string): Record<string, string> => ({
    host: memcached.address.host,
    port: String(memcached.address.port),
    stats_cmd: command,
  });

  beforeAll(async () => {
    // A private instance: nothing else touches its counters between the two scans.
    memcached = await startMemcached();
    await rawSet(memcached.address, 'stats-item', 'v');
  });

  afterAll(async () => {
    await closeAllClients();
    await memcached?.stop();
  });

  async function bothSides(
    command: string,
  ): Promise<{ node: Array<[string, string]>; python: Array<[string, string]> }> {
    const vectors = [[options(command)]];
    const unwrap = (outcome: Outcome): Array<[string, string]> => {
      expect(outcome, `stats_cmd '${command}'`).toHaveProperty('ok');
      const rows = (outcome as { ok: unknown }).ok;
      if (!Array.isArray(rows))
        throw new Error(`stats_cmd '${command}': not a list of rows: ${JSON.stringify(outcome)}`);
      return rows as Array<[string, string]>;
    };
    const node = unwrap((await runInNode('test/differential/stats-adapter.ts', 'statsRows', vectors))[0]!);
    const python = unwrap((await runAdapterInPython('stats_adapter', 'stats_rows', vectors))[0]!);
    return { node, python };
  }

  /** What kind of text a value is: the rows' shape must agree even where the value itself moves on. */
  const shape = (value: string): string =>
    /^-?\d+$/.test(value)
      ? 'int'
      : /^-?\d+\.\d+(e[+-]\d+)?$/.test(value)
        ? 'float'
        : value === 'True' || value === 'False'
          ? 'bool'
          : 'text';

  it('settings, slabs and sizes: identical rows', async () => {
    for (const command of ['settings', 'slabs', 'sizes']) {
      const { node, python } = await bothSides(command);
      expect(node.length, command).toBeGreaterThan(0);
      expect(python, command).toEqual(node);
    }
  });

  it('items: identical names and values, except the ages, which move with the clock', async () => {
    const { node, python } = await bothSides('items');
    expect(python.map(([name]) => name)).toEqual(node.map(([name]) => name));
    // Ages move with the clock, and memcached's background LRU maintainer moves fresh items between segments.
    const stable = (rows: Array<[string, string]>): Array<[string, string]> =>
      rows.filter(([name]) => !/:(age|number_hot|number_warm|number_cold|moves_|crawler_)/.test(name));
    expect(stable(python)).toEqual(stable(node));
    expect(python.map(([, value]) => shape(value))).toEqual(node.map(([, value]) => shape(value)));
    expect(node.find(([name]) => name === 'items:1:number')).toEqual(['items:1:number', '1']);
  });

  it('general: the same names in the same order, values of the same shape, and the same fixed values', async () => {
    const { node, python } = await bothSides('');
    expect(python.map(([name]) => name)).toEqual(node.map(([name]) => name));
    expect(python.map(([name, value]) => [name, shape(value)])).toEqual(
      node.map(([name, value]) => [name, shape(value)]),
    );
    const fixed = [
      'pid',
      'version',
      'libevent',
      'pointer_size',
      'max_connections',
      'threads',
      'curr_items',
      'total_items',
      'bytes',
      'limit_maxbytes',
      'hash_is_expanding',
      'slab_reassign_running',
      'evictions',
    ];
    const pick = (rows: Array<[string, string]>): Array<[string, string]> =>
      rows.filter(([name]) => fixed.includes(name));
    expect(pick(python)).toEqual(pick(node));
    expect(pick(node).length).toBe(fixed.length);
    expect(new Map(node).get('hash_is_expanding')).toBe('False');
    expect(shape(new Map(node).get('rusage_user') ?? '')).toBe('float');
  });
});
