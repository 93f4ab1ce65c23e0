// `npm run bench`: one memcached and one PostgreSQL cluster per Multicorn, pgbench with prepared statements at fixed
// durations, contenders alternating (A B A B ...) per workload. Prints a table per Multicorn and writes
// bench-results/latest.{json,svg}.
//   BENCH_SECONDS   seconds per pgbench run (default 5)
//   BENCH_ROUNDS    runs per contender and workload (default 3)
//   BENCH_MULTICORN which Multicorn: unset, the one the environment names (PYMCACHE_PG_ROOT, as the tests);
//                   `both`, this project's host (Debian's PostgreSQL) and multicorn2 (the relocated copy that
//                   PYMCACHE_PG_ROOT and PYMCACHE_MULTICORN_PYTHONPATH name, docs/host.md), their runs interleaved
//                   workload by workload so that both see the same machine
//   BENCH_WORKLOADS which workloads, e.g. `W2,W6` (default all seven)
//   BENCH_PREVIOUS  a git revision of this repository whose python-out/ is the earlier pymcache_fdw that W1-W4 also
//                   run on (default: the last commit before our memcached client replaced pymemcache); `none` skips it
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startMemcached } from '../test/rig/memcached';
import {
  DEFAULT_INSTALLATION,
  installedMulticorn,
  pgBinOf,
  startPostgresCluster,
  type MulticornFlavor,
  type PostgresConnection,
  type PostgresInstallation,
} from '../test/rig/postgres';
import { flavourName, formatTable, renderSvg, summarize, type FlavourReport, type Sample } from './report';
import {
  KEY_COUNT,
  MULTI_GET_SIZE,
  PREVIOUS_TABLE,
  SESSION_UPDATES,
  VALUE_BYTES,
  workloads,
  type WorkloadScript,
} from './workloads';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATABASE = 'bench';
/** The parent of "One memcached client, ours, over the socket port" (68a4530): pymcache_fdw on pymemcache. */
const DEFAULT_PREVIOUS = 'fde44a2';
/** The earlier pymcache_fdw's package, renamed so that it loads beside ours in one backend. */
const PREVIOUS_PACKAGE = 'pymcache_fdw_previous';

function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name}=${raw}: expected a positive whole number`);
  return Number.parseInt(raw, 10);
}

/** One Multicorn to measure: the installation its cluster runs, and which Multicorn that is. */
interface Flavour {
  installation: PostgresInstallation;
  multicorn: MulticornFlavor;
}

/** The Multicorns BENCH_MULTICORN asks for, each checked to be installed where it is looked for. */
function flavours(): Flavour[] {
  const mode = process.env['BENCH_MULTICORN'] ?? '';
  if (mode === '') return [{ installation: DEFAULT_INSTALLATION, multicorn: installedMulticorn() }];
  if (mode !== 'both')
    throw new Error(`BENCH_MULTICORN=${mode}: expected both, or unset (the Multicorn the environment names)`);
  if (DEFAULT_INSTALLATION.root === '') {
    throw new Error(
      'BENCH_MULTICORN=both needs PYMCACHE_PG_ROOT (and PYMCACHE_MULTICORN_PYTHONPATH) naming the copy of PostgreSQL with multicorn2 (docs/host.md)',
    );
  }
  const host: PostgresInstallation = { root: '', multicornPythonPath: [] };
  return [
    { installation: host, multicorn: installedMulticorn(host, 'host') },
    { installation: DEFAULT_INSTALLATION, multicorn: installedMulticorn(DEFAULT_INSTALLATION, 'system') },
  ];
}

/**
 * The earlier pymcache_fdw's Python package from git (`revision`'s python-out/pymcache_fdw), under a directory the
 * backend can read, as PREVIOUS_PACKAGE. Its imports are relative, so the renamed package loads beside ours.
 */
function stagePreviousPackage(revision: string, scratch: string): string {
  const dir = join(scratch, 'previous');
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('git', ['-C', repoRoot, 'archive', '--format=tar', revision, 'python-out/pymcache_fdw'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  if (archive.status !== 0)
    throw new Error(`git archive ${revision} python-out/pymcache_fdw failed: ${archive.stderr.toString()}`);
  const untar = spawnSync('tar', ['-x', '-C', dir, '--strip-components=1'], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`unpacking ${revision}'s python-out failed: ${untar.stderr.toString()}`);
  renameSync(join(dir, 'pymcache_fdw'), join(dir, PREVIOUS_PACKAGE));
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return dir;
}

