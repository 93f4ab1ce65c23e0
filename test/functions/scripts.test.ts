// sql/functions.sql (the demo's last script: the function API and the seed article's rules through CREATE EXTENSION
// pymcache_fdw) run with psql as it is, twice (it is re-runnable), after sql/install.sql, on a cache table
// pymcache_test like sql/example.sql's (here on the shared test memcached, under a prefix of its own).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  connect,
  createScratchDatabase,
  installedMulticorn,
  PG_BIN,
  repoRoot,
  type PostgresConnection,
} from '../rig/postgres';
import { uniquePrefix } from '../rig/memcached';

const DATABASE = 'functions_scripts';
let connection: PostgresConnection | null = null;

function psqlFile(file: string): { status: number | null; stdout: string; stderr: string } {
  const target = connection!;
  const result = spawnSync(
    join(PG_BIN, 'psql'),
    [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      target.host,
      '-p',
      String(target.port),
      '-U',
      target.user,
      '-d',
      target.database,
      '-f',
      join(repoRoot, file),
    ],
    { encoding: 'utf8' },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(async () => {
  if (connection === null) return;
  const admin = await connect({ ...connection, database: 'postgres' });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describe('sql/functions.sql', () => {
  it("prints the article's results through the extension, twice", async () => {
    installedMulticorn();
    connection = await createScratchDatabase(inject('postgres'), DATABASE);
    const install = psqlFile('sql/install.sql');
    expect(install.status, install.stderr).toBe(0);
    const server = inject('memcachedServers')[0]!;
    const client = await connect(connection);
    try {
      await client.query(`CREATE FOREIGN TABLE pymcache_test (key text, value text, expire text) SERVER pymcache_fdw
        OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${uniquePrefix('script')}')`);
    } finally {
      await client.end();
    }
    for (let round = 0; round < 2; round++) {
      const run = psqlFile('sql/functions.sql');
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/WARNING|ERROR/);
      expect(run.stdout).toMatch(/ memcache_get \n-+\n bar\n\(1 row\)/);
      expect(run.stdout).toMatch(/ This would be the session data\n\(1 row\)/);
      expect(run.stdout).toMatch(/ This is the new data\n\(1 row\)/);
      expect(run.stdout).toMatch(/ memcache_get \n-+\n draft\n\(1 row\)\n\nROLLBACK\n memcache_get \n-+\n \n\(1 row\)/);
      expect(run.stdout).toMatch(/ memcache_incr \| memcache_incr \| memcache_decr \n-+\+-+\+-+\n +1 \| +11 \| +10\n/);
      expect(run.stdout).toMatch(/ key \| value {2}\n-+\+-+\n 1 {3}\| tea\n 2 {3}\| coffee\n\(2 rows\)/);
    }
  });
});
