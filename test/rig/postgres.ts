// A throwaway PostgreSQL 15 cluster for the tests: initdb as the `postgres` OS user in a fresh temp dir,
// a free port on 127.0.0.1, the socket inside the temp dir, fsync off, and a PYTHONPATH that lets the
// backend's embedded Python import the emitted package (python-out/) and the host contract wrappers
// (test/host/wrappers/) without any system-wide install. Stopped and removed on teardown. The demo's cluster is
// made by the same createCluster/startCluster, in a directory and on a port of its own, and kept running.
// Debian's PostgreSQL 15 by default; PYMCACHE_PG_ROOT names a relocated copy of it (its binaries in
// $PYMCACHE_PG_ROOT/usr/lib/postgresql/15/bin) and PYMCACHE_MULTICORN_PYTHONPATH the directories that go first on
// the backend's PYTHONPATH (a real multicorn2's Python package): docs/host.md. A caller may start a cluster of another
// installation (the benchmark's BENCH_MULTICORN=both starts one of each).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freeLoopbackPort, LOOPBACK } from './ports';

export type PostgresConnection = { host: string; port: number; user: string; database: string };

/** Which Multicorn the cluster loads: this project's host (host/) or a real multicorn2. */
export type MulticornFlavor = 'host' | 'system';

/**
 * A PostgreSQL 15 the rig can start clusters of: Debian's own (`root` '') or a relocated copy of it, and the
 * directories put first on the backend's PYTHONPATH (a real multicorn2's Python package).
 */
export interface PostgresInstallation {
  root: string;
  multicornPythonPath: string[];
}

/** The binaries of an installation: PostgreSQL finds its share and lib directories relative to them. */
export function pgBinOf(installation: PostgresInstallation): string {
  return join(installation.root === '' ? '/' : resolve(installation.root), 'usr', 'lib', 'postgresql', '15', 'bin');
}

/** The installation the environment names: PYMCACHE_PG_ROOT and PYMCACHE_MULTICORN_PYTHONPATH (':'-separated). */
export const DEFAULT_INSTALLATION: PostgresInstallation = {
  root: process.env['PYMCACHE_PG_ROOT'] ?? '',
  multicornPythonPath: (process.env['PYMCACHE_MULTICORN_PYTHONPATH'] ?? '').split(':').filter((dir) => dir !== ''),
};
export const PG_BIN = pgBinOf(DEFAULT_INSTALLATION);
/** The marker scripts/install-host.sh and host/multicorn.control share. */
const HOST_MARKER = 'built by pymcache_fdw';
/** A port picked as free may be taken before postgres binds it; retry with another. */
const PORT_ATTEMPTS = 5;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the backend's Python finds the emitted package and the host contract's test wrappers, in the repository. */
export function backendPythonSources(): string[] {
  return [join(repoRoot, 'python-out', 'pymcache_fdw'), join(repoRoot, 'test', 'host', 'wrappers')];
}

/**
 * Copies the emitted package (and, with `testWrappers`, the host contract's test wrappers) under `baseDir` and
 * returns the PYTHONPATH that finds them. The backend runs as the postgres user, which may not be able to read the
 * clone (Debian's /root is 0700).
 */
export function stageBackendPython(baseDir: string, testWrappers = true): string[] {
  const [emittedPackage, wrappers] = backendPythonSources() as [string, string];
  const staged = [join(baseDir, 'python')];
  cpSync(emittedPackage, join(staged[0]!, 'pymcache_fdw'), {
    recursive: true,
    filter: (source) => !source.includes('__pycache__'),
  });
  if (testWrappers) {
    staged.push(join(baseDir, 'wrappers'));
    cpSync(wrappers, staged[1]!, { recursive: true, filter: (source) => !source.includes('__pycache__') });
  }
  // Owned by postgres, so the backend can write its bytecode cache beside the sources.
  if (process.getuid?.() === 0) run('chown', ['-R', 'postgres:postgres', ...staged]);
  return staged;
}

/**
 * The Multicorn installed in the PostgreSQL the rig starts (PG_BIN's), checked against PYMCACHE_MULTICORN
 * (auto|host|system). Throws with what to do when none is installed, when the installed one is not the one asked
 * for, or when a real multicorn2's Python package is not what the backend's Python would import.
 */
