// sql/install.sql then sql/example.sql (the original README's statements: ../shared/seeds/000_a517adb2f19d3227.txt,
// which the demo runs) with psql as a DBA runs them, `psql -d db -f sql/example.sql` from the repository root, twice
// (both are re-runnable): their whole stdout and stderr are compared with what they must print. The README's tables
// talk to localhost:11211, so this file runs a memcached there unless one already answers. The stats values that
// move (connection counts) are read from the output and checked against a raw `stats` call; everything else is exact.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localhostAddresses, startMemcachedOnPort } from '../rig/memcached';
import { connect, createScratchDatabase, PG_BIN, repoRoot, type PostgresConnection } from '../rig/postgres';
import { rawCommand, rawGet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const README_PORT = 11211;
const readmeServer: MemcachedAddress = { host: '127.0.0.1', port: README_PORT };
let memcached: { stop(): Promise<void> } | null = null;
let connection: PostgresConnection;

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
  connection = await createScratchDatabase(inject('postgres'), 'sql_readme');
});

afterAll(async () => {
  await memcached?.stop();
});

/** Runs a file of sql/ with psql from the repository root, as its header says (stopping at the first error). */
function psqlFile(file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    join(PG_BIN, 'psql'),
    [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      connection.host,
      '-p',
      String(connection.port),
      '-U',
      connection.user,
      '-d',
      connection.database,
      '-f',
      file,
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Lines as psql prints them, each ended by a newline. */
function lines(...texts: string[]): string {
  return texts.map((text) => `${text}\n`).join('');
}

/** A result of text columns as psql's aligned format prints it: centred headers, left-aligned values, the row count. */
function psqlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]!.length)));
  const centred = (text: string, width: number): string => {
    const left = Math.floor((width - text.length) / 2);
    return `${' '.repeat(left)}${text}${' '.repeat(width - text.length - left)}`;
  };
  return lines(
    headers.map((header, i) => ` ${centred(header, widths[i]!)} `).join('|'),
    widths.map((width) => '-'.repeat(width + 2)).join('+'),
    ...rows.map((row) =>
      row.map((value, i) => (i === row.length - 1 ? ` ${value}` : ` ${value.padEnd(widths[i]!)} `)).join('|'),
    ),
    `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
    '',
  );
}

/** The rows of the aligned table printed right after the line `title` in `output`. */
function rowsAfter(output: string, title: string): string[][] {
  const lines = output.split('\n');
  const start = lines.indexOf(title);
  if (start < 0) throw new Error(`'${title}' is not in psql's output:\n${output}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 3)) {
    if (line.startsWith('(')) break;
    rows.push(line.split('|').map((cell) => cell.trim()));
  }
  return rows;
}

const CONNECTION_TITLE = '-- show general-purpose statistics related to connections';
const SETTINGS_TITLE = '-- show "enabled" memcache settings';
/** memcached 1.6.18's "enabled" settings by default, in its order, auth_enabled_sasl as pymemcache shows it. */
const ENABLED_SETTINGS = [
  ['detail_enabled', 'no'],
  ['cas_enabled', 'yes'],
  ['auth_enabled_sasl', 'False'],
  ['auth_enabled_ascii', 'no'],
  ['flush_enabled', 'yes'],
  ['dump_enabled', 'yes'],
  ['ssl_enabled', 'no'],
];

/** What sql/example.sql prints on stdout, with the connection statistics it showed. */
function exampleOutput(connectionRows: string[][]): string {
  return (
    lines(
      '-- foreign table to operate cache items',
      'DROP FOREIGN TABLE',
      'CREATE FOREIGN TABLE',
      '-- foreign tables to show general-purpose statistics and the current memcached settings',
      'DROP FOREIGN TABLE',
      'CREATE FOREIGN TABLE',
      'DROP FOREIGN TABLE',
      'CREATE FOREIGN TABLE',
      '-- set cache item',
      'INSERT 0 1',
      '-- set cache item, that will expire after 10 seconds',
      'INSERT 0 1',
      '-- update cache item with key born_to_die',
      'UPDATE 1',
      '-- get cache items with set of keys in "where" clause',
    ) +
    psqlTable(['key', 'value'], [['meaning_of_life', '42']]) +
    lines('-- delete cache item with key meaning_of_life', 'DELETE 1', CONNECTION_TITLE) +
    psqlTable(['stat_name', 'stat_value'], connectionRows) +
    lines(SETTINGS_TITLE) +
    psqlTable(['stat_name', 'stat_value'], ENABLED_SETTINGS)
  );
}

