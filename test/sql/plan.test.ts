// The plans behind the benchmark's lookups, on PostgreSQL's default planner settings (the test rig turns JIT off for
// stable EXPLAIN output; these tests turn it back on): a key lookup is estimated at the number of keys it asks for,
// stays below jit_above_cost, and so never pays a JIT compile, also as a prepared statement run many times (whose
// generic plan the extension's guard lets the wrapper cost as the lookup it is: Multicorn hides the parameter).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase } from '../rig/postgres';
import { openSession, type HostSession } from '../host/helpers';
import { uniquePrefix } from '../rig/memcached';
import { rawSet, type MemcachedAddress } from '../rig/raw-memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let session: HostSession;
let prefix: string;

/** One plan node of EXPLAIN (FORMAT JSON), with the fields these tests read. */
interface PlanNode {
  'Node Type': string;
  'Plan Rows': number;
  'Total Cost': number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}
interface ExplainOutput {
  Plan: PlanNode;
  /** Present only when the statement was JIT-compiled. */
  JIT?: { Functions: number };
}

async function explain(sql: string, values: unknown[] = []): Promise<ExplainOutput> {
  const result = await session.client.query<{ 'QUERY PLAN': ExplainOutput[] }>(sql, values);
  return result.rows[0]!['QUERY PLAN'][0]!;
}

/** The Foreign Scan node of a plan (the top node, or below an Aggregate). */
function foreignScan(plan: PlanNode): PlanNode {
  if (plan['Node Type'] === 'Foreign Scan') return plan;
  const child = plan.Plans?.[0];
  if (child === undefined) throw new Error(`no Foreign Scan under ${plan['Node Type']}`);
  return foreignScan(child);
}

beforeAll(async () => {
  const connection = await createScratchDatabase(inject('postgres'), 'sql_plan');
  session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  prefix = uniquePrefix('plan');
  await session.client.query(`CREATE FOREIGN TABLE cache (key text, value text)
    SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${prefix}')`);
  for (let i = 1; i <= 1000; i++) await rawSet(server, `${prefix}${i}`, `value ${i}`);
  // PostgreSQL's defaults, whatever the rig configured.
  await session.client.query('SET jit = on');
  await session.client.query('SET jit_above_cost = DEFAULT');
  await session.client.query('SET plan_cache_mode = DEFAULT');
});

afterAll(async () => {
  await session?.close();
});