async function setUpDatabase(connection: PostgresConnection, memcachedPort: number, previous: boolean): Promise<void> {
  const admin = new pg.Client({ ...connection });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  // pgmemcache reads its servers from a GUC when it loads; loading it per session avoids a cluster restart.
  await admin.query(`ALTER DATABASE ${DATABASE} SET session_preload_libraries = 'pgmemcache'`);
  await admin.query(`ALTER DATABASE ${DATABASE} SET pgmemcache.default_servers = '127.0.0.1:${memcachedPort}'`);
  // The test rig turns JIT off for stable EXPLAIN output; the benchmark measures PostgreSQL's defaults.
  await admin.query(`ALTER DATABASE ${DATABASE} SET jit = on`);
  // W6, W7: the extension's functions work on this cache table.
  await admin.query(`ALTER DATABASE ${DATABASE} SET pymcache_fdw.default_table = 'public.cache'`);
  await admin.end();

  const client = new pg.Client({ ...connection, database: DATABASE });
  await client.connect();
  await client.query('CREATE EXTENSION multicorn');
  await client.query('CREATE EXTENSION pgmemcache');
  await client.query('CREATE EXTENSION plperlu');
  const tableOptions = `OPTIONS (host '127.0.0.1', port '${memcachedPort}', row_id 'key')`;
  await client.query(
    `CREATE SERVER cache_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  await client.query(`CREATE FOREIGN TABLE cache (key text, value text) SERVER cache_server ${tableOptions}`);
  if (previous) {
    await client.query(
      `CREATE SERVER previous_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper '${PREVIOUS_PACKAGE}.PymcacheFDW')`,
    );
    await client.query(
      `CREATE FOREIGN TABLE ${PREVIOUS_TABLE} (key text, value text) SERVER previous_server ${tableOptions}`,
    );
  }
  // W5: the seed article's approach, a Cache::Memcached client built on every call.
  await client.query(`CREATE FUNCTION perl_memcache_get(text) RETURNS text LANGUAGE plperlu AS $$
      use Cache::Memcached;
      my $memd = Cache::Memcached->new({ servers => ['127.0.0.1:${memcachedPort}'] });
      return $memd->get($_[0]);
    $$`);
  // W6, W7: the pymcache_fdw extension in its own schema, beside pgmemcache's functions in public.
  await client.query('CREATE EXTENSION pymcache_fdw');
  // W7: the seed article's sessions table and rules, once with our memcache_set, once with its PL/Perl one (a
  // Cache::Memcached built on every call, as the article wrote it).
  await client.query(`CREATE FUNCTION perl_memcache_set(_key text, _value bytea) RETURNS int LANGUAGE plperlu AS $$
      use Cache::Memcached;
      my ($_key, $_value) = @_;
      $m = new Cache::Memcached { 'debug' => 0 };
      my @list = ("127.0.0.1:${memcachedPort}");
      my $servers = \\@list;
      $m->set_servers($servers);
      $m->enable_compress(0);
      if ($m->set($_key, $_value)) { return 0; } else { return 1; }
    $$`);
  for (const [table, setter] of [
    ['sessions_ours', 'pymcache_fdw.memcache_set'],
    ['sessions_perl', 'perl_memcache_set'],
  ] as const) {
    await client.query(`CREATE TABLE ${table} (session_id char(32) NOT NULL, data bytea NOT NULL DEFAULT '')`);
    await client.query(
      `INSERT INTO ${table} SELECT md5('${table}' || g), '' FROM generate_series(1, ${SESSION_UPDATES}) g`,
    );
    await client.query(
      `CREATE RULE ${table}_insert_rule AS ON INSERT TO ${table} DO ALSO SELECT ${setter}(NEW.session_id::text, NEW.data)`,
    );
    await client.query(
      `CREATE RULE ${table}_update_rule AS ON UPDATE TO ${table} DO ALSO SELECT ${setter}(NEW.session_id::text, NEW.data)`,
    );
  }
  await client.query(
    `SELECT count(memcache_set(g::text, repeat('v', ${VALUE_BYTES}))) FROM generate_series(1, ${KEY_COUNT}) g`,
  );
  const tenKeys = [Array.from({ length: 10 }, (_, i) => String(i + 1))];
  for (const table of previous ? ['cache', PREVIOUS_TABLE] : ['cache']) {
    const check = await client.query<{ hits: string }>(
      `SELECT count(value) AS hits FROM ${table} WHERE key = ANY($1::text[])`,
      tenKeys,
    );
    if (check.rows[0]?.hits !== '10') {
      throw new Error(
        `setup check failed: the foreign table ${table} found ${check.rows[0]?.hits ?? 'no'} of 10 preloaded keys`,
      );
    }
  }
  await client.end();
}

interface PgbenchResult {
  tps: number;
  latencyMs: number;
}

function runPgbench(
  pgBin: string,
  connection: PostgresConnection,
  script: WorkloadScript,
  clients: number,
  seconds: number,
  defines: Record<string, string>,
  scratch: string,
): PgbenchResult {
  const args = [
    '-n',
    '-M',
    'prepared',
    '-T',
    String(seconds),
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-h',
    connection.host,
    '-p',
    String(connection.port),
    '-U',
    connection.user,
  ];
  for (const [name, value] of Object.entries(defines)) args.push('-D', `${name}=${value}`);
  for (const [name, text] of Object.entries(script.files)) {
    const [fileName, weight] = name.split('@') as [string, string | undefined];
    const path = join(scratch, `${script.contender}-${fileName}`);
    writeFileSync(path, text);
    args.push('-f', weight === undefined ? path : `${path}@${weight}`);
  }
  args.push(DATABASE);
  const result = spawnSync(join(pgBin, 'pgbench'), args, { encoding: 'utf8' });
  const output = `${result.stdout}\n${result.stderr}`;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
  const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
  if (result.status !== 0 || tps === undefined || latency === undefined || (failed !== undefined && failed !== '0')) {
    throw new Error(`pgbench for ${script.contender} failed:\n${output}`);
  }
  return { tps: Number.parseFloat(tps), latencyMs: Number.parseFloat(latency) };
}

/** A started cluster of one flavour, ready for pgbench. */
interface Running {
  flavour: Flavour;
  pgBin: string;
  connection: PostgresConnection;
  stop(): Promise<void>;
  samples: Sample[];
}

async function main(): Promise<void> {
  const seconds = positiveIntFromEnv('BENCH_SECONDS', 5);
  const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
  const previousRevision = process.env['BENCH_PREVIOUS'] ?? DEFAULT_PREVIOUS;
  const withPrevious = previousRevision !== 'none';
  const wanted = flavours();
  const memcached = await startMemcached(['-m', '256']);
  const scratch = mkdtempSync(join(tmpdir(), 'pymcache-bench-'));
  chmodSync(scratch, 0o755);
  const running: Running[] = [];
  try {
    const extraPythonPath = withPrevious ? [stagePreviousPackage(previousRevision, scratch)] : [];
    for (const flavour of wanted) {
      const cluster = await startPostgresCluster({ installation: flavour.installation, extraPythonPath });
      running.push({
        flavour,
        pgBin: pgBinOf(flavour.installation),
        connection: cluster.connection,
        stop: cluster.stop,
        samples: [],
      });
      console.log(`Multicorn: ${flavourName(flavour.multicorn)} (${pgBinOf(flavour.installation)})`);
      await setUpDatabase(cluster.connection, memcached.address.port, withPrevious);
    }
    if (withPrevious) console.log(`previous: pymcache_fdw at ${previousRevision} (table ${PREVIOUS_TABLE})`);
    const firstKey = 1 + Math.floor(Math.random() * (KEY_COUNT - MULTI_GET_SIZE));
    const keysArray = `{${Array.from({ length: MULTI_GET_SIZE }, (_, i) => String(firstKey + i)).join(',')}}`;
    // Wall-clock ratios are only as good as the machine is quiet: a busy machine slows both contenders and squeezes
    // their ratio towards 1. The 1-minute load average is sampled after every workload and reported with the results.
    const loads: number[] = [loadavg()[0]!];
    const only = (process.env['BENCH_WORKLOADS'] ?? '').split(',').filter((id) => id !== '');
    const all = workloads(withPrevious).filter((workload) => only.length === 0 || only.includes(workload.id));
    for (const workload of all) {
      for (const run of running) {
        for (let round = 1; round <= rounds; round += 1) {
          for (const script of workload.scripts) {
            const measured = runPgbench(
              run.pgBin,
              run.connection,
              script,
              workload.clients,
              seconds,
              { keys: keysArray },
              scratch,
            );
            run.samples.push({ workload: workload.id, contender: script.contender, round, ...measured });
            console.log(
              `${flavourName(run.flavour.multicorn)} ${workload.id} round ${round} ${script.contender}: ${measured.tps.toFixed(1)} tps, ${measured.latencyMs.toFixed(3)} ms`,
            );
          }
        }
      }
      loads.push(loadavg()[0]!);
    }
    const reports: FlavourReport[] = running.map((run) => ({
      multicorn: run.flavour.multicorn,
      pgBin: run.pgBin,
      results: all.map((workload) => summarize(workload, run.samples)),
    }));
    const names = reports.map((r) => flavourName(r.multicorn)).join(' and ');
    const title = `pymcache_fdw on ${names} vs pgmemcache: medians of ${rounds} x ${seconds}s pgbench runs`;
    for (const report of reports) console.log(`\n${flavourName(report.multicorn)}\n${formatTable(report.results)}`);
    const loadText = `1-minute load average ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)} during the run (${cpus().length} CPUs)`;
    console.log(`\n${loadText}`);
    if (Math.max(...loads) > cpus().length / 2) {
      console.log('the machine was busy during the run: ratios are less reliable than on a quiet machine');
    }
    const outDir = join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const report = {
      date: new Date().toISOString(),
      seconds,
      rounds,
      previous: withPrevious ? previousRevision : null,
      loadAverage: { samples: loads, cpus: cpus().length },
      runs: reports.map((r) => ({
        ...r,
        samples: running.find((run) => run.flavour.multicorn === r.multicorn)!.samples,
      })),
    };
    writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    const subtitle = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${loadText}${withPrevious ? `; previous: ${previousRevision}` : ''}`;
    writeFileSync(join(outDir, 'latest.svg'), renderSvg(reports, title, subtitle));
    console.log(`\nwrote bench-results/latest.json and bench-results/latest.svg`);
  } finally {
    for (const run of running) await run.stop();
    await memcached.stop();
    if (existsSync(scratch)) rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
