// `npx tsx bench/dead-server.ts`: statement latency of a cache table on three servers when one of them is down, as
// docs/servers.md reports it. One PostgreSQL cluster (the test rig's), three memcached; the third server of the
// "down" tables is a blackhole (a full backlog: connects hang until connect_timeout, the worst kind of dead server).
// Each case runs N statements reading 30 keys spread over the three servers (on_server_error 'miss') from one session
// and reports the median and the 95th percentile of the client-side latency. Nothing here is asserted: the counting
// test is test/reliability/dead-servers.test.ts. BENCH_STATEMENTS sets N (default 200; the retry_interval 0 case runs
// N/20, each of its statements waiting connect_timeout).
import pg from 'pg';
import { percentile } from './report';
import { startBlackhole } from '../test/rig/faults';
import { startMemcached } from '../test/rig/memcached';
import { installedMulticorn, startPostgresCluster } from '../test/rig/postgres';

const statements = Number.parseInt(process.env['BENCH_STATEMENTS'] ?? '200', 10);
const KEYS = Array.from({ length: 30 }, (_, i) => `k${i}`);

async function main(): Promise<void> {
  const memcached = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
  const blackhole = await startBlackhole();
  const cluster = await startPostgresCluster();
  try {
    console.log(`Multicorn: ${installedMulticorn() === 'host' ? "this project's host" : 'a real multicorn2'}`);
    const client = new pg.Client({ ...cluster.connection });
    await client.connect();
    await client.query('CREATE EXTENSION multicorn');
    await client.query(`CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`);
    const list = (servers: Array<{ host: string; port: number }>): string =>
      servers.map((s) => `${s.host}:${s.port}`).join(',');
    const up = memcached.map((m) => m.address);
    const down = [up[0]!, up[1]!, blackhole.address];
    const common = "row_id 'key', on_server_error 'miss', connect_timeout '0.5', timeout '0.5'";
    const cases: Array<[string, string, number]> = [
      ['all three up', `servers '${list(up)}', ${common}, retry_interval '30'`, statements],
      ['one down, retry_interval 30 (default)', `servers '${list(down)}', ${common}, retry_interval '30'`, statements],
      [
        'one down, retry_interval 0',
        `servers '${list(down)}', ${common}, retry_interval '0'`,
        Math.max(5, Math.floor(statements / 20)),
      ],
    ];
    console.log(
      `${statements} statements each (the retry_interval 0 case fewer), 30 keys per statement, connect_timeout 0.5 s\n`,
    );
    console.log('| case | statements | median | 95th percentile | first statement |');
    console.log('| --- | --- | --- | --- | --- |');
    for (let i = 0; i < cases.length; i++) {
      const [name, options, count] = cases[i]!;
      await client.query(`CREATE FOREIGN TABLE t${i} (key text, value text) SERVER mc OPTIONS (${options})`);
      // Values on the live servers (written through the all-up table; a write to the blackhole would mark it down early).
      if (i === 0) await client.query(`INSERT INTO t0 (key, value) SELECT 'k' || g, 'v' FROM generate_series(0, 29) g`);
      const times: number[] = [];
      for (let n = 0; n < count; n++) {
        const started = process.hrtime.bigint();
        await client.query(`SELECT key, value FROM t${i} WHERE key = ANY($1::text[])`, [KEYS]);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      const first = times[0]!;
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `| ${name} | ${count} | ${percentile(sorted, 0.5).toFixed(2)} ms | ${percentile(sorted, 0.95).toFixed(2)} ms | ${first.toFixed(1)} ms |`,
      );
    }
    await client.end();
  } finally {
    await cluster.stop();
    await blackhole.stop();
    await Promise.all(memcached.map((m) => m.stop()));
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
