// `npm run demo`: starts a PostgreSQL 15 cluster and a memcached of its own (kept running afterwards), loads the
// emitted pymcache_fdw package through Multicorn, runs the seed README's SQL and the seed article's memcache_get /
// memcache_set workflow (sql/functions.sql, through CREATE EXTENSION pymcache_fdw), and prints how to carry on.
// `npm run demo:stop` stops both and removes the demo's data directory.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Outside the clone: PostgreSQL runs as the postgres user, which may not read the clone (Debian's /root is 0700).
const runDir = '/var/tmp/pymcache_fdw-demo';
const pgData = join(runDir, 'pgdata');
const socketDir = join(runDir, 'sockets');
const memcachedPidFile = join(runDir, 'memcached.pid');
const stateFile = join(runDir, 'state.json');
const PG_BIN = '/usr/lib/postgresql/15/bin';
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

function run(command: string, args: string[], options: { asPostgres?: boolean; env?: NodeJS.ProcessEnv } = {}):
  SpawnSyncReturns<string> {
  const [file, argv] = options.asPostgres === true
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return spawnSync(file, argv, { encoding: 'utf8', env: options.env ?? process.env });
}

function mustRun(what: string, command: string, args: string[], options: { asPostgres?: boolean; env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(`${what} failed (${command} ${args.join(' ')}):\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolvePort(true); });
    socket.once('error', () => resolvePort(false));
  });
}

async function waitForPort(port: number, what: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await portIsOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start listening on 127.0.0.1:${port}`);
}

function readState(): DemoState | undefined {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(readFileSync(stateFile, 'utf8')) as DemoState;
}

function stop(): void {
  const state = readState();
  if (existsSync(join(pgData, 'postmaster.pid'))) {
    run(join(PG_BIN, 'pg_ctl'), ['-D', pgData, '-m', 'fast', '-w', 'stop'], { asPostgres: true });
  }
  if (existsSync(memcachedPidFile)) {
    const pid = Number.parseInt(readFileSync(memcachedPidFile, 'utf8'), 10);
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  rmSync(runDir, { recursive: true, force: true });
  console.log(state === undefined ? 'demo: nothing was running' : `demo: stopped PostgreSQL (port ${state.pgPort}) and memcached (port ${state.memcachedPort})`);
}

async function start(): Promise<void> {
  if (readState() !== undefined) {
    console.log('demo: a previous demo is still running; stopping it first');
    stop();
  }
  const pgPort = portFromEnv('DEMO_PG_PORT', 54329);
  const memcachedPort = portFromEnv('DEMO_MEMCACHED_PORT', 11211);
  if (await portIsOpen(memcachedPort)) {
    throw new Error(`port ${memcachedPort} is already in use (another memcached?); stop it, or run DEMO_MEMCACHED_PORT=11311 npm run demo`);
  }
  if (await portIsOpen(pgPort)) {
    throw new Error(`port ${pgPort} is already in use; run DEMO_PG_PORT=<free port> npm run demo`);
  }

  mkdirSync(socketDir, { recursive: true });
  chmodSync(runDir, 0o777);
  chmodSync(socketDir, 0o777);

  // Every address localhost resolves to: the README's tables say host 'localhost', and pymemcache connects only to
  // the first address getaddrinfo returns (::1 on hosts that list it first).
  const listen = [...new Set((await lookup('localhost', { all: true })).map((entry) => entry.address))].join(',');
  const memcached = spawn('/usr/bin/memcached', ['-u', 'memcache', '-l', listen, '-p', String(memcachedPort), '-U', '0', '-m', '64'], {
    detached: true, stdio: 'ignore',
  });
  memcached.unref();
  writeFileSync(memcachedPidFile, String(memcached.pid));
  await waitForPort(memcachedPort, 'memcached');

  mustRun('initdb', join(PG_BIN, 'initdb'), ['-D', pgData, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], { asPostgres: true });
  writeFileSync(join(pgData, 'postgresql.auto.conf'),
    `port = ${pgPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${socketDir}'\nfsync = off\n`);
  // The embedded Python finds a copy of the emitted package without a system-wide install (Multicorn's own module is
  // found where Multicorn installed it: the host puts it beside its extension files).
  const pythonPath = join(runDir, 'python');
  cpSync(join(repoRoot, 'python-out', 'pymcache_fdw'), join(pythonPath, 'pymcache_fdw'), {
    recursive: true, filter: (source) => !source.includes('__pycache__'),
  });
  mustRun('pg_ctl start', join(PG_BIN, 'pg_ctl'), ['-D', pgData, '-l', join(runDir, 'postgresql.log'), '-w', 'start'], {
    asPostgres: true, env: { ...process.env, PYTHONPATH: pythonPath },
  });
  writeFileSync(stateFile, JSON.stringify({ pgPort, memcachedPort } satisfies DemoState));

  const psqlBase = ['-X', '-h', socketDir, '-p', String(pgPort), '-U', 'postgres'];
  mustRun('createdb', join(PG_BIN, 'createdb'), ['-h', socketDir, '-p', String(pgPort), '-U', 'postgres', 'demo']);
  // The README's SQL names localhost:11211 (the stats server by default); another port is put in its place.
  const portSetup = memcachedPort === 11211 ? ''
    : `ALTER SERVER pymcache_fdw_stat OPTIONS (ADD port '${memcachedPort}');\n`;
  const substitute = (sql: string): string => sql.replaceAll("'11211'", `'${memcachedPort}'`);
  for (const script of ['install.sql', 'example.sql', 'functions.sql']) {
    const sql = substitute(readFileSync(join(repoRoot, 'sql', script), 'utf8')) + (script === 'install.sql' ? portSetup : '');
    console.log(`\n-- sql/${script}`);
    // psql writes results to stdout and notices/warnings to stderr: both straight to the terminal keeps their order.
    const result = spawnSync('psql', [...psqlBase, '-d', 'demo', '-e', '-v', 'ON_ERROR_STOP=1'], {
      input: sql, encoding: 'utf8', stdio: ['pipe', 'inherit', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`sql/${script} failed; the PostgreSQL log is ${join(runDir, 'postgresql.log')}`);
  }
  console.log(`
demo: PostgreSQL 15 on port ${pgPort} (socket ${socketDir}), memcached on 127.0.0.1:${memcachedPort}
demo: carry on with   psql -h ${socketDir} -p ${pgPort} -U postgres demo
demo: stop with       npm run demo:stop`);
}

async function main(): Promise<void> {
  if (process.argv[2] === 'stop') {
    stop();
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('the demo runs PostgreSQL as the postgres user and must be started as root');
  if (!existsSync(DEBIAN_PYTHON)) throw new Error(`${DEBIAN_PYTHON} is missing; run scripts/bootstrap.sh`);
  await start();
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
