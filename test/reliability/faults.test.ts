// Faults injected through the test rig, each with the exact ERROR (or WARNING) the user sees and exactly what memcached
// holds afterwards: memcached killed with SIGKILL and restarted (idle, in the middle of a statement, and between a
// statement and its COMMIT), a relay that cuts the connection part-way through COMMIT's replies, a server that never
// answers (reads and COMMIT), an out-of-memory memcached, peers that are not memcached (reads and COMMIT, and one
// whose error text carries a secret), and a memcached out of connections. After each, the session goes on working.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSession, sqlError, type HostSession, type SqlError } from '../host/helpers';
import type { PostgresConnection } from '../rig/postgres';
import { startCuttingRelay, startGarbagePeer, startSilentPeer } from '../rig/faults';
import { startMemcached, startMemcachedOnPort } from '../rig/memcached';
import { rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';
import { createCacheTable, held, openReliabilityDatabase } from './support';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let session: HostSession;
let connection: PostgresConnection;

beforeAll(async () => {
  ({ session, connection } = await openReliabilityDatabase('reliability_faults'));
});

afterAll(async () => {
  await session?.close();
});

// A test that fails inside BEGIN must not leave the next one in an aborted transaction.
afterEach(async () => {
  await session.client.query('ROLLBACK');
  session.takeNotices();
});

async function sql(text: string): Promise<Array<Record<string, unknown>>> {
  return (await session.client.query(text)).rows as Array<Record<string, unknown>>;
}

/** A table on a peer that is not a real memcached (its host:port as given), with short timeouts; `options` appended. */
async function peerTable(address: MemcachedAddress, name: string, options = ''): Promise<string> {
  const more = options === '' ? '' : `, ${options}`;
  await sql(`CREATE FOREIGN TABLE ${name} (key text, value text) SERVER mc
    OPTIONS (host '${address.host}', port '${address.port}', row_id 'key', connect_timeout '0.5', timeout '0.5'${more})`);
  return name;
}

/** The session still works: a read and a write on the shared memcached. */
async function stillWorks(): Promise<void> {
  const cache = await createCacheTable(session, server);
  await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('alive', 'yes')`);
  expect(await sql(`SELECT value FROM ${cache.table} WHERE key = 'alive'`)).toEqual([{ value: 'yes' }]);
}

describe('memcached killed and restarted', () => {
  it('while the session is idle: its next statements reconnect, reads and writes work', async () => {
    const first = await startMemcached();
    const port = first.address.port;
    await first.stop();
    let memcached = await startMemcachedOnPort(port);
    try {
      const cache = await createCacheTable(session, memcached.address);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('k', 'before')`);
      expect(await sql(`SELECT value FROM ${cache.table} WHERE key = 'k'`)).toEqual([{ value: 'before' }]);
      await memcached.kill();
      memcached = await startMemcachedOnPort(port);
      // The restart emptied memcached; the backend's old socket is stale and is replaced, not reported as an error.
      expect(await sql(`SELECT value FROM ${cache.table} WHERE key = 'k'`)).toEqual([]);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('k', 'after')`);
      expect(await held(cache, ['k'])).toEqual(['after']);
    } finally {
      await memcached.stop();
    }
  });

  it('between the INSERT and the COMMIT: the COMMIT fails naming the keys not sent, and rolls the local rows back', async () => {
    const first = await startMemcached();
    const port = first.address.port;
    await first.stop();
    let memcached = await startMemcachedOnPort(port);
    try {
      const cache = await createCacheTable(session, memcached.address, "connect_timeout '0.5'");
      await sql('CREATE TABLE IF NOT EXISTS fault_audit (note text)');
      await sql('BEGIN');
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('a', 'A'), ('b', 'B')`);
      await sql("INSERT INTO fault_audit VALUES ('with the cache')");
      await memcached.kill();
      const error = await sqlError(session.client.query('COMMIT'));
      const label = `127.0.0.1:${port}`;
      expect([error.message, error.detail]).toEqual([
        `cannot reach memcached at ${label} (set of 2 keys): connection refused, while sending the transaction's writes`,
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          `Of 2 key(s), memcached applied 0. Not sent: 2 ("${cache.prefix}a", "${cache.prefix}b").`,
      ]);
      expect(await sql('SELECT count(*)::int AS n FROM fault_audit')).toEqual([{ n: 0 }]);
      memcached = await startMemcachedOnPort(port);
      expect(await held(cache, ['a', 'b'])).toEqual([null, null]);
    } finally {
      await memcached.stop();
    }
  });
});

