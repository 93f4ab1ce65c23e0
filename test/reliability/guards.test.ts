// What Multicorn gives the wrapper no hook to refuse, refused by the pymcache_fdw extension: PREPARE TRANSACTION of a
// transaction that used a cache table (memcached has no two-phase commit), INSERT ... ON CONFLICT on a cache table
// (the wrapper would overwrite), and user mappings that widen what the table owner granted (a user mapping carries
// credentials only). Real PostgreSQL with two-phase commit enabled, real memcached, an independent client.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSession, sqlError, type HostSession } from '../host/helpers';
import { installedMulticorn, type PostgresConnection } from '../rig/postgres';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';
import { createCacheTable, held, openReliabilityDatabase } from './support';
import { uniquePrefix } from '../rig/memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let connection: PostgresConnection;
let session: HostSession;
const sessions: HostSession[] = [];

async function newSession(user?: string): Promise<HostSession> {
  const opened = await openSession(user === undefined ? connection : { ...connection, user });
  sessions.push(opened);
  return opened;
}

beforeAll(async () => {
  ({ session, connection } = await openReliabilityDatabase('reliability_guards'));
  await session.client.query('CREATE EXTENSION pymcache_fdw');
});

afterAll(async () => {
  for (const opened of sessions) await opened.close();
  await session?.close();
});