export function installedMulticorn(
  installation: PostgresInstallation = DEFAULT_INSTALLATION,
  wanted: string = process.env['PYMCACHE_MULTICORN'] ?? 'auto',
): MulticornFlavor {
  const sharedir = mustRun('pg_config', join(pgBinOf(installation), 'pg_config'), ['--sharedir']).trim();
  const control = join(sharedir, 'extension', 'multicorn.control');
  if (!existsSync(control)) {
    throw new Error(
      `no Multicorn is installed (${control} is missing); run scripts/install-host.sh (or npm test, which runs it)`,
    );
  }
  const flavor: MulticornFlavor = readFileSync(control, 'utf8').includes(HOST_MARKER) ? 'host' : 'system';
  if (wanted !== 'auto' && wanted !== flavor) {
    throw new Error(
      `PYMCACHE_MULTICORN=${wanted}, but the installed Multicorn (${control}) is ${flavor === 'host' ? "this project's host" : 'a real multicorn2'}; run scripts/install-host.sh with the same setting${wanted === 'system' ? ', or point PYMCACHE_PG_ROOT at a copy of PostgreSQL with multicorn2 (docs/host.md)' : ''}`,
    );
  }
  // Our host puts its own package first on sys.path; multicorn2 imports whatever `multicorn` comes first.
  if (flavor === 'system') {
    const pythonPath = installation.multicornPythonPath.join(':');
    const found = run(
      '/usr/bin/python3',
      [
        '-P',
        '-c',
        "import importlib.util as u; s = u.find_spec('multicorn'); print(s.origin if s and s.origin else '')",
      ],
      { asPostgres: true, env: { ...process.env, PYTHONPATH: pythonPath } },
    ).stdout.trim();
    const packageDir = dirname(found);
    // multicorn2's package carries its compiled multicorn._utils; our host's has none (the host's C provides it).
    if (found === '' || !readdirSync(packageDir).some((file) => /^_utils\..*\.so$/.test(file))) {
      throw new Error(
        `the backend's Python (PYTHONPATH=${pythonPath}) imports ${found === '' ? 'no multicorn' : `multicorn from ${packageDir}`}, not multicorn2's package for ${control}; set PYMCACHE_MULTICORN_PYTHONPATH (docs/host.md)`,
      );
    }
  }
  return flavor;
}

type RunOptions = { asPostgres?: boolean; env?: NodeJS.ProcessEnv };

/** Runs a command to its end; `asPostgres`: as the postgres OS user when this process is root. */
function run(command: string, args: string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] =
    options.asPostgres === true && asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return spawnSync(file, argv, { encoding: 'utf8', env: options.env ?? process.env });
}

/** `run`, throwing with the command's output unless it exits 0; returns its stdout. */
export function mustRun(what: string, command: string, args: string[], options: RunOptions = {}): string {
  const result = run(command, args, options);
  if (result.error !== undefined || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(
      `${what} failed (${command} ${args.join(' ')}): ${result.error?.message ?? `exit ${String(result.status)}`}\n${output}`,
    );
  }
  return result.stdout;
}

function logTail(logFile: string, lines = 40): string {
  if (!existsSync(logFile)) return '(no server log was written)';
  return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
}

/** A cluster's files: the data directory, the server log and the socket all under one directory. */
export type Cluster = { bin: string; baseDir: string; dataDir: string; logFile: string; pythonPath: string[] };

/** What else a cluster needs: another installation than the environment's, more directories on PYTHONPATH. */
export interface ClusterOptions {
  /** Default DEFAULT_INSTALLATION (and then PYMCACHE_MULTICORN, when set, is checked before the cluster starts). */
  installation?: PostgresInstallation;
  /** Directories put last on the backend's PYTHONPATH (readable by the postgres user). */
  extraPythonPath?: string[];
}

/**
 * A new cluster in `baseDir` (created if missing; owned by the postgres OS user when this process is root): initdb
 * as that user (trust authentication, UTF8, C.UTF-8) into `data`, and the emitted package staged for the backend's
 * Python (with the host contract's test wrappers when `testWrappers`), after PYMCACHE_MULTICORN_PYTHONPATH.
 */
