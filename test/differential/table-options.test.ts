// src/table-options.ts in Node vs the emitted pymcache_fdw/table_options.py under /usr/bin/python3: parseCacheTableOptions,
// parseStatsTableOptions, parseServerSet and parseServerEndpoint on hand-picked and random option dicts (every option,
// defaults, every error, servers/host/port combinations): same results, same errors (class, message, HINT, DETAIL),
// same WARNINGs. The defaults are announced once per backend, so both sides run the same steps in the same order in
// one process each (script-node.ts, script_driver.py; the driver records log_to_postgres below ERROR, see its header).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sample } from '../runtime/vectors';
import { errorOf, expectScriptAgreement, okOf, PythonScripts } from './script-harness';

let python: PythonScripts;
beforeAll(() => {
  python = new PythonScripts();
});
afterAll(async () => {
  await python.close();
});

const VALUES: Record<string, string[]> = {
  host: ['localhost', '127.0.0.1', 'mc.example', '::1', '', 'H', 'a\nb', 'a b', 'flush_all\r\n'],
  port: ['11211', '11212', '1', '65535', '0', '65536', '-1', 'abc', ' 11211', '11211 ', '+7', '٣', ''],
  connect_timeout: ['2', '0.5', '3600', '1e-3', '.5', '0', '3600.5', '-1', 'nan', 'inf', 'abc', ''],
  timeout: ['5', '0.25', '10', '3601', '0', '1e400', 'x'],
  row_id: ['key', 'k', ''],
  expire: ['0', '100', '2592000', '2592001', '2147483647', '2147483648', '-1', 'x', ''],
  prefix: ['', 'p:', 'a b', 'é'],
  insert_mode: ['set', 'add', 'ADD', 'replace', ''],
  write_mode: ['commit', 'immediate', 'Immediate', 'later'],
  batch_size: ['1', '50', '10000', '10001', '0', '-3', 'ten'],
  servers: ['a:1', 'a:1,b:2:3', 'a', 'a:1:0', ' a:1 , b:2 ', '', 'a:99999', '[::1]:11211', 'a:1,A:1', 'a:1:2:3', 'a:1,,b:2', 'x:11211:100'],
  distribution: ['ketama', 'modula', 'rendezvous', 'consistent', 'KETAMA', ''],
  on_server_error: ['error', 'miss', 'ignore', 'MISS'],
  retry_interval: ['0', '30', '86400', '86401', '-5', 'x'],
  stats_cmd: ['', 'items', 'settings', 'slabs', 'sizes', 'conns', 'detail', 'Items', 'items settings'],
  hostname: ['x'],
  wrapper: ['pymcache_fdw.PymcacheFDW'],
  Port: ['11211'],
};

/** An option dict: a handful of options, each with a plausible or broken value; unknown names now and then. */
function optionDict(names: string[]): fc.Arbitrary<Record<string, string>> {
  const entry = fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...VALUES[name]!)));
  return fc.array(entry, { maxLength: 5 }).map((entries) => Object.fromEntries(entries));
}
const CACHE_NAMES = ['host', 'port', 'connect_timeout', 'timeout', 'row_id', 'expire', 'prefix', 'insert_mode', 'write_mode', 'batch_size', 'servers', 'distribution', 'on_server_error', 'retry_interval'];
const STATS_NAMES = ['host', 'port', 'connect_timeout', 'timeout', 'servers', 'on_server_error', 'retry_interval', 'stats_cmd'];

