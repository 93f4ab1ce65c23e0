// Timeouts and cancel, in SQL against real peers: connect_timeout bounds a connect that hangs (a blackhole), timeout a
// send that cannot finish (a peer that never reads); statement_timeout and pg_cancel_backend stop a statement blocked
// on a silent memcached (timeout 30 s) within a second or so, because the socket's waits look at PostgreSQL's interrupt
// flags. On the project's host the user gets PostgreSQL's own error (SQLSTATE 57014: the host lets PostgreSQL act on
// the pending interrupt once Python has unwound); on multicorn2 the wrapper's ERROR naming the server (XX000). Either
// way the backend stays usable and the interrupted connection is closed, never reused half-read.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { startBlackhole, startDeafPeer, startSilentPeer, type Peer } from '../rig/faults';
import { installedMulticorn, type PostgresConnection } from '../rig/postgres';
import { createCacheTable, openReliabilityDatabase } from './support';

const server = inject('memcachedServers')[0]!;
let session: HostSession;
let connection: PostgresConnection;
let silent: Peer & { connections(): number };
const flavor = installedMulticorn();

beforeAll(async () => {
  ({ session, connection } = await openReliabilityDatabase('reliability_cancel'));
  silent = await startSilentPeer();
  await session.client.query(`CREATE FOREIGN TABLE silent_cache (key text, value text) SERVER mc
    OPTIONS (host '${silent.address.host}', port '${silent.address.port}', row_id 'key', timeout '30')`);
});

afterAll(async () => {
  await session?.close();
  await silent?.stop();
});

afterEach(async () => {
  await session.client.query('ROLLBACK');
  await session.client.query('RESET statement_timeout');
  session.takeNotices();
});

const silentLabel = (): string => `${silent.address.host}:${silent.address.port}`;

/** What the user gets when PostgreSQL interrupts a statement waiting on the silent server, on this Multicorn. */
function interrupted(reason: string): { code: string; message: string } {
  if (flavor === 'host') return { code: '57014', message: reason };
  return {
    code: 'XX000',
    message: `stopped waiting for memcached at ${silentLabel()} (get of key "k"): receive interrupted: ${reason}`,
  };
}

/** The backend still works, and its connections to a good server too. */
async function stillWorks(): Promise<void> {
  expect((await session.client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  const cache = await createCacheTable(session, server);
  await session.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('after', 'the cancel')`);
  expect((await session.client.query(`SELECT value FROM ${cache.table} WHERE key = 'after'`)).rows).toEqual([
    { value: 'the cancel' },
  ]);
}

describe('connect_timeout and timeout bound every connect, send and reply', () => {
  it('a connect that hangs (a full backlog: SYNs dropped) fails after connect_timeout, naming the server', async () => {
    const blackhole = await startBlackhole();
    try {
      await session.client.query(`CREATE FOREIGN TABLE blackhole_cache (key text, value text) SERVER mc
        OPTIONS (host '${blackhole.address.host}', port '${blackhole.address.port}', row_id 'key', connect_timeout '0.5', timeout '30')`);
      const started = Date.now();
      const error = await sqlError(session.client.query("SELECT value FROM blackhole_cache WHERE key = 'k'"));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error.message).toBe(
        `cannot reach memcached at ${blackhole.address.host}:${blackhole.address.port} (get of key "k"): connect timed out after 0.5 s`,
      );
    } finally {
      await blackhole.stop();
    }
  });

  it('a send that cannot finish (a peer that never reads, its buffers full) fails after timeout at COMMIT', async () => {
    const deaf = await startDeafPeer();
    try {
      // item_size_max: the size check does not ask the peer (which would not answer) for stats settings.
      await session.client.query(`CREATE FOREIGN TABLE deaf_cache (key text, value text) SERVER mc
        OPTIONS (host '${deaf.address.host}', port '${deaf.address.port}', row_id 'key', timeout '0.5', item_size_max '2097152')`);
      await session.client.query('BEGIN');
      await session.client.query(
        "INSERT INTO deaf_cache (key, value) SELECT 'big' || g, repeat('x', 1000000) FROM generate_series(1, 40) g",
      );
      const error = await sqlError(session.client.query('COMMIT'));
      expect(error.message).toBe(
        `memcached at ${deaf.address.host}:${deaf.address.port} did not answer the set of 4 keys within 0.5 s, while sending the transaction's writes`,
      );
      await stillWorks();
    } finally {
      await deaf.stop();
    }
  });
});