describe('a one-key SELECT on default settings', () => {
  it('runs with JIT enabled at its default threshold', async () => {
    expect((await session.client.query('SHOW jit')).rows[0].jit).toBe('on');
    expect((await session.client.query('SHOW jit_above_cost')).rows[0].jit_above_cost).toBe('100000');
  });

  it('is estimated at one row and not JIT-compiled', async () => {
    const output = await explain(`EXPLAIN (ANALYZE, FORMAT JSON) SELECT value FROM cache WHERE key = '7'`);
    const scan = foreignScan(output.Plan);
    expect(scan['Plan Rows']).toBe(1);
    expect(scan['Actual Rows']).toBe(1);
    expect(output.JIT).toBeUndefined();
  });

  it('as a prepared statement run past the plan cache switch point, becomes a one-row generic plan without JIT', async () => {
    await session.client.query('PREPARE one_key(text) AS SELECT value FROM cache WHERE key = $1');
    // The plan cache compares custom and generic plans after the fifth execution. The generic plan's get_rel_size
    // sees no key (Multicorn passes constant quals only); the extension's guard tells the wrapper that the query
    // looks its one cache table up by `key = $1`, so it is costed as one row and kept: no planning per execution.
    for (let i = 1; i <= 8; i++) {
      expect((await session.client.query(`EXECUTE one_key('${i}')`)).rows).toEqual([{ value: `value ${i}` }]);
    }
    const plan = await session.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE one_key('9')`);
    expect(plan.rows.map((row) => row['QUERY PLAN'])).toEqual([
      'Foreign Scan on cache  (cost=20.00..64.00 rows=1 width=64)',
      '  Filter: (key = $1)',
      `  Multicorn: memcached ${server.host}:${server.port}`,
      `  Multicorn: key prefix "${prefix}"`,
      '  Multicorn: gets 1 key(s) in one round trip',
    ]);
    const output = await explain(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE one_key('9')`);
    const scan = foreignScan(output.Plan);
    expect(scan['Plan Rows']).toBe(1);
    expect(scan['Actual Rows']).toBe(1);
    expect(output.JIT).toBeUndefined();
    await session.client.query('DEALLOCATE one_key');
  });

  it('forced generic plans (plan_cache_mode) of lookups, updates and deletes by $1 are one-row lookups without JIT', async () => {
    // The session's first use of a cache table loads the guard; only a query planned after that is seen
    // (docs/performance.md: session_preload_libraries has it from a session's first statement).
    await session.client.query(`SELECT value FROM cache WHERE key = '1'`);
    await session.client.query('SET plan_cache_mode = force_generic_plan');
    try {
      await session.client.query(
        'PREPARE read_key(text) AS SELECT value FROM cache WHERE key = $1 AND value IS NOT NULL',
      );
      const output = await explain(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE read_key('12')`);
      expect(foreignScan(output.Plan)['Plan Rows']).toBe(1);
      expect(foreignScan(output.Plan)['Actual Rows']).toBe(1);
      expect(output.JIT).toBeUndefined();
      await session.client.query(`PREPARE change_key(text, text) AS UPDATE cache SET value = $2 WHERE key = $1`);
      await session.client.query(`PREPARE drop_key(text) AS DELETE FROM cache WHERE key = $1`);
      expect((await session.client.query(`EXECUTE change_key('13', 'changed')`)).rowCount).toBe(1);
      expect((await session.client.query(`EXECUTE drop_key('14')`)).rowCount).toBe(1);
      expect((await session.client.query(`EXECUTE read_key('13')`)).rows).toEqual([{ value: 'changed' }]);
      expect((await session.client.query(`EXECUTE read_key('14')`)).rows).toEqual([]);
      expect((await session.client.query(`EXECUTE read_key('15')`)).rows).toEqual([{ value: 'value 15' }]);
    } finally {
      await session.client.query('DEALLOCATE ALL');
      await session.client.query('SET plan_cache_mode = DEFAULT');
      // The other tests count on keys 1..1000 as beforeAll stored them.
      await rawSet(server, `${prefix}13`, 'value 13');
      await rawSet(server, `${prefix}14`, 'value 14');
    }
  });

  it('a generic plan without a parameter on the key keeps the listing estimate (the servers item count)', async () => {
    await session.client.query('SET plan_cache_mode = force_generic_plan');
    try {
      // A condition on the value, not the key: the scan lists the cache.
      await session.client.query('PREPARE by_value(text) AS SELECT key FROM cache WHERE value = $1');
      const scan = foreignScan((await explain(`EXPLAIN (FORMAT JSON) EXECUTE by_value('value 3')`)).Plan);
      expect(scan['Plan Rows']).toBeGreaterThanOrEqual(1000);
      // Two cache tables: which of them $1 looks up is left to the custom plans; neither is costed as one row.
      await session.client.query(
        'PREPARE two_tables(text) AS SELECT b.value FROM cache a JOIN cache b ON b.key = a.key WHERE a.key = $1',
      );
      const plan = (await explain(`EXPLAIN (FORMAT JSON) EXECUTE two_tables('3')`)).Plan;
      const rows: number[] = [];
      const collect = (node: PlanNode): void => {
        if (node['Node Type'] === 'Foreign Scan') rows.push(node['Plan Rows']);
        for (const child of node.Plans ?? []) collect(child);
      };
      collect(plan);
      expect(rows).toHaveLength(2);
      expect(Math.max(...rows)).toBeGreaterThanOrEqual(1000);
    } finally {
      await session.client.query('DEALLOCATE ALL');
      await session.client.query('SET plan_cache_mode = DEFAULT');
    }
  });
});

describe('a 1,000-key read on default settings', () => {
  it('is estimated at 1,000 rows and stays below jit_above_cost', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => String(i + 1));
    const output = await explain(
      'EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(value) FROM cache WHERE key = ANY($1::text[])',
      [keys],
    );
    const scan = foreignScan(output.Plan);
    expect(scan['Plan Rows']).toBe(1000);
    expect(scan['Actual Rows']).toBe(1000);
    expect(output.Plan['Total Cost']).toBeLessThan(100000);
    expect(output.JIT).toBeUndefined();
  });

  it('as a prepared statement past the switch point, keeps custom plans (a generic ANY($1) would recheck rows one by one)', async () => {
    const keys = `'{${Array.from({ length: 1000 }, (_, i) => String(i + 1)).join(',')}}'`;
    await session.client.query('PREPARE many_keys(text[]) AS SELECT count(value) AS n FROM cache WHERE key = ANY($1)');
    try {
      for (let i = 1; i <= 7; i++) {
        expect((await session.client.query(`EXECUTE many_keys(${keys})`)).rows).toEqual([{ n: '1000' }]);
      }
      // A custom plan knows the 1,000 keys, and PostgreSQL hashes the constant array to recheck the rows.
      const output = await explain(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE many_keys(${keys})`);
      const scan = foreignScan(output.Plan);
      expect(scan['Plan Rows']).toBe(1000);
      expect(scan['Actual Rows']).toBe(1000);
      expect(output.JIT).toBeUndefined();
    } finally {
      await session.client.query('DEALLOCATE many_keys');
    }
  });
});
