// A dead server among three, counted rather than timed: with on_server_error 'miss' and retry_interval 30, ten
// statements reading keys of all three servers make exactly one connection to the dead one (a peer that accepts and
// never answers, counting what it accepts): the first statement waits its timeout and marks it down, the nine others
// read its keys as misses without touching it. With retry_interval 0 every statement tries it again. The rows are
// exactly the keys the other two servers hold. The latency this saves is measured by bench/dead-server.ts
// (docs/servers.md), not asserted here.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDistribution } from '../../src/distribution/index';
import type { HostSession, Notice } from '../host/helpers';
import { startSilentPeer, type Peer } from '../rig/faults';
import { uniquePrefix } from '../rig/memcached';
import { rawSet } from '../rig/raw-memcached';
import { openReliabilityDatabase } from './support';

const [first, second] = inject('memcachedServers');
let session: HostSession;
let dead: Peer & { connections(): number };
const prefix = uniquePrefix('dead');
const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);

beforeAll(async () => {
  ({ session } = await openReliabilityDatabase('reliability_dead_servers'));
  dead = await startSilentPeer();
  // Every key on both live servers: whichever of them the distribution picks, the key is there.
  for (const key of keys) {
    await rawSet(first!, prefix + key, `value of ${key}`);
    await rawSet(second!, prefix + key, `value of ${key}`);
  }
});

afterAll(async () => {
  await session?.close();
  await dead?.stop();
});

afterEach(() => {
  session.takeNotices();
});

const serverList = (): string =>
  [first!, second!, dead.address].map((server) => `${server.host}:${server.port}`).join(',');
const deadLabel = (): string => `${dead.address.host}:${dead.address.port}`;

/** The keys ketama places on the live servers (positions 0 and 1), in the order asked, and the count on the dead one. */
function placement(): { live: string[]; onDead: number } {
  const distribution = createDistribution(
    'ketama',
    [first!, second!, dead.address].map((s) => ({ host: s.host, port: s.port, weight: 1 })),
  );
  const live = keys.filter((key) => distribution.serverFor(key) !== 2);
  return { live, onDead: keys.length - live.length };
}

async function readAll(table: string): Promise<{ rows: unknown[]; warnings: string[] }> {
  const result = await session.client.query(`SELECT key, value FROM ${table} WHERE key = ANY($1::text[])`, [keys]);
  const warnings = session
    .takeNotices()
    .filter((notice: Notice) => notice.severity === 'WARNING')
    .map((notice: Notice) => notice.message);
  return { rows: result.rows, warnings };
}

describe('a dead server among three (on_server_error miss)', () => {
  it('retry_interval 30: ten statements make exactly one connection to it; the others read its keys as misses at once', async () => {
    const { live, onDead } = placement();
    expect(onDead).toBeGreaterThan(0);
    await session.client
      .query(`CREATE FOREIGN TABLE three_retry (key text, value text) SERVER mc OPTIONS (servers '${serverList()}',
      prefix '${prefix}', row_id 'key', on_server_error 'miss', retry_interval '30', connect_timeout '0.3', timeout '0.3')`);
    const statements: Array<{ rows: unknown[]; warnings: string[] }> = [];
    for (let i = 0; i < 10; i++) statements.push(await readAll('three_retry'));
    expect(dead.connections()).toBe(1);
    const expectedRows = live.map((key) => ({ key, value: `value of ${key}` }));
    expect(statements.map((statement) => statement.rows)).toEqual(statements.map(() => expectedRows));
    expect(statements[0]!.warnings).toEqual([
      `memcached at ${deadLabel()} did not answer the get within 0.3 s; its keys are read as misses (on_server_error miss)`,
    ]);
    for (const statement of statements.slice(1)) {
      expect(statement.warnings).toEqual([
        `memcached at ${deadLabel()} is marked down after a failure less than 30 seconds ago (retry_interval): ${onDead} keys read as misses (on_server_error miss)`,
      ]);
    }
  });

  it('retry_interval 0: every statement tries the dead server again (one connection each)', async () => {
    await session.client
      .query(`CREATE FOREIGN TABLE three_no_retry (key text, value text) SERVER mc OPTIONS (servers '${serverList()}',
      prefix '${prefix}', row_id 'key', on_server_error 'miss', retry_interval '0', connect_timeout '0.3', timeout '0.3')`);
    const before = dead.connections();
    for (let i = 0; i < 4; i++) {
      const { rows, warnings } = await readAll('three_no_retry');
      expect(rows).toHaveLength(placement().live.length);
      expect(warnings).toEqual([
        `memcached at ${deadLabel()} did not answer the get within 0.3 s; its keys are read as misses (on_server_error miss)`,
      ]);
    }
    expect(dead.connections()).toBe(before + 4);
  });
});
