// `npm run demo`: starts a PostgreSQL 15 cluster and a memcached of its own (kept running afterwards) with the test
// rig's start-up code (test/rig/postgres.ts, test/rig/memcached.ts), loads the emitted pymcache_fdw package through
// Multicorn, runs the seed README's SQL and the seed article's memcache_get / memcache_set workflow
// (sql/install.sql, sql/example.sql, sql/functions.sql, through CREATE EXTENSION pymcache_fdw), and prints how to
// carry on. `npm run demo:stop` stops both and removes the demo's directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localhostAddresses, startDetachedMemcached } from '../test/rig/memcached';
import { portIsOpen } from '../test/rig/ports';
import { createCluster, mustRun, PG_BIN, repoRoot, startCluster, stopCluster } from '../test/rig/postgres';

// Outside the clone: PostgreSQL runs as the postgres user, which may not read the clone (Debian's /root is 0700).
// The cluster's data, log and socket, memcached's log and the demo's state all live here.
const runDir = '/var/tmp/pymcache_fdw-demo';
const dataDir = join(runDir, 'data');
const memcachedPidFile = join(runDir, 'memcached.pid');
const stateFile = join(runDir, 'state.json');
const DEBIAN_PYTHON = '/usr/bin/python3';

interface DemoState {
  pgPort: number;
  memcachedPort: number;
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number.parseInt(raw, 10);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port; set it to a number between 1 and 65535`);
  }
  return port;
}

function readState(): DemoState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as DemoState;
}

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stop(): Promise<void> {
  const state = readState();
  stopCluster(dataDir, 'fast');
  if (existsSync(memcachedPidFile)) {
    const pid = Number.parseInt(readFileSync(memcachedPidFile, 'utf8'), 10);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    // Gone before this returns, so that a demo started right after finds its port free.
    for (let waited = 0; waited < 5_000 && alive(pid); waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
  }
  rmSync(runDir, { recursive: true, force: true });
  console.log(
    state === undefined
      ? 'demo: nothing was running'
      : `demo: stopped PostgreSQL (port ${state.pgPort}) and memcached (port ${state.memcachedPort})`,
  );
}

async function start(): Promise<void> {
  if (readState() !== undefined) {
    console.log('demo: a previous demo is still running; stopping it first');
    await stop();
  }
  const pgPort = portFromEnv('DEMO_PG_PORT', 54329);
  const memcachedPort = portFromEnv('DEMO_MEMCACHED_PORT', 11211);
  if (await portIsOpen(memcachedPort)) {
    throw new Error(
      `port ${memcachedPort} is already in use (another memcached?); stop it, or run DEMO_MEMCACHED_PORT=11311 npm run demo`,
    );
  }
  if (await portIsOpen(pgPort)) {
    throw new Error(`port ${pgPort} is already in use; run DEMO_PG_PORT=<free port> npm run demo`);
  }

  mkdirSync(runDir, { recursive: true });
  // Every address localhost resolves to: the README's tables say host 'localhost', and pymemcache connects only to
  // the first address getaddrinfo returns (::1 on hosts that list it first).
  const memcached = await startDetachedMemcached(
    memcachedPort,
    ['-m', '64'],
    (await localhostAddresses()).join(','),
    join(runDir, 'memcached.log'),
  );
  writeFileSync(memcachedPidFile, String(memcached.pid));
  writeFileSync(stateFile, JSON.stringify({ pgPort, memcachedPort } satisfies DemoState));

  // The embedded Python finds a copy of the emitted package without a system-wide install (Multicorn's own module is
  // found where Multicorn installed it: the host puts it beside its extension files).
  const cluster = createCluster(runDir, false);
  await startCluster(cluster, pgPort);

  const connection = ['-h', runDir, '-p', String(pgPort), '-U', 'postgres'];
  mustRun('createdb', join(PG_BIN, 'createdb'), [...connection, 'demo']);
  // The README's SQL names localhost:11211 (the stats server by default); another port is put in its place.
  const portSetup =
    memcachedPort === 11211 ? '' : `ALTER SERVER pymcache_fdw_stat OPTIONS (ADD port '${memcachedPort}');\n`;
  const substitute = (sql: string): string => sql.replaceAll("'11211'", `'${memcachedPort}'`);
  for (const script of ['install.sql', 'example.sql', 'functions.sql']) {
    const sql =
      substitute(readFileSync(join(repoRoot, 'sql', script), 'utf8')) + (script === 'install.sql' ? portSetup : '');
    console.log(`\n-- sql/${script}`);
    // psql writes results to stdout and notices/warnings to stderr: both straight to the terminal keeps their order.
    const result = spawnSync(join(PG_BIN, 'psql'), ['-X', ...connection, '-d', 'demo', '-e', '-v', 'ON_ERROR_STOP=1'], {
      input: sql,
      encoding: 'utf8',
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`sql/${script} failed; the PostgreSQL log is ${cluster.logFile}`);
  }
  console.log(`
demo: PostgreSQL 15 on port ${pgPort} (socket ${runDir}), memcached on 127.0.0.1:${memcachedPort}
demo: carry on with   psql -h ${runDir} -p ${pgPort} -U postgres demo
demo: stop with       npm run demo:stop`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'stop') {
    await stop();
    return;
  }
  if (process.getuid?.() !== 0)
    throw new Error('the demo runs PostgreSQL as the postgres user and must be started as root');
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} is missing; run scripts/bootstrap.sh`);
  await start();
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