describe('table-options.ts: Node and emitted Python agree', () => {
  it('defaults are announced once, then every option and combination by hand', async () => {
    const steps: unknown[][] = [
      ['cacheOptions', {}],
      ['cacheOptions', {}],
      ['statsOptions', {}],
      ['cacheOptions', { host: 'h', port: '1', connect_timeout: '0.5', timeout: '10', row_id: 'k', expire: '2592001', prefix: 'p:', insert_mode: 'add', write_mode: 'immediate', batch_size: '10000' }],
      ['cacheOptions', { servers: 'a:1,b:2:3', distribution: 'rendezvous', on_server_error: 'miss', retry_interval: '0' }],
      ['cacheOptions', { servers: 'a:1' }],
      ['cacheOptions', { servers: 'a:1', host: 'h' }],
      ['cacheOptions', { servers: 'a:1', port: '1' }],
      ['cacheOptions', { servers: 'a:1,a:1' }],
      ['cacheOptions', { host: '' }],
      ['cacheOptions', { port: '65536' }],
      ['cacheOptions', { timeout: '0' }],
      ['cacheOptions', { connect_timeout: '3600.5' }],
      ['cacheOptions', { expire: '-1' }],
      ['cacheOptions', { insert_mode: 'replace' }],
      ['cacheOptions', { write_mode: 'later' }],
      ['cacheOptions', { batch_size: '0' }],
      ['cacheOptions', { distribution: 'consistent' }],
      ['cacheOptions', { on_server_error: 'ignore' }],
      ['cacheOptions', { retry_interval: '86401' }],
      ['cacheOptions', { stats_cmd: 'items', hostname: 'x' }],
      ['statsOptions', { stats_cmd: 'detail' }],
      ['statsOptions', { stats_cmd: 'conns', servers: 'a:1,b:2', distribution: 'modula' }],
      ['statsOptions', { servers: 'a:1', distribution: 'x' }],
      ['serverSet', { distribution: 'nope' }, false],
      ['serverSet', { servers: 'a:1,b:2' }, true],
      ['endpoint', { host: 'h', port: '2', timeout: '1' }],
      ['endpoint', { host: 'h' }],
      ['endpointLabel', 'h', 11211],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'hand-picked options');
    // Both sides agree; this pins a part of what they agree on.
    expect(outcomes[0]!.logged).toEqual([['WARNING', 'Using default host: localhost', null, null], ['WARNING', 'Using default port: 11211', null, null]]);
    expect(outcomes[1]!.logged).toEqual([]);
    expect(okOf(outcomes[0]!)).toMatchObject({
      dict: expect.arrayContaining([
        ['rowId', null], ['expire', { int: '0' }], ['prefix', ''], ['insertMode', 'set'], ['writeMode', 'commit'], ['batchSize', { int: '1' }],
      ]) as unknown,
    });
    expect(errorOf(outcomes[6]!)?.message).toBe('options "servers" and "host" cannot be combined: "servers" lists every server, "host" and "port" name a single one');
    expect(errorOf(outcomes[9]!)?.message).toBe('invalid value "" for option "host": expected a host name or address, without spaces, control characters, brackets or commas');
    expect(errorOf(outcomes[21]!)?.class).toBe('MulticornException');
    expect(errorOf(outcomes[22]!)?.message).toMatch(/distribution/);
    expect(errorOf(outcomes[23]!)).toMatchObject({ class: 'MulticornException' });
    expect(okOf(outcomes[28]!)).toBe('h:11211');
  });

  it('random cache table option dicts', async () => {
    const steps = sample(optionDict(CACHE_NAMES), 1000).map((options) => ['cacheOptions', options]);
    const outcomes = await expectScriptAgreement(python, steps, `cache options (FC_SEED=${SEED})`);
    const failures = outcomes.filter((outcome) => errorOf(outcome) !== null).length;
    expect(failures).toBeGreaterThan(100);
    expect(failures).toBeLessThan(900);
  });

  it('random stats table option dicts, and server sets with and without distribution', async () => {
    const steps = [
      ...sample(optionDict(STATS_NAMES), 600).map((options) => ['statsOptions', options]),
      ...sample(fc.tuple(optionDict(['servers', 'host', 'port', 'distribution', 'on_server_error', 'retry_interval', 'timeout']), fc.boolean()), 600).map(([options, withDistribution]) => ['serverSet', options, withDistribution]),
    ];
    const outcomes = await expectScriptAgreement(python, steps, `stats options and server sets (FC_SEED=${SEED})`);
    expect(outcomes.filter((outcome) => errorOf(outcome) !== null).length).toBeGreaterThan(100);
  });
});
