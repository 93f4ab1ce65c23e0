// Every SQL statement of the original README (../shared/seeds/000_a517adb2f19d3227.txt), run verbatim in PostgreSQL
// in README order in one session, with the result the README shows. The README's tables talk to localhost:11211,
// so this file runs a memcached there unless one already answers. Stats values that move (connection counts) are cross-checked against a
// raw `stats` call instead of the README's numbers.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localhostAddresses, startMemcachedOnPort } from '../rig/memcached';
import { connect, createScratchDatabase, PG_BIN, repoRoot, type PostgresConnection } from '../rig/postgres';
import { openSession, type HostSession, type Notice } from '../host/helpers';
import { rawCommand, rawGet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const README_PORT = 11211;
const readmeServer: MemcachedAddress = { host: '127.0.0.1', port: README_PORT };
let memcached: { stop(): Promise<void> } | null = null;
let session: HostSession;

async function answers(address: MemcachedAddress): Promise<boolean> {
  try {
    return (await rawCommand(address, 'version')).startsWith('VERSION ');
  } catch {
    return false;
  }
}

beforeAll(async () => {
  // A memcached already on 11211 (the demo's, or Debian's service) serves as well: the statements are the README's,
  // and every stats value is checked against that same server.
  if (!(await answers(readmeServer))) {
    // Listening wherever localhost resolves: the tables say host 'localhost', and pymemcache tries only the first address.
    memcached = await startMemcachedOnPort(README_PORT, [], (await localhostAddresses()).join(','));
  }
  const connection = await createScratchDatabase(inject('postgres'), 'sql_readme');
  session = await openSession(connection);
});

afterAll(async () => {
  await session?.close();
  await memcached?.stop();
});

type Outcome = { command: string; rowCount: number | null; rows: Array<Record<string, unknown>>; notices: Notice[] };

async function run(sql: string): Promise<Outcome> {
  session.takeNotices();
  const result = await session.client.query(sql);
  return { command: result.command, rowCount: result.rowCount, rows: result.rows, notices: session.takeNotices() };
}

function warnings(notices: Notice[]): string[] {
  return notices.filter((notice) => notice.severity === 'WARNING').map((notice) => `WARNING:  ${notice.message}`);
}

describe('README, installation', () => {
  it('2. create extension "multicorn"', async () => {
    expect((await run('create extension multicorn;')).command).toBe('CREATE');
  });

  it('3. create the foreign servers', async () => {
    const cache = await run(`CREATE SERVER pymcache_fdw
    FOREIGN DATA WRAPPER multicorn
    OPTIONS (
        wrapper 'pymcache_fdw.PymcacheFDW'
    );`);
    expect(cache.command).toBe('CREATE');
    const stats = await run(`CREATE SERVER pymcache_fdw_stat
    FOREIGN DATA WRAPPER multicorn
    OPTIONS (
        wrapper 'pymcache_fdw.PymcacheFDWStats'
    );`);
    expect(stats.command).toBe('CREATE');
  });

  it('4. create the foreign tables', async () => {
    for (const sql of [
      `CREATE FOREIGN TABLE pymcache_test (
        key TEXT,
        value TEXT,
        expire TEXT -- optional
    ) SERVER pymcache_fdw OPTIONS (
        host 'localhost',
        port '11211',
        row_id 'key',
        expire '60' -- optional, default is 0 - never expire
    );`,
      `CREATE FOREIGN TABLE pymcache_stat_test (
        stat_name TEXT,
        stat_value TEXT
    ) SERVER pymcache_fdw_stat;`,
      `CREATE FOREIGN TABLE pymcache_stat_settings_test (
        stat_name TEXT,
        stat_value TEXT
    ) SERVER pymcache_fdw_stat OPTIONS (
        stats_cmd 'settings'
    );`,
    ]) {
      expect((await run(sql)).command).toBe('CREATE');
    }
  });
});

describe('README, usage', () => {
  it('set cache item: INSERT 0 1', async () => {
    const outcome = await run(`insert into pymcache_test(key, value)
   values('meaning_of_life', '42');`);
    expect([outcome.command, outcome.rowCount]).toEqual(['INSERT', 1]);
    expect(outcome.notices).toEqual([]);
    const stored = await rawGet(readmeServer, 'meaning_of_life');
    expect(stored!.value.toString()).toBe('42');
    expect(stored!.flags).toBe(0);
    // The table's expire '60' applies.
    expect(stored!.ttl).toBeGreaterThan(50);
    expect(stored!.ttl).toBeLessThanOrEqual(60);
  });

  it('set cache item, that will expire after 10 seconds: INSERT 0 1', async () => {
    const outcome = await run(`insert into pymcache_test(key, value, expire)
   values('born_to_die', 'Lana Del Rey', 10);`);
    expect([outcome.command, outcome.rowCount]).toEqual(['INSERT', 1]);
    const stored = await rawGet(readmeServer, 'born_to_die');
    expect(stored!.value.toString()).toBe('Lana Del Rey');
    expect(stored!.ttl).toBeGreaterThan(0);
    expect(stored!.ttl).toBeLessThanOrEqual(10);
  });

  it('update cache item with key born_to_die: UPDATE 1', async () => {
    const outcome = await run(`update pymcache_test
   set value = 'Grand Funk Railroad', expire = 300
   where key = 'born_to_die'`);
    expect([outcome.command, outcome.rowCount]).toEqual(['UPDATE', 1]);
    const stored = await rawGet(readmeServer, 'born_to_die');
    expect(stored!.value.toString()).toBe('Grand Funk Railroad');
    expect(stored!.ttl).toBeGreaterThan(290);
  });

  it('get cache items with set of keys in "where" clause: meaning_of_life | 42 (1 row)', async () => {
    const outcome = await run(`select key, value
   from pymcache_test
   where key in ('meaning_of_life', 'k1');`);
    expect(outcome.rows).toEqual([{ key: 'meaning_of_life', value: '42' }]);
    expect(outcome.notices).toEqual([]);
  });

  it('delete cache item with key meaning_of_life: DELETE 1', async () => {
    const outcome = await run(`delete from pymcache_test
   where key = 'meaning_of_life';`);
    expect([outcome.command, outcome.rowCount]).toEqual(['DELETE', 1]);
    expect(await rawGet(readmeServer, 'meaning_of_life')).toBeNull();
  });

  it('show general-purpose statistics related to connections, after the default host and port WARNINGs', async () => {
    const outcome = await run(`select stat_name, stat_value
   from pymcache_stat_test
   where stat_name ~* 'connection';`);
    expect(warnings(outcome.notices)).toEqual(['WARNING:  Using default host: localhost', 'WARNING:  Using default port: 11211']);
    const names = outcome.rows.map((row) => row['stat_name']);
    // The README's three rows (its memcached was older; 1.6 adds max_connections and rejected_connections).
    for (const name of ['curr_connections', 'total_connections', 'connection_structures']) expect(names).toContain(name);
    const raw = await rawStats(readmeServer);
    expect(names).toEqual([...raw.keys()].filter((name) => /connection/i.test(name)));
    for (const row of outcome.rows) expect(row['stat_value']).toMatch(/^\d+$/);
    // Counters only grow: what the table showed is at most what memcached reports right after.
    const shownTotal = Number(outcome.rows.find((row) => row['stat_name'] === 'total_connections')!['stat_value']);
    expect(shownTotal).toBeGreaterThan(0);
    expect(shownTotal).toBeLessThanOrEqual(Number(raw.get('total_connections')));
  });

  it('show "enabled" memcache settings: cas_enabled yes, auth_enabled_sasl False, detail_enabled no, flush_enabled yes', async () => {
    const outcome = await run(`select stat_name, stat_value
   from pymcache_stat_settings_test
   where stat_name ~* 'enabled';`);
    expect(outcome.notices).toEqual([]);
    const shown = new Map(outcome.rows.map((row) => [row['stat_name'], row['stat_value']]));
    expect(shown.get('cas_enabled')).toBe('yes');
    expect(shown.get('auth_enabled_sasl')).toBe('False');
    expect(shown.get('detail_enabled')).toBe('no');
    expect(shown.get('flush_enabled')).toBe('yes');
    // memcached 1.6 has three more "enabled" settings; rows come in the server's order.
    const raw = await rawStats(readmeServer, 'settings');
    expect([...shown.keys()]).toEqual([...raw.keys()].filter((name) => /enabled/i.test(name)));
  });
});

describe('README surface, from a fresh session', () => {
  it('reads what the README inserted, through another backend (one client per server per backend)', async () => {
    const other = await connect(session.connection);
    try {
      const result = await other.query(`select key, value from pymcache_test where key = 'born_to_die'`);
      expect(result.rows).toEqual([{ key: 'born_to_die', value: 'Grand Funk Railroad' }]);
    } finally {
      await other.end();
    }
  });
});

/** Runs a SQL file with psql as a DBA would (stop at the first error); returns stdout and stderr. */
function psqlFile(connection: PostgresConnection, file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(join(PG_BIN, 'psql'), [
    '-X', '-v', 'ON_ERROR_STOP=1', '-h', connection.host, '-p', String(connection.port), '-U', connection.user,
    '-d', connection.database, '-f', join(repoRoot, file),
  ], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('sql/ scripts, run with psql as they are', () => {
  it('install.sql then example.sql (twice: both are re-runnable) print the README results', async () => {
    const connection = await createScratchDatabase(inject('postgres'), 'sql_scripts');
    for (let round = 0; round < 2; round++) {
      const install = psqlFile(connection, 'sql/install.sql');
      expect(install.status, install.stderr).toBe(0);
      const example = psqlFile(connection, 'sql/example.sql');
      expect(example.status, example.stderr).toBe(0);
      expect(example.stdout).toContain('INSERT 0 1\n');
      expect(example.stdout).toContain('UPDATE 1\n');
      expect(example.stdout).toMatch(/ meaning_of_life \| 42\n\(1 row\)/);
      expect(example.stdout).toContain('DELETE 1\n');
      expect(example.stdout).toMatch(/ curr_connections +\| \d+\n/);
      expect(example.stdout).toMatch(/ cas_enabled +\| yes\n/);
      expect(example.stdout).toMatch(/ auth_enabled_sasl +\| False\n/);
      expect(example.stderr).toContain('WARNING:  Using default host: localhost');
      expect(example.stderr).toContain('WARNING:  Using default port: 11211');
    }
  });
});
