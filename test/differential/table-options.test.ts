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
  servers: [
    'a:1',
    'a:1,b:2:3',
    'a',
    'a:1:0',
    ' a:1 , b:2 ',
    '',
    'a:99999',
    '[::1]:11211',
    'a:1,A:1',
    'a:1:2:3',
    'a:1,,b:2',
    'x:11211:100',
  ],
  distribution: ['ketama', 'modula', 'rendezvous', 'consistent', 'KETAMA', ''],
  on_server_error: ['error', 'miss', 'ignore', 'MISS'],
  retry_interval: ['0', '30', '86400', '86401', '-5', 'x'],
  stats_cmd: ['', 'items', 'settings', 'slabs', 'sizes', 'conns', 'detail', 'Items', 'items settings'],
  item_size_max: ['1048576', '1024', '1023', '1073741824', '1073741825', '2m', ''],
  tls: ['off', 'on', 'insecure', 'ON', 'maybe', ''],
  tls_ca_file: ['/etc/ssl/ca.pem', 'ca.pem', '', '/a\nb'],
  tls_cert_file: ['/etc/ssl/client.pem', 'client.pem'],
  tls_key_file: ['/etc/ssl/client.key'],
  username: ['app', 'a b', 'a:b', '', 'é'],
  password: ['s3cret', 'has space', '', 'tab\there', 'x'.repeat(260)],
  hostname: ['x'],
  wrapper: ['pymcache_fdw.PymcacheFDW'],
  Port: ['11211'],
};

/** An option dict: a handful of options, each with a plausible or broken value; unknown names now and then. */
function optionDict(names: string[]): fc.Arbitrary<Record<string, string>> {
  const entry = fc
    .constantFrom(...names)
    .chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...VALUES[name]!)));
  return fc.array(entry, { maxLength: 5 }).map((entries) => Object.fromEntries(entries));
}
const SECURITY_NAMES = ['tls', 'tls_ca_file', 'tls_cert_file', 'tls_key_file', 'username', 'password'];
const CACHE_NAMES = [
  'host',
  'port',
  'connect_timeout',
  'timeout',
  'row_id',
  'expire',
  'prefix',
  'insert_mode',
  'write_mode',
  'batch_size',
  'servers',
  'distribution',
  'on_server_error',
  'retry_interval',
  'item_size_max',
  ...SECURITY_NAMES,
];
const STATS_NAMES = [
  'host',
  'port',
  'connect_timeout',
  'timeout',
  'servers',
  'on_server_error',
  'retry_interval',
  'stats_cmd',
  ...SECURITY_NAMES,
];

