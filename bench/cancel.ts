// `npm run bench:cancel`: how long PostgreSQL waits between asking a statement blocked on memcached to stop and the
// statement ending, as docs/production.md and docs/performance.md report it. The tests check that an interrupt lands
// (test/reliability/cancel.test.ts, test/sql/listing.test.ts) with bounds only a missed interrupt would break; the
// latency itself is measured here, never asserted (the project's rule for speed targets).
//
// Cases, each repeated N times (BENCH_CANCELS, default 10) on the test rig's cluster, one session:
// - statement_timeout 1500ms on a read from a peer that accepts and never answers (table timeout 30 s): the time
//   past 1500 ms until the ERROR;
// - pg_cancel_backend of that read, sent 300 ms after it started: the time from the cancel to the ERROR;
// - pg_cancel_backend of a listing of 1,000,000 items in which no item matches (`key LIKE 'nothing%'`), 500 ms in.
import pg from 'pg';
import { percentile } from './report';
import { startSilentPeer } from '../test/rig/faults';
import { startMemcached } from '../test/rig/memcached';
import { installedMulticorn, startPostgresCluster } from '../test/rig/postgres';
import { rawSetMany } from '../test/rig/raw-memcached';

const repeats = Number.parseInt(process.env['BENCH_CANCELS'] ?? '10', 10);
const LISTED_ITEMS = 1_000_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `sql` on `client`, expecting it to fail; returns the moment it failed and its message. */
async function failingQuery(client: pg.Client, sql: string): Promise<{ at: bigint; message: string }> {
  try {
    await client.query(sql);
  } catch (error) {
    return { at: process.hrtime.bigint(), message: error instanceof Error ? error.message : String(error) };
  }
  throw new Error(`expected ${sql} to be interrupted, but it finished`);
}

function milliseconds(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}

async function main(): Promise<void> {
  const silent = await startSilentPeer();
  const big = await startMemcached(['-m', '512', '-o', 'hashpower=21']);
  const cluster = await startPostgresCluster();
  const client = new pg.Client({ ...cluster.connection });
  const canceller = new pg.Client({ ...cluster.connection });
  try {
    console.log(`Multicorn: ${installedMulticorn() === 'host' ? "this project's host" : 'a real multicorn2'}`);
    await client.connect();
    await canceller.connect();
    await client.query('CREATE EXTENSION multicorn');
    await client.query(`CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`);
    await client.query(`CREATE FOREIGN TABLE silent_cache (key text, value text) SERVER mc
      OPTIONS (host '${silent.address.host}', port '${silent.address.port}', row_id 'key', timeout '30')`);
    await client.query(`CREATE FOREIGN TABLE big_cache (key text, value text) SERVER mc
      OPTIONS (host '${big.address.host}', port '${big.address.port}', row_id 'key', prefix 'big:')`);
    function* items(): Generator<[string, string]> {
      for (let i = 0; i < LISTED_ITEMS; i++) yield [`big:${i}`, 'v'];
    }
    await rawSetMany(big.address, items());
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

    const timeoutWaits: number[] = [];
    await client.query("SET statement_timeout = '1500ms'");
    for (let n = 0; n < repeats; n++) {
      const started = process.hrtime.bigint();
      const failed = await failingQuery(client, "SELECT value FROM silent_cache WHERE key = 'k'");
      if (!failed.message.includes('statement timeout')) throw new Error(`unexpected error: ${failed.message}`);
      timeoutWaits.push(milliseconds(started, failed.at) - 1500);
    }
    await client.query('RESET statement_timeout');

    const cancelWaits = async (sql: string, after: number): Promise<number[]> => {
      const waits: number[] = [];
      for (let n = 0; n < repeats; n++) {
        const running = failingQuery(client, sql);
        await sleep(after);
        const cancelled = process.hrtime.bigint();
        await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
        const failed = await running;
        if (!failed.message.includes('canceling statement due to user request'))
          throw new Error(`unexpected error: ${failed.message}`);
        waits.push(milliseconds(cancelled, failed.at));
      }
      return waits;
    };
    const readCancels = await cancelWaits("SELECT value FROM silent_cache WHERE key = 'k'", 300);
    const listingCancels = await cancelWaits("SELECT count(key) FROM big_cache WHERE key LIKE 'nothing%'", 500);

    console.log(`${repeats} interrupts per case; time from the interrupt to the statement's ERROR, client side\n`);
    console.log('| case | median | max |');
    console.log('| --- | --- | --- |');
    for (const [name, waits] of [
      ['statement_timeout 1500ms, read from a server that never answers (timeout 30 s)', timeoutWaits],
      ['pg_cancel_backend, read from a server that never answers', readCancels],
      [`pg_cancel_backend, listing of ${LISTED_ITEMS.toLocaleString('en-US')} items, none matching`, listingCancels],
    ] as Array<[string, number[]]>) {
      const sorted = [...waits].sort((a, b) => a - b);
      console.log(
        `| ${name} | ${percentile(sorted, 0.5).toFixed(0)} ms | ${sorted[sorted.length - 1]!.toFixed(0)} ms |`,
      );
    }
  } finally {
    await client.end().catch(() => undefined);
    await canceller.end().catch(() => undefined);
    await cluster.stop();
    await big.stop();
    await silent.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