describe('sql/install.sql then sql/example.sql, run with psql as they are', () => {
  const rounds: Array<{ install: ReturnType<typeof psqlFile>; example: ReturnType<typeof psqlFile> }> = [];

  beforeAll(() => {
    for (let round = 0; round < 2; round++)
      rounds.push({ install: psqlFile('sql/install.sql'), example: psqlFile('sql/example.sql') });
  });

  it('install.sql: the extension and the two servers, then only NOTICEs that they exist', () => {
    const [first, second] = rounds as [(typeof rounds)[0], (typeof rounds)[0]];
    const stdout = 'CREATE EXTENSION\nALTER EXTENSION\nCREATE SERVER\nCREATE SERVER\n';
    expect([first.install.status, first.install.stdout, first.install.stderr]).toEqual([
      0,
      stdout,
      'psql:sql/install.sql:16: NOTICE:  installing required extension "multicorn"\n' +
        'psql:sql/install.sql:17: NOTICE:  version "1.1" of extension "pymcache_fdw" is already installed\n',
    ]);
    expect([second.install.status, second.install.stdout, second.install.stderr]).toEqual([
      0,
      stdout,
      'psql:sql/install.sql:16: NOTICE:  extension "pymcache_fdw" already exists, skipping\n' +
        'psql:sql/install.sql:17: NOTICE:  version "1.1" of extension "pymcache_fdw" is already installed\n' +
        'psql:sql/install.sql:24: NOTICE:  server "pymcache_fdw" already exists, skipping\n' +
        'psql:sql/install.sql:31: NOTICE:  server "pymcache_fdw_stat" already exists, skipping\n',
    ]);
  });

  it('example.sql prints the README results: INSERT, UPDATE, the one row, DELETE, the statistics and settings', async () => {
    const raw = await rawStats(readmeServer);
    for (const { example } of rounds) {
      const connectionRows = rowsAfter(example.stdout, CONNECTION_TITLE);
      expect(example.status, example.stderr).toBe(0);
      expect(example.stdout).toBe(exampleOutput(connectionRows));
      // The README's three rows and memcached 1.6's two more, in the server's order.
      expect(connectionRows.map(([name]) => name)).toEqual([...raw.keys()].filter((name) => /connection/i.test(name)));
      expect(connectionRows.map(([name]) => name)).toEqual([
        'max_connections',
        'curr_connections',
        'total_connections',
        'rejected_connections',
        'connection_structures',
      ]);
      for (const [, value] of connectionRows) expect(value).toMatch(/^\d+$/);
      const shown = new Map(connectionRows.map(([name, value]) => [name!, Number(value)]));
      // The limit and the refusals do not move; counters only grow: what the table showed is at most what memcached
      // reported after both rounds, and the table's own connection is one of them.
      expect([shown.get('max_connections'), shown.get('rejected_connections')]).toEqual([
        Number(raw.get('max_connections')),
        Number(raw.get('rejected_connections')),
      ]);
      expect(shown.get('curr_connections')).toBeGreaterThanOrEqual(1);
      expect(shown.get('total_connections')).toBeGreaterThanOrEqual(shown.get('curr_connections')!);
      expect(shown.get('total_connections')).toBeLessThanOrEqual(Number(raw.get('total_connections')));
    }
    // The settings rows are memcached's own, in its order (auth_enabled_sasl's yes/no shown as True/False).
    const settings = [...(await rawStats(readmeServer, 'settings'))].filter(([name]) => /enabled/i.test(name));
    expect(
      settings.map(([name, value]) => [
        name,
        name === 'auth_enabled_sasl' ? { yes: 'True', no: 'False' }[value] : value,
      ]),
    ).toEqual(ENABLED_SETTINGS);
  });

  it("example.sql on stderr: the stats table's default host and port WARNINGs, after the first run's NOTICEs", () => {
    const warnings =
      'psql:sql/example.sql:59: WARNING:  Using default host: localhost\n' +
      'psql:sql/example.sql:59: WARNING:  Using default port: 11211\n';
    expect(rounds.map(({ example }) => example.stderr)).toEqual([
      'psql:sql/example.sql:7: NOTICE:  foreign table "pymcache_test" does not exist, skipping\n' +
        'psql:sql/example.sql:20: NOTICE:  foreign table "pymcache_stat_test" does not exist, skipping\n' +
        'psql:sql/example.sql:26: NOTICE:  foreign table "pymcache_stat_settings_test" does not exist, skipping\n' +
        warnings,
      warnings,
    ]);
  });

  it('leaves memcached as the README says: born_to_die updated with a 300-second expiry, meaning_of_life deleted', async () => {
    const stored = await rawGet(readmeServer, 'born_to_die');
    expect([stored?.value.toString(), stored?.flags]).toEqual(['Grand Funk Railroad', 0]);
    expect(stored!.ttl).toBeGreaterThan(290);
    expect(stored!.ttl).toBeLessThanOrEqual(300);
    expect(await rawGet(readmeServer, 'meaning_of_life')).toBeNull();
  });

  it('another backend reads what the README inserted (one client per server per backend)', async () => {
    const other = await connect(connection);
    try {
      const result = await other.query(`select key, value from pymcache_test where key = 'born_to_die'`);
      expect(result.rows).toEqual([{ key: 'born_to_die', value: 'Grand Funk Railroad' }]);
    } finally {
      await other.end();
    }
  });
});

describe("the README's own SQL block, as printed", () => {
  it('runs in a fresh database with psql, stopping at no error, and prints what the README implies', async () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /```sql\n([\s\S]*?)```/.exec(readme)![1]!;
    const fresh = await createScratchDatabase(inject('postgres'), 'sql_readme_block');
    const result = spawnSync(
      join(PG_BIN, 'psql'),
      [
        '-X',
        '-A',
        '-t',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        fresh.host,
        '-p',
        String(fresh.port),
        '-U',
        fresh.user,
        '-d',
        fresh.database,
      ],
      { input: block, cwd: repoRoot, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } },
    );
    expect(result.stderr.split('\n').filter((line) => /ERROR|FATAL/.test(line))).toEqual([]);
    expect(result.status).toBe(0);
    const output = result.stdout.split('\n');
    // The lookup (born_to_die is listed by the LIKE scan with the seconds it has left: at most 10), then pgmemcache's API.
    expect(output).toContain('meaning_of_life|42');
    const listed = output.find((line) => line.startsWith('born_to_die|'));
    expect(Number(listed!.split('|')[1])).toBeGreaterThan(0);
    expect(Number(listed!.split('|')[1])).toBeLessThanOrEqual(10);
    expect(output).toContain('t|bar');
    expect(await rawGet(readmeServer, 'session:42')).toBeNull();
    expect((await rawGet(readmeServer, 'foo'))?.value.toString()).toBe('bar');
    const connectionStats = output.filter((line) => /^[a-z_]*connection[a-z_]*\|/.test(line));
    expect(connectionStats.length).toBeGreaterThan(0);
  });
});