describe('statement_timeout and pg_cancel_backend interrupt a statement blocked on memcached', () => {
  it('statement_timeout 1500ms ends a read waiting on a silent server (timeout 30 s) within the bound', async () => {
    const before = silent.connections();
    await session.client.query("SET statement_timeout = '1500ms'");
    const started = Date.now();
    const error = await sqlError(session.client.query("SELECT value FROM silent_cache WHERE key = 'k'"));
    const elapsed = Date.now() - started;
    // A functional bound (the 30 s timeout is what a missed interrupt would take), not a performance figure.
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(10_000);
    expect({ code: error.code, message: error.message }).toEqual(
      interrupted('canceling statement due to statement timeout'),
    );
    expect(silent.connections()).toBe(before + 1);
    await session.client.query('RESET statement_timeout');
    await stillWorks();
  });

  it('pg_cancel_backend from a second session ends it just as well', async () => {
    const pid = (await session.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const other = await openSession(connection);
    try {
      const blocked = sqlError(session.client.query("SELECT value FROM silent_cache WHERE key = 'k'"));
      // Wait until the statement is running (and so waiting on the silent server).
      for (let i = 0; i < 100; i++) {
        const state = await other.client.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [
          pid,
        ]);
        if (state.rows[0]?.state === 'active') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cancelled = Date.now();
      expect((await other.client.query('SELECT pg_cancel_backend($1) AS sent', [pid])).rows).toEqual([{ sent: true }]);
      const error = await blocked;
      expect(Date.now() - cancelled).toBeLessThan(5_000);
      expect({ code: error.code, message: error.message }).toEqual(
        interrupted('canceling statement due to user request'),
      );
    } finally {
      await other.close();
    }
    await stillWorks();
  });

  it('pg_terminate_backend ends a session blocked on memcached within seconds; the other sessions go on', async () => {
    const victim = await openSession(connection);
    const other = await openSession(connection);
    try {
      const pid = (await victim.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // node-postgres reports the server closing the connection as an 'error' event as well.
      victim.client.on('error', () => undefined);
      const blocked = sqlError(victim.client.query("SELECT value FROM silent_cache WHERE key = 'k'"));
      for (let i = 0; i < 100; i++) {
        const state = await other.client.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [
          pid,
        ]);
        if (state.rows[0]?.state === 'active') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const terminated = Date.now();
      expect((await other.client.query('SELECT pg_terminate_backend($1) AS sent', [pid])).rows).toEqual([
        { sent: true },
      ]);
      const error = await blocked;
      expect(Date.now() - terminated).toBeLessThan(5_000);
      // The host lets PostgreSQL act on the termination (FATAL 57P01); multicorn2 reports the wrapper's ERROR first,
      // and PostgreSQL ends the session at its next interrupt check.
      expect(error.message).toContain('terminating connection due to administrator command');
      expect(error.code).toBe(flavor === 'host' ? '57P01' : 'XX000');
      let gone = false;
      for (let i = 0; i < 250 && !gone; i++) {
        const rows = await other.client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
        gone = rows.rowCount === 0;
        if (!gone) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(gone).toBe(true);
    } finally {
      await other.close();
      await victim.close().catch(() => undefined);
    }
    await stillWorks();
  });

  it('the interrupted connection is not reused half-read: the next statement on the silent server connects afresh and fails afresh', async () => {
    await session.client.query("SET statement_timeout = '500ms'");
    const first = await sqlError(session.client.query("SELECT value FROM silent_cache WHERE key = 'k'"));
    const accepted = silent.connections();
    const second = await sqlError(session.client.query("SELECT value FROM silent_cache WHERE key = 'j'"));
    expect(silent.connections()).toBe(accepted + 1);
    expect([first.code, second.code]).toEqual(flavor === 'host' ? ['57014', '57014'] : ['XX000', 'XX000']);
    await session.client.query('RESET statement_timeout');
    await stillWorks();
  });
});