export function createCluster(baseDir: string, testWrappers: boolean, options: ClusterOptions = {}): Cluster {
  const installation = options.installation ?? DEFAULT_INSTALLATION;
  const bin = pgBinOf(installation);
  if (!existsSync(join(bin, 'postgres'))) {
    throw new Error(
      `${join(bin, 'postgres')} is missing; ${installation.root === '' ? 'install postgresql-15 (scripts/bootstrap.sh)' : 'PYMCACHE_PG_ROOT must be a relocated copy of PostgreSQL 15 (docs/host.md)'}`,
    );
  }
  mkdirSync(baseDir, { recursive: true });
  if (process.getuid?.() === 0) {
    const ids = run('id', ['-u', 'postgres']);
    const gids = run('id', ['-g', 'postgres']);
    if (ids.status !== 0)
      throw new Error('the postgres OS user does not exist; install postgresql-15 (scripts/bootstrap.sh)');
    chownSync(baseDir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  chmodSync(baseDir, 0o755);
  const dataDir = join(baseDir, 'data');
  mustRun(
    'initdb',
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
    { asPostgres: true },
  );
  const pythonPath = [
    ...installation.multicornPythonPath,
    ...stageBackendPython(baseDir, testWrappers),
    ...(options.extraPythonPath ?? []),
  ];
  return { bin, baseDir, dataDir, logFile: join(baseDir, 'postgresql.log'), pythonPath };
}

/**
 * Starts `cluster` listening on 127.0.0.1:`port` and on a socket in its base directory, fsync off, with `settings`
 * (postgresql.conf lines) after those, and waits until it accepts connections. `port` null: a free port, another one
 * when that is taken before the server binds it. Returns the port.
 */
export async function startCluster(
  cluster: Cluster,
  port: number | null,
  settings: readonly string[] = [],
): Promise<number> {
  const env = { ...process.env, PYTHONPATH: cluster.pythonPath.join(':') };
  let lastError = '';
  for (let attempt = 0; attempt < (port === null ? PORT_ATTEMPTS : 1); attempt++) {
    const listenPort = port ?? (await freeLoopbackPort());
    writeFileSync(
      join(cluster.dataDir, 'postgresql.auto.conf'),
      [
        `port = ${listenPort}`,
        `listen_addresses = '${LOOPBACK}'`,
        `unix_socket_directories = '${cluster.baseDir}'`,
        'fsync = off',
        ...settings,
        '',
      ].join('\n'),
    );
    const started = run(
      join(cluster.bin, 'pg_ctl'),
      ['-D', cluster.dataDir, '-l', cluster.logFile, '-w', '-t', '60', 'start'],
      { asPostgres: true, env },
    );
    if (started.status === 0) return listenPort;
    lastError = `${started.stdout}${started.stderr}`.trim();
    if (!logTail(cluster.logFile).includes('could not bind')) break;
  }
  throw new Error(
    `PostgreSQL did not start: ${lastError}\n--- tail of ${cluster.logFile} ---\n${logTail(cluster.logFile)}`,
  );
}

/** Stops the cluster in `dataDir` if it runs (`mode` as pg_ctl's -m), waiting for it. */
export function stopCluster(dataDir: string, mode: 'fast' | 'immediate', bin: string = PG_BIN): void {
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', 'stop'], { asPostgres: true });
  }
}

/**
 * Starts the tests' throwaway cluster in a fresh temporary directory, stopped (immediately) and removed by `stop()`
 * or when this process exits. It does not require a Multicorn: layers that need one call installedMulticorn() (the
 * host contract helpers do), so that the other layers run even where the host is not built yet.
 */
export async function startPostgresCluster(
  options: ClusterOptions = {},
): Promise<{ connection: PostgresConnection; stop(): Promise<void> }> {
  // Asked for one Multicorn explicitly: every layer must run on it, so a wrong installation fails the run at once.
  if (options.installation === undefined && (process.env['PYMCACHE_MULTICORN'] ?? 'auto') !== 'auto')
    installedMulticorn();
  const bin = pgBinOf(options.installation ?? DEFAULT_INSTALLATION);
  const baseDir = mkdtempSync(join(tmpdir(), 'pymcache-pg-'));
  const dataDir = join(baseDir, 'data');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    stopCluster(dataDir, 'immediate', bin);
    rmSync(baseDir, { recursive: true, force: true });
  };
  // A crashed test run must not leave a postmaster behind.
  process.once('exit', () => {
    if (!stopped) stopCluster(dataDir, 'immediate', bin);
  });
  try {
    const cluster = createCluster(baseDir, true, options);
    const port = await startCluster(cluster, null, [
      // jit off: EXPLAIN output stays the same whatever the wrappers' row estimates are.
      'synchronous_commit = off',
      'full_page_writes = off',
      'jit = off',
      'max_connections = 200',
      // Two-phase commit is on, so that the tests can show PREPARE TRANSACTION refused for cache tables, not disabled.
      'max_prepared_transactions = 10',
      "lc_messages = 'C'",
      "timezone = 'UTC'",
    ]);
    return { connection: { host: LOOPBACK, port, user: 'postgres', database: 'postgres' }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A connected node-postgres client; the caller ends it. */
export async function connect(connection: PostgresConnection): Promise<pg.Client> {
  const client = new pg.Client({ ...connection });
  await client.connect();
  return client;
}

/**
 * A fresh database `name` in the cluster (dropped first if it exists), so that test files running in
 * parallel never share objects. Returns the connection to it.
 */
export async function createScratchDatabase(connection: PostgresConnection, name: string): Promise<PostgresConnection> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    throw new Error(`scratch database name '${name}' must be a lowercase identifier`);
  const admin = await connect({ ...connection, database: 'postgres' });
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return { ...connection, database: name };
}
