// `npm run soak`: SOAK_CLIENTS sessions (default 8) run a mixed load of reads and writes on a cache table spread over
// two memcached servers for SOAK_SECONDS (default 60), each on its own keys, while a model of what every committed
// statement says each key holds is kept. Afterwards an independent raw client reads every key from both servers.
// Prints a table and exits non-zero when any of these fails: no statement errors, every acknowledged write present
// (and nothing rolled back or deleted present), memcached connections within backends x servers, and each
// backend's memory flat between the first quarter of the run and its end.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startMemcached, type MemcachedAddress } from '../test/rig/memcached';
import { startPostgresCluster, type PostgresConnection } from '../test/rig/postgres';
import { rawGet, rawStats } from '../test/rig/raw-memcached';

const KEYS_PER_CLIENT = 50;
/** Growth of a backend's resident memory from the end of the first quarter to the end that counts as a leak. */
const MEMORY_GROWTH_LIMIT_KB = 4096;

function positiveIntFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw new Error(`${name}=${raw}: expected a positive whole number`);
  return Number.parseInt(raw, 10);
}

/** A small deterministic generator (mulberry32), so that a failing run can be replayed with SOAK_SEED. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What every committed statement says each of a client's keys holds (absent keys are missing from the map). */
type Model = Map<string, string>;

interface ClientReport {
  client: number;
  statements: number;
  errors: string[];
  backendPid: number;
  rssQuarterKb: number;
  rssEndKb: number;
  model: Model;
}

function residentKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for backend ${pid}`);
  return Number(match[1]);
}

class SoakClient {
  readonly model: Model = new Map<string, string>();
  statements = 0;
  readonly errors: string[] = [];
  private counter = 0;

  constructor(
    readonly index: number,
    readonly db: pg.Client,
    private readonly random: () => number,
  ) {}

  private key(): string {
    return `c${this.index}k${Math.floor(this.random() * KEYS_PER_CLIENT)}`;
  }

  private value(): string {
    this.counter += 1;
    return `v${this.index}-${this.counter}-${'x'.repeat(Math.floor(this.random() * 200))}`;
  }

  private async run(text: string, params: unknown[] = []): Promise<pg.QueryResult> {
    this.statements += 1;
    return await this.db.query(text, params);
  }

  /** A statement's outcome differs from the model: recorded as an error of the run. */
  private expectEqual(what: string, actual: unknown, expected: unknown): void {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    if (a !== e) this.errors.push(`client ${this.index}: ${what}: got ${a}, expected ${e}`);
  }

  private modelRows(keys: string[]): Array<{ key: string; value: string }> {
    return [...new Set(keys)]
      .filter((key) => this.model.has(key))
      .sort()
      .map((key) => ({ key, value: this.model.get(key)! }));
  }

  async step(): Promise<void> {
    const choice = this.random();
    if (choice < 0.2) {
      const key = this.key();
      const value = this.value();
      await this.run('INSERT INTO cache (key, value) VALUES ($1, $2)', [key, value]);
      this.model.set(key, value);
    } else if (choice < 0.3) {
      const key = this.key();
      const value = this.value();
      const result = await this.run('UPDATE cache SET value = $2 WHERE key = $1', [key, value]);
      this.expectEqual(`UPDATE of ${key}`, result.rowCount, this.model.has(key) ? 1 : 0);
      if (this.model.has(key)) this.model.set(key, value);
    } else if (choice < 0.38) {
      const key = this.key();
      const result = await this.run('DELETE FROM cache WHERE key = $1', [key]);
      this.expectEqual(`DELETE of ${key}`, result.rowCount, this.model.has(key) ? 1 : 0);
      this.model.delete(key);
    } else if (choice < 0.44) {
      const key = this.key();
      const result = await this.run('UPDATE cache SET expire = 3600 WHERE key = $1', [key]);
      this.expectEqual(`touch of ${key}`, result.rowCount, this.model.has(key) ? 1 : 0);
    } else if (choice < 0.7) {
      const keys = Array.from({ length: 1 + Math.floor(this.random() * 20) }, () => this.key());
      const result = await this.run('SELECT key, value FROM cache WHERE key = ANY($1::text[]) ORDER BY key', [keys]);
      this.expectEqual(`SELECT of ${keys.length} keys`, result.rows, this.modelRows(keys));
    } else if (choice < 0.82) {
      await this.transaction(true);
    } else if (choice < 0.9) {
      await this.transaction(false);
    } else if (choice < 0.95) {
      await this.savepoint();
    } else {
      await this.swap();
    }
  }

  /** INSERT, UPDATE and DELETE in one transaction, with a read of its own writes; COMMIT or ROLLBACK. */
  private async transaction(commit: boolean): Promise<void> {
    const pending: Model = new Map(this.model);
    const [a, b, c] = [this.key(), this.key(), this.key()];
    const [va, vb] = [this.value(), this.value()];
    await this.run('BEGIN');
    try {
      await this.run('INSERT INTO cache (key, value) VALUES ($1, $2)', [a, va]);
      pending.set(a, va);
      const updated = await this.run('UPDATE cache SET value = $2 WHERE key = $1', [b, vb]);
      this.expectEqual(`UPDATE of ${b} in a transaction`, updated.rowCount, pending.has(b) ? 1 : 0);
      if (pending.has(b)) pending.set(b, vb);
      await this.run('DELETE FROM cache WHERE key = $1', [c]);
      pending.delete(c);
      const seen = await this.run('SELECT key, value FROM cache WHERE key = ANY($1::text[]) ORDER BY key', [[a, b, c]]);
      const expected = [...new Set([a, b, c])]
        .filter((key) => pending.has(key))
        .sort()
        .map((key) => ({ key, value: pending.get(key)! }));
      this.expectEqual('read-your-writes', seen.rows, expected);
      await this.run(commit ? 'COMMIT' : 'ROLLBACK');
    } catch (error) {
      await this.db.query('ROLLBACK');
      throw error;
    }
    if (commit) {
      this.model.clear();
      for (const [key, value] of pending) this.model.set(key, value);
    }
  }

  /** A savepoint rolled back in the middle of a committed transaction: only the writes outside it count. */
  private async savepoint(): Promise<void> {
    const [kept, dropped] = [this.key(), this.key()];
    const [vk, vd] = [this.value(), this.value()];
    await this.run('BEGIN');
    try {
      await this.run('INSERT INTO cache (key, value) VALUES ($1, $2)', [kept, vk]);
      await this.run('SAVEPOINT s');
      await this.run('INSERT INTO cache (key, value) VALUES ($1, $2)', [dropped, vd]);
      await this.run('ROLLBACK TO SAVEPOINT s');
      await this.run('COMMIT');
    } catch (error) {
      await this.db.query('ROLLBACK');
      throw error;
    }
    this.model.set(kept, vk);
  }

  /** Two keys exchanged by one UPDATE (both must exist). */
  private async swap(): Promise<void> {
    const [a, b] = [this.key(), this.key()];
    if (a === b || !this.model.has(a) || !this.model.has(b)) return;
    const result = await this.run(`UPDATE cache SET key = CASE key WHEN $1 THEN $2 ELSE $1 END WHERE key IN ($1, $2)`, [
      a,
      b,
    ]);
    this.expectEqual(`swap of ${a} and ${b}`, result.rowCount, 2);
    const [va, vb] = [this.model.get(a)!, this.model.get(b)!];
    this.model.set(a, vb);
    this.model.set(b, va);
  }
}

async function setUp(connection: PostgresConnection, servers: MemcachedAddress[]): Promise<PostgresConnection> {
  const admin = new pg.Client({ ...connection });
  await admin.connect();
  await admin.query('CREATE DATABASE soak');
  await admin.end();
  const soak = { ...connection, database: 'soak' };
  const client = new pg.Client(soak);
  await client.connect();
  await client.query('CREATE EXTENSION pymcache_fdw CASCADE');
  await client.query(
    `CREATE SERVER cache_server FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  const list = servers.map((server) => `${server.host}:${server.port}`).join(',');
  await client.query(`CREATE FOREIGN TABLE cache (key text, value text, expire integer) SERVER cache_server
                      OPTIONS (servers '${list}', row_id 'key', prefix 'soak:')`);
  await client.end();
  return soak;
}

/** What memcached holds for `key` on any of `servers`: its value, or null; an item on two servers is an error. */
async function heldAnywhere(servers: MemcachedAddress[], key: string): Promise<string | null> {
  const found: string[] = [];
  for (const server of servers) {
    const item = await rawGet(server, key);
    if (item !== null) found.push(item.value.toString('utf8'));
  }
  if (found.length > 1) throw new Error(`key ${key} is held by ${found.length} servers`);
  return found[0] ?? null;
}

async function currentConnections(server: MemcachedAddress): Promise<number> {
  return Number((await rawStats(server)).get('curr_connections'));
}

