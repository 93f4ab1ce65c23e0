// `npm run bench`: one PostgreSQL cluster, one memcached, pgbench with prepared statements at fixed durations,
// contenders alternating (A B A B ...) per workload. Prints a table and writes bench-results/latest.{json,svg}.
// Durations: BENCH_SECONDS (per run, default 5) and BENCH_ROUNDS (runs per contender, default 3); BENCH_ONLY=W6,W7 runs
// only the workloads named.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startMemcached } from '../test/rig/memcached';
import { installedMulticorn, PG_BIN, startPostgresCluster, type PostgresConnection } from '../test/rig/postgres';
import { formatTable, renderSvg, summarize, type Sample, type WorkloadResult } from './report';
import { KEY_COUNT, MULTI_GET_SIZE, SESSION_UPDATES, VALUE_BYTES, workloads, type Contender, type WorkloadScript } from './workloads';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PGBENCH = join(PG_BIN, 'pgbench');
const DATABASE = 'bench';

function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name}=${raw}: expected a positive whole number`);
  return Number.parseInt(raw, 10);
}

async function setUpDatabase(connection: PostgresConnection, memcachedPort: number): Promise<void> {
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
  await client.query(`CREATE SERVER cache_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`);
  await client.query(`CREATE FOREIGN TABLE cache (key text, value text) SERVER cache_server
                      OPTIONS (host '127.0.0.1', port '${memcachedPort}', row_id 'key')`);
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
  for (const [table, setter] of [['sessions_ours', 'pymcache_fdw.memcache_set'], ['sessions_perl', 'perl_memcache_set']] as const) {
    await client.query(`CREATE TABLE ${table} (session_id char(32) NOT NULL, data bytea NOT NULL DEFAULT '')`);
    await client.query(`INSERT INTO ${table} SELECT md5('${table}' || g), '' FROM generate_series(1, ${SESSION_UPDATES}) g`);
    await client.query(`CREATE RULE ${table}_insert_rule AS ON INSERT TO ${table} DO ALSO SELECT ${setter}(NEW.session_id::text, NEW.data)`);
    await client.query(`CREATE RULE ${table}_update_rule AS ON UPDATE TO ${table} DO ALSO SELECT ${setter}(NEW.session_id::text, NEW.data)`);
  }
  await client.query(`SELECT count(memcache_set(g::text, repeat('v', ${VALUE_BYTES}))) FROM generate_series(1, ${KEY_COUNT}) g`);
  const check = await client.query<{ hits: string }>(`SELECT count(value) AS hits FROM cache WHERE key = ANY($1::text[])`,
    [Array.from({ length: 10 }, (_, i) => String(i + 1))]);
  if (check.rows[0]?.hits !== '10') {
    throw new Error(`setup check failed: the foreign table found ${check.rows[0]?.hits ?? 'no'} of 10 preloaded keys`);
  }
  await client.end();
}

interface PgbenchResult {
  tps: number;
  latencyMs: number;
}

function runPgbench(connection: PostgresConnection, script: WorkloadScript, clients: number, seconds: number,
  defines: Record<string, string>, scratch: string): PgbenchResult {
  const args = ['-n', '-M', 'prepared', '-T', String(seconds), '-c', String(clients), '-j', String(Math.min(clients, 2)),
    '-h', connection.host, '-p', String(connection.port), '-U', connection.user];
  for (const [name, value] of Object.entries(defines)) args.push('-D', `${name}=${value}`);
  for (const [name, text] of Object.entries(script.files)) {
    const [fileName, weight] = name.split('@') as [string, string | undefined];
    const path = join(scratch, `${script.contender}-${fileName}`);
    writeFileSync(path, text);
    args.push('-f', weight === undefined ? path : `${path}@${weight}`);
  }
  args.push(DATABASE);
  const result = spawnSync(PGBENCH, args, { encoding: 'utf8' });
  const output = `${result.stdout}\n${result.stderr}`;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1];
  const failed = /number of failed transactions: (\d+)/.exec(output)?.[1];
  if (result.status !== 0 || tps === undefined || latency === undefined || (failed !== undefined && failed !== '0')) {
    throw new Error(`pgbench for ${script.contender} failed:\n${output}`);
  }
  return { tps: Number.parseFloat(tps), latencyMs: Number.parseFloat(latency) };
}

async function main(): Promise<void> {
  const seconds = positiveIntFromEnv('BENCH_SECONDS', 5);
  const rounds = positiveIntFromEnv('BENCH_ROUNDS', 3);
  const memcached = await startMemcached(['-m', '256']);
  const cluster = await startPostgresCluster();
  const scratch = mkdtempSync(join(tmpdir(), 'pymcache-bench-'));
  chmodSync(scratch, 0o755);
  try {
    // PYMCACHE_PG_ROOT / PYMCACHE_MULTICORN choose it as for the tests (docs/host.md); a real multicorn2 is named in the title.
    const multicorn = installedMulticorn();
    console.log(`Multicorn: ${multicorn === 'host' ? "this project's host" : 'a real multicorn2'} (${PG_BIN})`);
    await setUpDatabase(cluster.connection, memcached.address.port);
    const firstKey = 1 + Math.floor(Math.random() * (KEY_COUNT - MULTI_GET_SIZE));
    const keysArray = `{${Array.from({ length: MULTI_GET_SIZE }, (_, i) => String(firstKey + i)).join(',')}}`;
    const samples: Sample[] = [];
    const results: WorkloadResult[] = [];
    // Wall-clock ratios are only as good as the machine is quiet: a busy machine slows both contenders and squeezes
    // their ratio towards 1. The load average is reported with the results so that a noisy run can be recognised.
    const loadBefore = loadavg()[0]!;
    const only = (process.env['BENCH_ONLY'] ?? '').split(',').filter((id) => id !== '');
    for (const workload of workloads().filter((w) => only.length === 0 || only.includes(w.id))) {
      for (let round = 1; round <= rounds; round += 1) {
        for (const script of workload.scripts) {
          const measured = runPgbench(cluster.connection, script, workload.clients, seconds, { keys: keysArray }, scratch);
          samples.push({ workload: workload.id, contender: script.contender, round, ...measured });
          console.log(`${workload.id} round ${round} ${script.contender}: ${measured.tps.toFixed(1)} tps, ${measured.latencyMs.toFixed(3)} ms`);
        }
      }
      const baseline: Contender = workload.scripts.find((s) => s.contender !== 'pymcache')?.contender ?? 'pgmemcache';
      results.push(summarize(workload, baseline, samples));
    }
    const loadAfter = loadavg()[0]!;
    const title = `pymcache_fdw${multicorn === 'system' ? ' on multicorn2' : ''} vs pgmemcache: medians of ${rounds} x ${seconds}s pgbench runs`;
    console.log(`\n${title}\n${formatTable(results)}`);
    console.log(`\n1-minute load average: ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (${cpus().length} CPUs)`);
    if (Math.max(loadBefore, loadAfter) > cpus().length / 2) {
      console.log('the machine was busy during the run: ratios are less reliable than on a quiet machine');
    }
    const outDir = join(repoRoot, 'bench-results');
    mkdirSync(outDir, { recursive: true });
    const report = { date: new Date().toISOString(), multicorn, seconds, rounds, loadAverage: { before: loadBefore, after: loadAfter, cpus: cpus().length }, results, samples };
    writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'latest.svg'), renderSvg(results, title));
    console.log(`\nwrote bench-results/latest.json and bench-results/latest.svg`);
  } finally {
    await cluster.stop();
    await memcached.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
});