describe('table-options.ts: Node and emitted Python agree', () => {
  it('defaults are announced once, then every option and combination by hand', async () => {
    const steps: unknown[][] = [
      ['cacheOptions', {}],
      ['cacheOptions', {}],
      ['statsOptions', {}],
      [
        'cacheOptions',
        {
          host: 'h',
          port: '1',
          connect_timeout: '0.5',
          timeout: '10',
          row_id: 'k',
          expire: '2592001',
          prefix: 'p:',
          insert_mode: 'add',
          write_mode: 'immediate',
          batch_size: '10000',
        },
      ],
      [
        'cacheOptions',
        { servers: 'a:1,b:2:3', distribution: 'rendezvous', on_server_error: 'miss', retry_interval: '0' },
      ],
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
    expect(outcomes[0]!.logged).toEqual([
      ['WARNING', 'Using default host: localhost', null, null],
      ['WARNING', 'Using default port: 11211', null, null],
    ]);
    expect(outcomes[1]!.logged).toEqual([]);
    expect(okOf(outcomes[0]!)).toMatchObject({
      dict: expect.arrayContaining([
        ['rowId', null],
        ['expire', { int: '0' }],
        ['prefix', ''],
        ['insertMode', 'set'],
        ['writeMode', 'commit'],
        ['batchSize', { int: '1' }],
      ]) as unknown,
    });
    expect(errorOf(outcomes[6]!)?.message).toBe(
      'options "servers" and "host" cannot be combined: "servers" lists every server, "host" and "port" name a single one',
    );
    expect(errorOf(outcomes[9]!)?.message).toBe(
      'invalid value "" for option "host": expected a host name or address, without spaces, control characters, brackets or commas',
    );
    expect(errorOf(outcomes[21]!)?.class).toBe('MulticornException');
    expect(errorOf(outcomes[22]!)?.message).toMatch(/distribution/);
    expect(errorOf(outcomes[23]!)).toMatchObject({ class: 'MulticornException' });
    expect(okOf(outcomes[28]!)).toBe('h:11211');
  });

  it('TLS, credentials and item_size_max by hand: parsed the same, refused the same, the password never quoted', async () => {
    const base = { host: 'h', port: '1' };
    const steps: unknown[][] = [
      [
        'cacheOptions',
        {
          ...base,
          tls: 'on',
          tls_ca_file: '/ca.pem',
          tls_cert_file: '/c.pem',
          tls_key_file: '/k.pem',
          username: 'app',
          password: 's3cret',
          item_size_max: '2097152',
        },
      ],
      ['cacheOptions', { ...base, tls: 'insecure' }],
      ['cacheOptions', { ...base, tls: 'maybe' }],
      ['cacheOptions', { ...base, tls_ca_file: '/ca.pem' }],
      ['cacheOptions', { ...base, tls: 'insecure', tls_ca_file: '/ca.pem' }],
      ['cacheOptions', { ...base, tls: 'on', tls_key_file: '/k.pem' }],
      ['cacheOptions', { ...base, tls_cert_file: '/c.pem', tls_key_file: '/k.pem' }],
      ['cacheOptions', { ...base, tls: 'on', tls_ca_file: 'relative.pem' }],
      ['cacheOptions', { ...base, username: 'app' }],
      ['cacheOptions', { ...base, password: 'pw-only' }],
      ['cacheOptions', { ...base, username: 'a:b', password: 'pw' }],
      ['cacheOptions', { ...base, username: 'app', password: 'has space' }],
      ['cacheOptions', { ...base, username: 'app', password: 'y'.repeat(252) }],
      ['cacheOptions', { ...base, item_size_max: '1023' }],
      ['statsOptions', { ...base, tls: 'on', username: 'app', password: 's3cret' }],
      ['statsOptions', { ...base, item_size_max: '1048576' }],
      ['serverSet', { servers: 'a:1,b:2', tls: 'on', username: 'u', password: 'p' }, true],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'security options');
    expect(outcomes.map((outcome) => errorOf(outcome)?.message ?? null)).toEqual([
      null,
      null,
      'invalid value "maybe" for option "tls": expected one of off, on, insecure',
      'option "tls_ca_file" needs tls \'on\': TLS is off',
      "option \"tls_ca_file\" needs tls 'on': tls 'insecure' does not verify the server's certificate",
      'options "tls_cert_file" and "tls_key_file" go together: tls_key_file is set without tls_cert_file',
      'options "tls_cert_file" and "tls_key_file" need TLS: TLS is off',
      'invalid value "relative.pem" for option "tls_ca_file": expected the absolute path of a PEM file',
      'options "username" and "password" go together: username is set without password',
      'options "username" and "password" go together: password is set without username',
      'invalid value "a:b" for option "username": expected a name without spaces, control characters or colons',
      'invalid value for option "password": expected a password without spaces or control characters (the value is not shown)',
      'options "username" and "password" are too long together: memcached reads at most 254 bytes of them from its -Y file',
      'invalid value "1023" for option "item_size_max": expected an integer from 1024 to 1073741824',
      null,
      'unknown option "item_size_max"; valid options are: connect_timeout, host, on_server_error, password, port, retry_interval, servers, stats_cmd, timeout, tls, tls_ca_file, tls_cert_file, tls_key_file, username',
      null,
    ]);
    // The parsed options hold the password (the connection needs it); no error or WARNING does.
    const reported = JSON.stringify(outcomes.map((outcome) => [errorOf(outcome), outcome.logged]));
    for (const password of ['has space', 's3cret', 'pw-only', 'y'.repeat(252)])
      expect(reported).not.toContain(password);
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
      ...sample(
        fc.tuple(
          optionDict(['servers', 'host', 'port', 'distribution', 'on_server_error', 'retry_interval', 'timeout']),
          fc.boolean(),
        ),
        600,
      ).map(([options, withDistribution]) => ['serverSet', options, withDistribution]),
    ];
    const outcomes = await expectScriptAgreement(python, steps, `stats options and server sets (FC_SEED=${SEED})`);
    expect(outcomes.filter((outcome) => errorOf(outcome) !== null).length).toBeGreaterThan(100);
  });
});