async function main(): Promise<void> {
  const clientCount = positiveIntFromEnv('SOAK_CLIENTS', 8);
  const seconds = positiveIntFromEnv('SOAK_SECONDS', 60);
  const seed = positiveIntFromEnv('SOAK_SEED', Date.now() % 1_000_000_000);
  const memcacheds = [await startMemcached(['-m', '64']), await startMemcached(['-m', '64'])];
  const servers = memcacheds.map((m) => m.address);
  const cluster = await startPostgresCluster();
  const reports: ClientReport[] = [];
  let maxConnections = [0, 0];
  try {
    const soak = await setUp(cluster.connection, servers);
    // Connections memcached counts before the load: its listener and our stats probe.
    const baseline = await Promise.all(servers.map(currentConnections));
    const clients: SoakClient[] = [];
    for (let i = 0; i < clientCount; i++) {
      const db = new pg.Client(soak);
      await db.connect();
      clients.push(new SoakClient(i, db, generator(seed + i)));
    }
    const pids = await Promise.all(
      clients.map(async (c) => (await c.db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number),
    );
    const deadline = Date.now() + seconds * 1000;
    const quarter = Date.now() + (seconds * 1000) / 4;
    const rssQuarter = new Array<number>(clientCount).fill(0);
    let sampling = true;
    const sampler = (async () => {
      let quarterTaken = false;
      while (sampling) {
        const counts = await Promise.all(servers.map(currentConnections));
        maxConnections = counts.map((count, i) => Math.max(maxConnections[i]!, count - baseline[i]!));
        if (!quarterTaken && Date.now() >= quarter) {
          pids.forEach((pid, i) => (rssQuarter[i] = residentKb(pid)));
          quarterTaken = true;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < deadline) {
          try {
            await client.step();
          } catch (error) {
            client.errors.push(`client ${client.index}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }),
    );
    sampling = false;
    await sampler;
    for (const client of clients) {
      reports.push({
        client: client.index,
        statements: client.statements,
        errors: client.errors,
        backendPid: pids[client.index]!,
        rssQuarterKb: rssQuarter[client.index]!,
        rssEndKb: residentKb(pids[client.index]!),
        model: client.model,
      });
      await client.db.end();
    }
  } finally {
    await cluster.stop();
  }
  // Every key of every client, read from both servers with a raw client, against the model.
  let acknowledged = 0;
  let present = 0;
  const wrong: string[] = [];
  try {
    for (const report of reports) {
      for (let k = 0; k < KEYS_PER_CLIENT; k++) {
        const key = `c${report.client}k${k}`;
        const expected = report.model.get(key) ?? null;
        const actual = await heldAnywhere(servers, `soak:${key}`);
        if (expected !== null) acknowledged += 1;
        if (expected !== null && actual === expected) present += 1;
        if (actual !== expected)
          wrong.push(
            `${key}: memcached holds ${JSON.stringify(actual)}, committed SQL says ${JSON.stringify(expected)}`,
          );
      }
    }
  } finally {
    for (const memcached of memcacheds) await memcached.stop();
  }

  const statements = reports.reduce((sum, r) => sum + r.statements, 0);
  const errors = reports.flatMap((r) => r.errors);
  const bound = clientCount;
  const leaks = reports.filter((r) => r.rssEndKb - r.rssQuarterKb > MEMORY_GROWTH_LIMIT_KB);
  const rows: Array<[string, string, string]> = [
    ['clients x seconds', `${clientCount} x ${seconds} s (SOAK_SEED=${seed})`, ''],
    ['statements', `${statements} (${(statements / seconds).toFixed(0)}/s)`, ''],
    ['statement errors', String(errors.length), errors.length === 0 ? 'ok' : 'FAIL'],
    ['acknowledged writes present', `${present} of ${acknowledged}`, present === acknowledged ? 'ok' : 'FAIL'],
    ['keys differing from committed SQL', String(wrong.length), wrong.length === 0 ? 'ok' : 'FAIL'],
    ...servers.map((server, i): [string, string, string] => [
      `memcached ${server.host}:${server.port} connections`,
      `max ${maxConnections[i]} (bound: ${bound} backends x 1)`,
      maxConnections[i]! <= bound ? 'ok' : 'FAIL',
    ]),
    ...reports.map((r): [string, string, string] => [
      `backend ${r.backendPid} RSS (client ${r.client})`,
      `${(r.rssQuarterKb / 1024).toFixed(1)} MB at 1/4 -> ${(r.rssEndKb / 1024).toFixed(1)} MB at end`,
      r.rssEndKb - r.rssQuarterKb <= MEMORY_GROWTH_LIMIT_KB ? 'ok' : 'FAIL',
    ]),
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log('\npymcache_fdw soak');
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  for (const line of [...errors.slice(0, 10), ...wrong.slice(0, 10)]) console.log(`  ${line}`);
  const failed =
    errors.length > 0 || wrong.length > 0 || maxConnections.some((count) => count > bound) || leaks.length > 0;
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
