// src/stats.ts in Node vs the emitted pymcache_fdw/stats.py under /usr/bin/python3: statValueText on >= 1000 random
// readings as pymemcache converts them (int, float, bool, bytes), and the whole stats table on one private memcached,
// where the Node memcache port's conversions meet pymemcache's own.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients } from '../../src/connections';
import { float, runInNode, type Outcome } from '../rig/differential';
import { startMemcached } from '../rig/memcached';
import { interestingInteger, sample, wellFormedString } from '../runtime/vectors';
import { rawSet, type Address } from '../unit/fdw-support';
import { expectAgreement, runAdapterInPython } from './agreement';

const STATS = 'src/stats.ts';
const FLOAT_STATS = ['rusage_user', 'rusage_system', 'growth_factor'];
const BOOL_STATS = ['hash_is_expanding', 'slab_reassign_running', 'detail_enabled', 'cas_enabled', 'auth_enabled_sasl', 'maxconns_fast', 'slab_reassign', 'slab_automove'];
const INT_STATS = ['pid', 'uptime', 'curr_items', 'total_connections', 'umask', 'items:1:number', 'limit_maxbytes'];

describe('stats.ts: Node and emitted Python agree', () => {
  it('statValueText shows every kind of reading the same way', async () => {
    const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    // What pymemcache hands over: a float for the float stats, a bool for the bool stats, an int otherwise, and the
    // bytes as sent where a stat is text (version) or a conversion failed.
    const reading = fc.oneof(
      fc.tuple(fc.constantFrom(...FLOAT_STATS), fc.oneof(finite, fc.double({ min: 0, max: 1e6, noNaN: true })).map(float)),
      fc.tuple(fc.constantFrom(...BOOL_STATS), fc.boolean()),
      fc.tuple(fc.constantFrom(...INT_STATS), interestingInteger),
      fc.tuple(fc.constantFrom('version', 'inter', 'stat_key_prefix', 'evictions', 'rusage_user'), fc.oneof(wellFormedString(12).map(utf8), fc.uint8Array({ maxLength: 8 }))),
    );
    const vectors = [
      ['rusage_user', float(0)], ['rusage_user', float(1)], ['rusage_system', float(0.012345)], ['growth_factor', float(1.25)],
      ['growth_factor', float(1e16)], ['rusage_user', float(1e-5)], ['rusage_user', float(123456.789012)], ['rusage_user', float(-0)],
      ['rusage_user', float(5e-324)], ['rusage_user', float(1.7976931348623157e308)],
      ['auth_enabled_sasl', false], ['cas_enabled', true], ['pid', 0], ['pid', 2 ** 53 - 1], ['curr_items', 2 ** 53],
      ['version', utf8('1.6.18')], ['inter', utf8('')], ['stat_key_prefix', utf8(':')], ['version', new Uint8Array([0xff])],
      ...sample(reading),
    ];
    const report = await expectAgreement(STATS, 'statValueText', vectors);
    expect(report.errors).toBeGreaterThan(0);
    expect(report.errors).toBeLessThan(report.total - 500);
  });
});

describe('stats tables: Node and emitted Python show the same rows from one memcached', () => {
  let memcached: { address: Address; stop(): Promise<void> };
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

  async function bothSides(command: string): Promise<{ node: Array<[string, string]>; python: Array<[string, string]> }> {
    const vectors = [[options(command)]];
    const unwrap = (outcome: Outcome): Array<[string, string]> => {
      expect(outcome, `stats_cmd '${command}'`).toHaveProperty('ok');
      const rows = (outcome as { ok: unknown }).ok;
      if (!Array.isArray(rows)) throw new Error(`stats_cmd '${command}': not a list of rows: ${JSON.stringify(outcome)}`);
      return rows as Array<[string, string]>;
    };
    const node = unwrap((await runInNode('test/differential/stats-adapter.ts', 'statsRows', vectors))[0]!);
    const python = unwrap((await runAdapterInPython('stats_adapter', 'stats_rows', vectors))[0]!);
    return { node, python };
  }

  /** What kind of text a value is: the rows' shape must agree even where the value itself moves on. */
  const shape = (value: string): string =>
    /^-?\d+$/.test(value) ? 'int' : /^-?\d+\.\d+(e[+-]\d+)?$/.test(value) ? 'float' : value === 'True' || value === 'False' ? 'bool' : 'text';

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
    expect(python.map(([name, value]) => [name, shape(value)])).toEqual(node.map(([name, value]) => [name, shape(value)]));
    const fixed = ['pid', 'version', 'libevent', 'pointer_size', 'max_connections', 'threads', 'curr_items', 'total_items', 'bytes', 'limit_maxbytes', 'hash_is_expanding', 'slab_reassign_running', 'evictions'];
    const pick = (rows: Array<[string, string]>): Array<[string, string]> => rows.filter(([name]) => fixed.includes(name));
    expect(pick(python)).toEqual(pick(node));
    expect(pick(node).length).toBe(fixed.length);
    expect(new Map(node).get('hash_is_expanding')).toBe('False');
    expect(shape(new Map(node).get('rusage_user') ?? '')).toBe('float');
  });
});