describe('PREPARE TRANSACTION', () => {
  it('is refused for a transaction that wrote to a cache table; nothing reaches memcached, then or later', async () => {
    const cache = await createCacheTable(session, server);
    const client = await newSession();
    await client.client.query('BEGIN');
    await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('prepared', 'x')`);
    const error = await sqlError(client.client.query("PREPARE TRANSACTION 'cache_write'"));
    expect([error.code, error.message, error.hint]).toEqual([
      '0A000',
      'cannot PREPARE a transaction that has used pymcache_fdw cache tables',
      'COMMIT or ROLLBACK the transaction instead.',
    ]);
    // The next transaction of the backend sends nothing either.
    await client.client.query('SELECT 1');
    expect(await held(cache, ['prepared'])).toEqual([null]);
    expect(
      (await session.client.query("SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE gid = 'cache_write'")).rows,
    ).toEqual([{ n: 0 }]);
    await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('after', 'y')`);
    expect(await held(cache, ['prepared', 'after'])).toEqual([null, 'y']);
  });

  it('is refused for a transaction that only read a cache table', async () => {
    const cache = await createCacheTable(session, server);
    await rawSet(server, `${cache.prefix}r`, 'v');
    const client = await newSession();
    await client.client.query('BEGIN');
    expect((await client.client.query(`SELECT value FROM ${cache.table} WHERE key = 'r'`)).rows).toEqual([
      { value: 'v' },
    ]);
    expect((await sqlError(client.client.query("PREPARE TRANSACTION 'cache_read'"))).code).toBe('0A000');
  });

  it('is allowed for a transaction that used no cache table, in a backend that did', async () => {
    const cache = await createCacheTable(session, server);
    const client = await newSession();
    await client.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('before', 'b')`);
    await client.client.query('CREATE TABLE IF NOT EXISTS plain_rows (n int)');
    await client.client.query('BEGIN');
    await client.client.query('INSERT INTO plain_rows VALUES (1)');
    await client.client.query("PREPARE TRANSACTION 'no_cache'");
    await client.client.query("COMMIT PREPARED 'no_cache'");
    expect((await client.client.query('SELECT n FROM plain_rows')).rows).toEqual([{ n: 1 }]);
  });
});

describe('INSERT ... ON CONFLICT', () => {
  for (const mode of ["insert_mode 'set'", "insert_mode 'add'", "write_mode 'immediate'"]) {
    it(`DO NOTHING is refused before anything is written (${mode}); the existing key keeps its value`, async () => {
      const cache = await createCacheTable(session, server, mode);
      await rawSet(server, `${cache.prefix}taken`, 'theirs');
      const client = await newSession();
      const error = await sqlError(
        client.client.query(
          `INSERT INTO ${cache.table} (key, value) VALUES ('new', 'n'), ('taken', 'mine') ON CONFLICT DO NOTHING`,
        ),
      );
      expect([error.code, error.message]).toEqual([
        '0A000',
        `INSERT ... ON CONFLICT is not supported on cache table "${cache.table}"`,
      ]);
      expect(error.hint).toBe(
        "Use a table with insert_mode 'add' (an existing key is an ERROR), or memcache_add(), which returns false for an existing key.",
      );
      expect(await held(cache, ['new', 'taken'])).toEqual([null, 'theirs']);
    });
  }

  it('is refused inside a data-modifying CTE as well', async () => {
    const cache = await createCacheTable(session, server);
    const error = await sqlError(
      session.client.query(
        `WITH moved AS (INSERT INTO ${cache.table} (key, value) VALUES ('cte', 'c') ON CONFLICT DO NOTHING RETURNING key) SELECT * FROM moved`,
      ),
    );
    expect(error.message).toBe(`INSERT ... ON CONFLICT is not supported on cache table "${cache.table}"`);
    expect(await held(cache, ['cte'])).toEqual([null]);
  });
});

describe('user mappings carry credentials only', () => {
  const grantee = 'rel_grantee';

  beforeAll(async () => {
    await session.client.query(`DROP ROLE IF EXISTS ${grantee}`);
    await session.client.query(`CREATE ROLE ${grantee} LOGIN`);
    await session.client.query(`GRANT USAGE ON FOREIGN SERVER mc TO ${grantee}`);
  });

  afterAll(async () => {
    await session.client.query('DROP OWNED BY rel_grantee CASCADE');
    await session.client.query('DROP ROLE IF EXISTS rel_grantee');
  });

  for (const [option, value] of [
    ['prefix', 'admin:'],
    ['prefix', ''],
    ['host', '127.0.0.2'],
    ['port', '22'],
    ['servers', '127.0.0.1:22'],
  ]) {
    it(`a grantee's own user mapping with ${option} '${value}' is refused, naming the option and the server`, async () => {
      const client = await newSession(grantee);
      const error = await sqlError(
        client.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER mc OPTIONS (${option} '${value}')`),
      );
      expect([error.code, error.message, error.detail, error.hint]).toEqual([
        '22023',
        `option "${option}" cannot be set in a user mapping of server "mc"`,
        'A user mapping of a pymcache_fdw server carries only credentials (username, password, tls_cert_file, tls_key_file).',
        'Options that decide what a user reaches (host, port, servers, prefix, distribution, ...) belong to the foreign table or the server, set by their owners.',
      ]);
    });
  }

  it('the grantee reads only the prefix group the owner gave, and cannot move it with ALTER USER MAPPING', async () => {
    const cache = await createCacheTable(session, server);
    const sessions_ = `${cache.prefix}sess:`;
    await session.client.query(`CREATE FOREIGN TABLE sessions_only (key text, value text)
      SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${sessions_}')`);
    await session.client.query(`GRANT SELECT ON sessions_only TO ${grantee}`);
    await rawSet(server, `${sessions_}x`, 'granted');
    await rawSet(server, `${cache.prefix}admin:x`, 'not granted');
    const client = await newSession(grantee);
    await client.client.query('CREATE USER MAPPING FOR CURRENT_USER SERVER mc');
    const error = await sqlError(
      client.client.query(`ALTER USER MAPPING FOR CURRENT_USER SERVER mc OPTIONS (ADD prefix '${cache.prefix}admin:')`),
    );
    expect(error.message).toBe('option "prefix" cannot be set in a user mapping of server "mc"');
    expect((await client.client.query("SELECT key, value FROM sessions_only WHERE key = 'x'")).rows).toEqual([
      { key: 'x', value: 'granted' },
    ]);
    expect((await sqlError(client.client.query(`SELECT key FROM ${cache.table} WHERE key = 'admin:x'`))).code).toBe(
      '42501',
    );
  });

  it('credentials belong in a user mapping: a password on the server or the table is refused', async () => {
    const onServer = await sqlError(session.client.query("ALTER SERVER mc OPTIONS (ADD password 'secret')"));
    expect([onServer.message, onServer.hint]).toEqual([
      'option "password" can only be set in a USER MAPPING, not on server "mc"',
      "CREATE USER MAPPING FOR ... SERVER ... OPTIONS (password '...'): every user who can read the server would see it.",
    ]);
    const onTable = await sqlError(
      session.client.query(`CREATE FOREIGN TABLE leaky (key text, value text) SERVER mc OPTIONS (username 'u')`),
    );
    expect(onTable.message).toBe(
      'option "username" can only be set in a USER MAPPING, not on foreign table public.leaky',
    );
  });

  for (const [option, value] of [
    ['prefix', 'admin:'],
    ['host', '127.0.0.2'],
  ]) {
    it(`without the extension's event trigger, a grantee's mapping with ${option} is refused when the table is used`, async () => {
      // A database that created only multicorn: nothing checked the mapping when it was made.
      const { session: owner, connection: plain } = await openReliabilityDatabase(`reliability_guards_plain_${option}`);
      sessions.push(owner);
      const sessionsOnly = `${uniquePrefix('rel')}sess:`;
      await owner.client.query(`CREATE FOREIGN TABLE sessions_only (key text, value text)
        SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${sessionsOnly}')`);
      await owner.client.query(`GRANT SELECT ON sessions_only TO ${grantee}`);
      await owner.client.query(`GRANT USAGE ON FOREIGN SERVER mc TO ${grantee}`);
      await rawSet(server, `${sessionsOnly}x`, 'granted');
      const opened = await openSession({ ...plain, user: grantee });
      sessions.push(opened);
      await opened.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER mc OPTIONS (${option} '${value}')`);
      const error = await sqlError(opened.client.query("SELECT key, value FROM sessions_only WHERE key = 'x'"));
      expect([error.message, error.detail, error.hint]).toEqual([
        `option "${option}" cannot be set in a user mapping of server "mc"`,
        'A user mapping of a pymcache_fdw server carries only credentials (username, password, tls_cert_file, tls_key_file).',
        'Options that decide what a user reaches (host, port, servers, prefix, distribution, ...) belong to the foreign ' +
          `table or the server, set by their owners: ALTER USER MAPPING ... OPTIONS (DROP ${option}).`,
      ]);
      // The owner, whose own mappings hold nothing of the kind, reads as before; the grantee does once it is dropped.
      expect((await owner.client.query("SELECT key, value FROM sessions_only WHERE key = 'x'")).rows).toEqual([
        { key: 'x', value: 'granted' },
      ]);
      await opened.client.query(`ALTER USER MAPPING FOR CURRENT_USER SERVER mc OPTIONS (DROP ${option})`);
      expect((await opened.client.query("SELECT key, value FROM sessions_only WHERE key = 'x'")).rows).toEqual([
        { key: 'x', value: 'granted' },
      ]);
      await owner.client.query(`DROP OWNED BY ${grantee} CASCADE`);
    });
  }

  it("PUBLIC's mapping counts as Multicorn merges it: only for a user without a mapping of its own", async () => {
    const { session: owner } = await openReliabilityDatabase('reliability_guards_public');
    sessions.push(owner);
    await owner.client.query(`CREATE FOREIGN TABLE public_checked (key text, value text)
      SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${uniquePrefix('rel')}')`);
    await owner.client.query("CREATE USER MAPPING FOR PUBLIC SERVER mc OPTIONS (prefix 'wide:')");
    const error = await sqlError(owner.client.query("SELECT key FROM public_checked WHERE key = 'x'"));
    expect(error.message).toBe('option "prefix" cannot be set in a user mapping of server "mc"');
    // A mapping of the user's own hides PUBLIC's from Multicorn, and from the check.
    await owner.client.query('CREATE USER MAPPING FOR CURRENT_USER SERVER mc');
    expect((await owner.client.query("SELECT key FROM public_checked WHERE key = 'x'")).rows).toEqual([]);
  });

  it('a user mapping made before the extension was installed is checked when it is installed', async () => {
    const { session: other } = await openReliabilityDatabase('reliability_guards_late');
    sessions.push(other);
    await other.client.query("CREATE USER MAPPING FOR CURRENT_USER SERVER mc OPTIONS (prefix 'wide:')");
    const error = await sqlError(other.client.query('CREATE EXTENSION pymcache_fdw'));
    expect(error.message).toBe('option "prefix" cannot be set in a user mapping of server "mc"');
  });
});

describe('rows routed into a cache table without BeginForeignInsert (multicorn2 crashes there)', () => {
  const flavor = installedMulticorn();

  it(
    flavor === 'host'
      ? 'COPY FROM into a cache table works on the host (it has BeginForeignInsert)'
      : 'COPY FROM into a cache table is refused on multicorn2',
    async () => {
      const cache = await createCacheTable(session, server);
      const client = await newSession();
      // The guard is in place once a cache table was used in the session (or from the start with session_preload_libraries).
      await client.client.query(`SELECT key FROM ${cache.table} WHERE key = 'none'`);
      const copy = client.client.query(`COPY ${cache.table} (key, value) FROM PROGRAM 'printf "c1\\tone\\n"'`);
      if (flavor === 'host') {
        await copy;
        expect(await held(cache, ['c1'])).toEqual(['one']);
      } else {
        const error = await sqlError(copy);
        expect([error.code, error.message]).toEqual([
          '0A000',
          `COPY FROM into cache table "${cache.table}" is not supported on this Multicorn`,
        ]);
        expect(await held(cache, ['c1'])).toEqual([null]);
      }
    },
  );

  it(
    flavor === 'host'
      ? 'an INSERT routed into a cache table partition works on the host'
      : 'an INSERT routed into a cache table partition is refused on multicorn2',
    async () => {
      const prefix = `${(await createCacheTable(session, server)).prefix}part:`;
      await session.client.query('CREATE TABLE routed (key text, value text) PARTITION BY LIST (key)');
      await session.client.query(`CREATE FOREIGN TABLE routed_a PARTITION OF routed FOR VALUES IN ('a')
      SERVER mc OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${prefix}')`);
      const client = await newSession();
      await client.client.query("SELECT key FROM routed_a WHERE key = 'none'");
      const insert = client.client.query("INSERT INTO routed VALUES ('a', 'routed')");
      if (flavor === 'host') {
        await insert;
        expect((await rawGet(server, `${prefix}a`))?.value.toString()).toBe('routed');
      } else {
        const error = await sqlError(insert);
        expect(error.message).toBe('INSERT routed into cache table "routed_a" is not supported on this Multicorn');
        expect(await rawGet(server, `${prefix}a`)).toBeNull();
      }
    },
  );
});
