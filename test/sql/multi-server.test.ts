// Cache and stats tables over several servers in PostgreSQL: the options (servers, distribution, on_server_error,
// retry_interval) and their errors, every statement kind landing each key on the server the distribution predicts,
// EXPLAIN, a server that is down, and the statistics of every server with a `server` column.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDistribution, type DistributionName } from '../../src/distribution/index';
import { startMemcached, uniquePrefix } from '../rig/memcached';
import { createScratchDatabase } from '../rig/postgres';
import { explainLines, openSession, sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const fleet: MemcachedAddress[] = inject('memcachedServers');
let session: HostSession;
let tableCounter = 0;

beforeAll(async () => {
  const connection = await createScratchDatabase(inject('postgres'), 'sql_multi_server');
  session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  await session.client.query(
    `CREATE SERVER mc FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  await session.client.query(
    `CREATE SERVER mc_stats FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDWStats')`,
  );
});

afterAll(async () => {
  await session?.close();
});

function label(address: MemcachedAddress): string {
  return `${address.host}:${address.port}`;
}

function serverList(addresses: MemcachedAddress[]): string {
  return addresses.map(label).join(',');
}

async function table(options: string, columns = 'key text, value text'): Promise<string> {
  tableCounter += 1;
  const name = `ms_${tableCounter}`;
  await session.client.query(`CREATE FOREIGN TABLE ${name} (${columns}) SERVER mc OPTIONS (row_id 'key', ${options})`);
  return name;
}

function warnings(): string[] {
  return session
    .takeNotices()
    .filter((notice) => notice.severity === 'WARNING')
    .map((notice) => notice.message);
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<MemcachedAddress> {
  const probe = await startMemcached();
  await probe.stop();
  return probe.address;
}

describe('options', () => {
  it('servers with host or port is an ERROR naming both', async () => {
    const name = await table(`servers '${serverList(fleet)}', host '${fleet[0]!.host}'`);
    const error = await sqlError(session.client.query(`SELECT * FROM ${name} WHERE key = 'a'`));
    expect(error.message).toBe(
      'options "servers" and "host" cannot be combined: "servers" lists every server, "host" and "port" name a single one',
    );
    expect(error.hint).toBe(
      'Keep one of them: DROP host (and its partner) and list every server as host:port[:weight] in servers, or DROP servers.',
    );
    const withPort = await table(`servers '${serverList(fleet)}', port '11211'`);
    expect((await sqlError(session.client.query(`SELECT * FROM ${withPort} WHERE key = 'a'`))).message).toBe(
      'options "servers" and "port" cannot be combined: "servers" lists every server, "host" and "port" name a single one',
    );
  });

  it('refuses a bad distribution, on_server_error, retry_interval, server list, and weights rendezvous cannot honour', async () => {
    const cases: Array<[string, string]> = [
      [
        `servers '${serverList(fleet)}', distribution 'crc'`,
        'invalid value "crc" for option "distribution": expected one of ketama, modula, modula_python, rendezvous',
      ],
      [
        `servers '${serverList(fleet)}', on_server_error 'ignore'`,
        'invalid value "ignore" for option "on_server_error": expected one of error, miss',
      ],
      [
        `servers '${serverList(fleet)}', retry_interval '-1'`,
        'invalid value "-1" for option "retry_interval": expected an integer from 0 to 86400',
      ],
      [
        `servers '${label(fleet[0]!)},'`,
        `invalid value "${label(fleet[0]!)}," for option "servers": server 2 is empty; expected a comma-separated list of host:port or host:port:weight (IPv6 hosts in brackets, e.g. [::1]:11211), ports from 1 to 65535, weights from 1 to 1000000`,
      ],
      [
        `servers '${label(fleet[0]!)}:2,${label(fleet[1]!)}', distribution 'rendezvous'`,
        `invalid value for option "servers": rendezvous: server ${label(fleet[0]!)} has weight 2, but pymemcache's HashClient has no weights; remove the weight (or use distribution ketama or modula)`,
      ],
    ];
    for (const [options, message] of cases) {
      const name = await table(options);
      const error = await sqlError(session.client.query(`SELECT * FROM ${name} WHERE key = 'a'`));
      expect(error.message).toBe(message);
    }
  });
});

describe('every statement on the predicted server', () => {
  for (const distribution of ['ketama', 'modula', 'rendezvous'] as DistributionName[]) {
    it(`${distribution}: INSERT, SELECT, UPDATE, DELETE each key on its own server only`, async () => {
      const prefix = uniquePrefix(`ms-${distribution}`);
      const name = await table(`servers '${serverList(fleet)}', distribution '${distribution}', prefix '${prefix}'`);
      const placement = createDistribution(
        distribution,
        fleet.map((a) => ({ host: a.host, port: a.port, weight: 1 })),
      );
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      await session.client.query(`INSERT INTO ${name} SELECT k, 'v:' || k FROM unnest($1::text[]) k`, [keys]);
      for (const key of keys) {
        const home = placement.serverFor(key);
        for (let position = 0; position < fleet.length; position++) {
          const item = await rawGet(fleet[position]!, prefix + key);
          expect(item === null ? null : item.value.toString(), `${key} on server ${position}`).toBe(
            position === home ? `v:${key}` : null,
          );
        }
      }
      const selected = await session.client.query(`SELECT key, value FROM ${name} WHERE key = ANY($1) ORDER BY value`, [
        keys,
      ]);
      expect(selected.rows.length).toBe(keys.length);
      const updated = await session.client.query(`UPDATE ${name} SET value = 'u:' || key WHERE key = ANY($1)`, [keys]);
      expect(updated.rowCount).toBe(keys.length);
      for (const key of keys)
        expect((await rawGet(fleet[placement.serverFor(key)]!, prefix + key))!.value.toString()).toBe(`u:${key}`);
      const deleted = await session.client.query(`DELETE FROM ${name} WHERE key = ANY($1)`, [keys.slice(0, 10)]);
      expect(deleted.rowCount).toBe(10);
      for (const key of keys) {
        const item = await rawGet(fleet[placement.serverFor(key)]!, prefix + key);
        expect(item === null, key).toBe(keys.indexOf(key) < 10);
      }
      expect(warnings()).toEqual([]);
    });
  }

  it('EXPLAIN names the servers, their weights, the distribution, and the requests per server', async () => {
    const name = await table(
      `servers '${label(fleet[0]!)}:2,${label(fleet[1]!)},${label(fleet[2]!)}', distribution 'modula'`,
    );
    const lines = await explainLines(
      session.client,
      `SELECT value FROM ${name} WHERE key IN ('a', 'b', 'c', 'd', 'e', 'f')`,
    );
    expect(lines).toContain(
      `  Multicorn: memcached servers ${label(fleet[0]!)}:2, ${label(fleet[1]!)}, ${label(fleet[2]!)} (distribution modula)`,
    );
    const placement = createDistribution(
      'modula',
      fleet.map((a, i) => ({ host: a.host, port: a.port, weight: i === 0 ? 2 : 1 })),
    );
    const counts = [0, 1, 2].map(
      (position) => ['a', 'b', 'c', 'd', 'e', 'f'].filter((key) => placement.serverFor(key) === position).length,
    );
    const used = counts.filter((count) => count > 0).length;
    const perServer = counts
      .flatMap((count, position) => (count > 0 ? [`${count} on ${label(fleet[position]!)}`] : []))
      .join(', ');
    expect(lines).toContain(
      `  Multicorn: gets 6 key(s) from ${used} of 3 servers at once, one round trip: ${perServer}`,
    );
  });
});

describe('a server that is down', () => {
  it("on_server_error miss: SELECT returns the other servers' keys with a WARNING naming it; writes to it fail", async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('ms-miss');
    const servers = [fleet[0]!, dead, fleet[1]!];
    const name = await table(
      `servers '${serverList(servers)}', prefix '${prefix}', on_server_error 'miss', connect_timeout '0.5'`,
    );
    const placement = createDistribution(
      'ketama',
      servers.map((a) => ({ host: a.host, port: a.port, weight: 1 })),
    );
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const live = keys.filter((key) => placement.serverFor(key) !== 1);
    const onDead = keys.filter((key) => placement.serverFor(key) === 1);
    for (const key of live) await rawSet(servers[placement.serverFor(key)]!, prefix + key, `v:${key}`);
    session.takeNotices();
    const first = await session.client.query(`SELECT key FROM ${name} WHERE key = ANY($1) ORDER BY key`, [keys]);
    expect(first.rows.map((row) => row.key)).toEqual([...live].sort());
    const [warning, ...others] = warnings();
    expect(others).toEqual([]);
    expect(warning!.startsWith(`cannot reach memcached at ${label(dead)} (get`)).toBe(true);
    expect(warning!.endsWith('; its keys are read as misses (on_server_error miss)')).toBe(true);
    const second = await session.client.query(`SELECT key FROM ${name} WHERE key = ANY($1) ORDER BY key`, [keys]);
    expect(second.rows.length).toBe(live.length);
    expect(warnings()).toEqual([
      `memcached at ${label(dead)} is marked down after a failure less than 30 seconds ago (retry_interval): ${onDead.length} keys read as misses (on_server_error miss)`,
    ]);
    const write = await sqlError(session.client.query(`INSERT INTO ${name} VALUES ($1, 'x')`, [onDead[0]]));
    expect(write.message).toBe(
      `memcached at ${label(dead)} is marked down after a failure less than 30 seconds ago (retry_interval): cannot write key "${onDead[0]}"`,
    );
    await session.client.query(`INSERT INTO ${name} VALUES ($1, 'fresh')`, [live[0]]);
    expect((await rawGet(servers[placement.serverFor(live[0]!)]!, prefix + live[0]))!.value.toString()).toBe('fresh');
  });

  it('on_server_error error (default): SELECT touching its keys fails naming it', async () => {
    const dead = await closedPort();
    const prefix = uniquePrefix('ms-error');
    const servers = [dead, fleet[2]!];
    const name = await table(
      `servers '${serverList(servers)}', prefix '${prefix}', connect_timeout '0.5', retry_interval '0'`,
    );
    const placement = createDistribution(
      'ketama',
      servers.map((a) => ({ host: a.host, port: a.port, weight: 1 })),
    );
    const onDead = Array.from({ length: 20 }, (_, i) => `k${i}`).find((key) => placement.serverFor(key) === 0)!;
    const error = await sqlError(session.client.query(`SELECT key FROM ${name} WHERE key = $1`, [onDead]));
    expect(error.message.startsWith(`cannot reach memcached at ${label(dead)} (get of key "${onDead}"): `)).toBe(true);
  });
});

describe('statistics of every server', () => {
  it('rows for every server in list order, with the server column when declared', async () => {
    tableCounter += 1;
    const name = `ms_stats_${tableCounter}`;
    await session.client.query(`CREATE FOREIGN TABLE ${name} (server text, stat_name text, stat_value text)
      SERVER mc_stats OPTIONS (servers '${serverList(fleet)}')`);
    const pids = await session.client.query<{ server: string; stat_value: string }>(
      `SELECT server, stat_value FROM ${name} WHERE stat_name = 'pid'`,
    );
    const expected = await Promise.all(
      fleet.map(async (address) => ({ server: label(address), stat_value: (await rawStats(address)).get('pid')! })),
    );
    expect(pids.rows).toEqual(expected);
    const lines = await explainLines(session.client, `SELECT * FROM ${name}`);
    expect(lines).toContain(`  Multicorn: memcached ${fleet.map(label).join(', ')}: stats`);
  });
});