describe('memcached killed in the middle of a statement', () => {
  // The statement looks up k1..k10 one row at a time; from row 6 on its WHERE clause takes an advisory lock another
  // session holds, so it stops after five lookups until the test, having killed memcached, lets it go on.
  const LOOKUPS = (table: string): string =>
    `SELECT g, (SELECT value FROM ${table} WHERE key = 'k' || g::text) AS value FROM generate_series(1, 10) g
     WHERE g < 6 OR pg_advisory_xact_lock_shared(4242) IS NOT NULL ORDER BY g`;

  async function pausedStatement(
    table: string,
    whilePaused: () => Promise<void>,
  ): Promise<Array<Record<string, unknown>> | Error> {
    const holder = await openSession(connection);
    try {
      await holder.client.query('BEGIN');
      await holder.client.query('SELECT pg_advisory_xact_lock(4242)');
      const running = session.client.query(LOOKUPS(table)).then(
        (result) => result.rows as Array<Record<string, unknown>>,
        (error: unknown) => error as Error,
      );
      // Wait until the statement is blocked on the lock, i.e. its first five lookups are done.
      for (let waited = 0; ; waited++) {
        const blocked = await holder.client.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted",
        );
        if (blocked.rows.length > 0) break;
        if (waited > 200) throw new Error('the statement never reached the lock');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await whilePaused();
      await holder.client.query('COMMIT');
      return await running;
    } finally {
      await holder.close();
    }
  }

  it('and not restarted: the next lookup is an ERROR naming the server and the key; the session goes on', async () => {
    const first = await startMemcached();
    const port = first.address.port;
    try {
      const cache = await createCacheTable(session, first.address, "connect_timeout '0.5'");
      for (let i = 1; i <= 10; i++) await rawSet(first.address, `${cache.prefix}k${i}`, `v${i}`);
      const outcome = await pausedStatement(cache.table, () => first.kill());
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toBe(
        `cannot reach memcached at 127.0.0.1:${port} (get of key "k6"): connection refused`,
      );
    } finally {
      await first.stop();
    }
    await stillWorks();
  });

  it('and restarted: the lookups after the restart reconnect and read the emptied server; nothing fails', async () => {
    const first = await startMemcached();
    const port = first.address.port;
    let memcached = first;
    try {
      const cache = await createCacheTable(session, first.address);
      for (let i = 1; i <= 10; i++) await rawSet(first.address, `${cache.prefix}k${i}`, `v${i}`);
      const outcome = await pausedStatement(cache.table, async () => {
        await first.kill();
        memcached = await startMemcachedOnPort(port);
        await rawSet(memcached.address, `${cache.prefix}k7`, 'after the restart');
      });
      expect(outcome).toEqual([
        { g: 1, value: 'v1' },
        { g: 2, value: 'v2' },
        { g: 3, value: 'v3' },
        { g: 4, value: 'v4' },
        { g: 5, value: 'v5' },
        { g: 6, value: null },
        { g: 7, value: 'after the restart' },
        { g: 8, value: null },
        { g: 9, value: null },
        { g: 10, value: null },
      ]);
    } finally {
      await memcached.stop();
    }
  });

  it('restarted between a statement and its COMMIT: the COMMIT sends on a new connection and memcached holds it all', async () => {
    const first = await startMemcached();
    const port = first.address.port;
    let memcached = first;
    try {
      const cache = await createCacheTable(session, first.address);
      await sql('BEGIN');
      // The INSERT checks the value size against the server (a connection is open and idle when it is killed).
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('a', 'A'), ('b', 'B')`);
      await first.kill();
      memcached = await startMemcachedOnPort(port);
      session.takeNotices();
      await sql('COMMIT');
      expect(session.takeNotices()).toEqual([]);
      expect(await held(cache, ['a', 'b'])).toEqual(['A', 'B']);
    } finally {
      await memcached.stop();
    }
  });
});

describe('a connection cut part-way through the replies of COMMIT', () => {
  it('names the keys acknowledged and those in flight, and rollback deletes both: memcached holds none of them', async () => {
    const cache = await createCacheTable(session, server);
    // Each set is answered "STORED\r\n" (8 bytes): the relay lets 3 replies through, then cuts the connection.
    const relay = await startCuttingRelay(server, 3 * 8, 'set ');
    try {
      await sql(`CREATE FOREIGN TABLE cut_${cache.prefix.replace(/[^a-z0-9]/g, '_')} (key text, value text)
        SERVER mc OPTIONS (host '${relay.address.host}', port '${relay.address.port}', row_id 'key', prefix '${cache.prefix}')`);
      const table = `cut_${cache.prefix.replace(/[^a-z0-9]/g, '_')}`;
      const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
      await sql('BEGIN');
      await sql(`INSERT INTO ${table} (key, value) VALUES ${keys.map((key) => `('${key}', 'v')`).join(', ')}`);
      session.takeNotices();
      const error = await sqlError(session.client.query('COMMIT'));
      const label = `${relay.address.host}:${relay.address.port}`;
      const quoted = (list: string[]): string => list.map((key) => `"${cache.prefix}${key}"`).join(', ');
      expect([error.message, error.detail]).toEqual([
        `memcached at ${label} closed the connection during set of 5 keys, while sending the transaction's writes`,
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          `Of 5 key(s), memcached applied 3 (${quoted(keys.slice(0, 3))}). Unknown, in flight when it failed: 2 (${quoted(keys.slice(3))}).`,
      ]);
      await sql('SELECT 1');
      expect(
        session
          .takeNotices()
          .filter((notice) => notice.severity === 'WARNING')
          .map((notice) => notice.message),
      ).toEqual([`the transaction aborted after its writes to 5 key(s) were sent to memcached (${quoted(keys)})`]);
      // memcached got all five sets (only the replies were cut); rollback deleted them all through a new connection.
      expect(await held(cache, keys)).toEqual([null, null, null, null, null]);
    } finally {
      await relay.stop();
    }
  });
});

