// The plans behind the benchmark's lookups, on PostgreSQL's default planner settings (the test rig turns JIT off for
// stable EXPLAIN output; these tests turn it back on): a key lookup is estimated at the number of keys it asks for,
// stays below jit_above_cost, and so never pays a JIT compile, also as a prepared statement run many times (where the
// plan cache must keep choosing a custom plan: the generic one cannot see the parameter and is costed as a full scan).
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

  it('as a prepared statement run past the plan cache switch point, is still a one-row custom plan without JIT', async () => {
    await session.client.query('PREPARE one_key(text) AS SELECT value FROM cache WHERE key = $1');
    // The plan cache compares custom and generic plans after the fifth execution.
    for (let i = 1; i <= 8; i++) {
      expect((await session.client.query(`EXECUTE one_key('${i}')`)).rows).toEqual([{ value: `value ${i}` }]);
    }
    const output = await explain(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE one_key('9')`);
    const scan = foreignScan(output.Plan);
    expect(scan['Plan Rows']).toBe(1);
    expect(scan['Actual Rows']).toBe(1);
    expect(output.JIT).toBeUndefined();
    await session.client.query('DEALLOCATE one_key');
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
});