describe('a server that never answers', () => {
  it('a read fails after the timeout naming the option; the next statement is not served a half-read reply', async () => {
    const peer = await startSilentPeer();
    try {
      const table = await peerTable(peer.address, 'silent_cache');
      const error = await sqlError(session.client.query(`SELECT value FROM ${table} WHERE key = 'k'`));
      expect([error.message, error.hint]).toEqual([
        `memcached at ${peer.address.host}:${peer.address.port} did not answer the get of key "k" within 0.5 s`,
        'The timeout option sets how long to wait for a reply; check the server and the network.',
      ]);
      const again = await sqlError(session.client.query(`SELECT value FROM ${table} WHERE key = 'k'`));
      expect(again.message).toBe(error.message);
      await stillWorks();
    } finally {
      await peer.stop();
    }
  });
});

describe('writes at COMMIT to a peer that fails', () => {
  async function commitTo(address: MemcachedAddress, name: string): Promise<{ error: SqlError; warnings: string[] }> {
    // item_size_max: the INSERT's size check does not ask the peer for stats settings.
    await peerTable(address, name, "item_size_max '1048576'");
    await sql('BEGIN');
    await sql(`INSERT INTO ${name} (key, value) VALUES ('w', 'x')`);
    session.takeNotices();
    const error = await sqlError(session.client.query('COMMIT'));
    await sql('SELECT 1');
    const warnings = session
      .takeNotices()
      .filter((notice) => notice.severity === 'WARNING')
      .map((notice) => `${notice.message} / ${notice.hint ?? ''}`);
    return { error, warnings };
  }

  it('a server that never answers: COMMIT fails after the timeout with the key in flight; the delete is tried', async () => {
    const peer = await startSilentPeer();
    const label = `${peer.address.host}:${peer.address.port}`;
    try {
      const { error, warnings } = await commitTo(peer.address, 'silent_writes');
      expect([error.message, error.detail]).toEqual([
        `memcached at ${label} did not answer the set of key "w" within 0.5 s, while sending the transaction's writes`,
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          'Of 1 key(s), memcached applied 0. Unknown, in flight when it failed: 1 ("w").',
      ]);
      expect(warnings).toEqual([
        'the transaction aborted after its writes to 1 key(s) were sent to memcached ("w") / Deleting them again failed: ' +
          `memcached at ${label} did not answer the delete of key "w" within 0.5 s, while sending the deletes of the ` +
          "aborted transaction's writes (memcached has no transactions: what it applied stays. Of 1 key(s), memcached " +
          'applied 0. Unknown, in flight when it failed: 1 ("w").)',
      ]);
      await stillWorks();
    } finally {
      await peer.stop();
    }
  });

  it('a peer that is not memcached: COMMIT fails saying so, naming the server, without quoting what it sent', async () => {
    const peer = await startGarbagePeer('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    const label = `${peer.address.host}:${peer.address.port}`;
    try {
      const { error } = await commitTo(peer.address, 'http_writes');
      expect([error.message, error.detail]).toEqual([
        `the server at ${label} answered the set of key "w" with something that is not a memcached reply: a line of 24 bytes where STORED, NOT_STORED, EXISTS, NOT_FOUND or an error was expected, while sending the transaction's writes`,
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          'Of 1 key(s), memcached applied 0. Unknown, in flight when it failed: 1 ("w").',
      ]);
      await stillWorks();
    } finally {
      await peer.stop();
    }
  });
});

describe('an out-of-memory memcached (memcached -M)', () => {
  it('COMMIT fails naming the keys memcached refused, and nothing of the transaction stays', async () => {
    const full = await startMemcached(['-m', '2', '-M']);
    try {
      const cache = await createCacheTable(session, full.address);
      const keys = Array.from({ length: 40 }, (_, i) => `big${i}`);
      await sql('BEGIN');
      await sql(
        `INSERT INTO ${cache.table} (key, value) SELECT 'big' || g, repeat('x', 100000) FROM generate_series(0, 39) g`,
      );
      session.takeNotices();
      const error = await sqlError(session.client.query('COMMIT'));
      // How many of the 40 memcached's allocator refuses depends on its slabs: read N from the message, then every
      // other word of the message and the DETAIL is checked exactly against it.
      const refused = Number(/ did not store (\d+) key/.exec(error.message)?.[1]);
      expect(refused).toBeGreaterThan(0);
      expect(error.message).toBe(
        `memcached at ${full.address.host}:${full.address.port} did not store ${refused} key(s) while receiving the transaction's writes: out of memory storing object`,
      );
      const applied = keys.length - refused;
      const detail = error.detail ?? '';
      const appliedKeys = /memcached applied \d+ \(([^)]*)\)/.exec(detail)?.[1] ?? '';
      const refusedKeys = /Refused by memcached: \d+ \(([^)]*)\)/.exec(detail)?.[1] ?? '';
      expect(detail).toBe(
        'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
          `Of 40 key(s), memcached applied ${applied}${applied > 0 ? ` (${appliedKeys})` : ''}. ` +
          `Refused by memcached: ${refused} (${refusedKeys}).`,
      );
      // The two lists name keys of the transaction as memcached holds them (prefixed), the first ten of each.
      const named = (list: string): string[] => (list === '' ? [] : list.replace(/ and \d+ more$/, '').split(', '));
      for (const name of [...named(appliedKeys), ...named(refusedKeys)]) {
        expect(keys.map((key) => `"${cache.prefix}${key}"`)).toContain(name);
      }
      await sql('SELECT 1');
      expect(await held(cache, keys)).toEqual(keys.map(() => null));
    } finally {
      await full.stop();
    }
  });
});

describe('peers that are not memcached', () => {
  it('an HTTP server: an ERROR that says so, without quoting what it sent', async () => {
    const peer = await startGarbagePeer('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    try {
      const table = await peerTable(peer.address, 'http_cache');
      const error = await sqlError(session.client.query(`SELECT value FROM ${table} WHERE key = 'k'`));
      expect([error.message, error.hint]).toEqual([
        `the server at ${peer.address.host}:${peer.address.port} answered the get of key "k" with something that is not a memcached reply: a line of 24 bytes where VALUE, END or an error was expected`,
        `Check that ${peer.address.host}:${peer.address.port} is a memcached server (or a proxy speaking its text protocol), not another service.`,
      ]);
      await stillWorks();
    } finally {
      await peer.stop();
    }
  });

  it('a peer whose error text holds a secret: the ERROR gives its length, never its bytes', async () => {
    const peer = await startGarbagePeer('SERVER_ERROR internal-db-password=hunter2\r\n');
    try {
      const table = await peerTable(peer.address, 'leaky_cache');
      const error = await sqlError(session.client.query(`SELECT value FROM ${table} WHERE key = 'x'`));
      expect(error.message).toBe(
        `memcached at ${peer.address.host}:${peer.address.port} failed the get of key "x": ` +
          'memcached answered SERVER_ERROR with a text that is not a known memcached error (28 bytes, not shown)',
      );
      expect(JSON.stringify(error)).not.toContain('hunter2');
    } finally {
      await peer.stop();
    }
  });
});

describe('memcached out of connections (memcached -c 32)', () => {
  it('fifty tables with as many timeouts, and fifty ALTERs of one, share one connection; a server out of connections is an ERROR that says so', async () => {
    const limited = await startMemcached(['-c', '32']);
    try {
      const baseline = Number((await rawStats(limited.address)).get('curr_connections'));
      for (let i = 1; i <= 50; i++) {
        await sql(`CREATE FOREIGN TABLE timeouts_${i} (key text, value text) SERVER mc
          OPTIONS (host '${limited.address.host}', port '${limited.address.port}', row_id 'key', timeout '${i / 10}')`);
        await sql(`SELECT value FROM timeouts_${i} WHERE key = 'k'`);
      }
      expect(Number((await rawStats(limited.address)).get('curr_connections'))).toBe(baseline + 1);
      // Fifty ALTERs of one table's timeout (each rebuilds the wrapper) reuse that connection too.
      for (let i = 1; i <= 50; i++) {
        await sql(`ALTER FOREIGN TABLE timeouts_1 OPTIONS (SET timeout '${(i + 50) / 10}')`);
        await sql(`SELECT value FROM timeouts_1 WHERE key = 'k'`);
      }
      expect(Number((await rawStats(limited.address)).get('curr_connections'))).toBe(baseline + 1);
      // Take every connection memcached has left, then ask from a new session.
      const { session: other } = await openReliabilityDatabase('reliability_faults_limited');
      const fillers: Array<Promise<unknown>> = [];
      const { Socket } = await import('node:net');
      const sockets: InstanceType<typeof Socket>[] = [];
      for (let i = 0; i < 40; i++) {
        const socket = new Socket();
        socket.on('error', () => undefined);
        sockets.push(socket);
        fillers.push(
          new Promise((resolve) => socket.connect(limited.address.port, limited.address.host, () => resolve(null))),
        );
      }
      await Promise.all(fillers);
      try {
        await other.client.query(`CREATE FOREIGN TABLE crowded (key text, value text) SERVER mc
          OPTIONS (host '${limited.address.host}', port '${limited.address.port}', row_id 'key')`);
        const error = await sqlError(other.client.query("SELECT value FROM crowded WHERE key = 'k'"));
        expect([error.message, error.hint]).toEqual([
          `memcached at ${limited.address.host}:${limited.address.port} refused the connection: Too many open connections`,
          "memcached's connection limit (memcached -c) is reached: raise it, or let fewer sessions use this server.",
        ]);
      } finally {
        for (const socket of sockets) socket.destroy();
        await other.close();
      }
    } finally {
      await limited.stop();
    }
  });
});

describe('the raw client used by these tests', () => {
  it('reads what it writes (a sanity check of the checker)', async () => {
    await rawSet(server, 'reliability-faults-sanity', 'ok');
    expect((await rawGet(server, 'reliability-faults-sanity'))?.value.toString()).toBe('ok');
  });
});
