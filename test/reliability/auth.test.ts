// memcached's ASCII authentication (memcached -Y authfile, the file written here) in SQL: credentials come from a
// USER MAPPING (the extension refuses them anywhere else), a new connection logs in, a wrong password is an ERROR with
// a HINT, a server without -Y never receives them; and the passwords of every case, failing ones included, appear in
// no message, no EXPLAIN output, no WARNING and nowhere in the PostgreSQL server log.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { explainLines, openSession, sqlError, type HostSession, type Notice, type SqlError } from '../host/helpers';
import type { PostgresConnection } from '../rig/postgres';
import { startMemcached, type MemcachedHandle } from '../rig/memcached';
import { rawGet } from '../rig/raw-memcached';
import { openReliabilityDatabase } from './support';

const unique = `${process.pid}${Date.now() % 100000}`;
const RIGHT = `s3cret-${unique}`;
const WRONG = `wr0ng-${unique}`;
const SPACED = `sp4ced-${unique} half-${unique}`;
const PASSWORDS = [RIGHT, WRONG, SPACED, ...SPACED.split(' ')];

let session: HostSession;
let connection: PostgresConnection;
let authDir: string;
let guarded: MemcachedHandle;
const open = inject('memcachedServers')[0]!;
/** Every error and notice the tests received, searched for the passwords at the end. */
const seen: Array<SqlError | Notice | string> = [];

beforeAll(async () => {
  authDir = mkdtempSync(join(tmpdir(), 'pymcache-auth-'));
  chmodSync(authDir, 0o755);
  const authFile = join(authDir, 'users');
  // memcached reads it after dropping root, as the memcache user.
  writeFileSync(authFile, `app:${RIGHT}\nother:another-${unique}\n`, { mode: 0o644 });
  guarded = await startMemcached(['-Y', authFile]);
  ({ session, connection } = await openReliabilityDatabase('reliability_auth'));
  await session.client.query('CREATE EXTENSION pymcache_fdw');
  await session.client.query(
    `CREATE SERVER mc_auth FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`,
  );
  await session.client.query(`CREATE FOREIGN TABLE guarded (key text, value text) SERVER mc_auth
    OPTIONS (host '${guarded.address.host}', port '${guarded.address.port}', row_id 'key')`);
  await session.client.query(`CREATE FOREIGN TABLE unguarded (key text, value text) SERVER mc_auth
    OPTIONS (host '${open.host}', port '${open.port}', row_id 'key', prefix 'auth-${unique}:')`);
});

afterAll(async () => {
  await session?.close();
  await guarded?.stop();
  rmSync(authDir, { recursive: true, force: true });
});

afterEach(async () => {
  await session.client.query('ROLLBACK');
  seen.push(...session.takeNotices());
});

async function failing(text: string): Promise<SqlError> {
  const error = await sqlError(session.client.query(text));
  seen.push(error);
  return error;
}

async function mapping(password: string): Promise<void> {
  await session.client.query('DROP USER MAPPING IF EXISTS FOR CURRENT_USER SERVER mc_auth');
  await session.client.query(
    `CREATE USER MAPPING FOR CURRENT_USER SERVER mc_auth OPTIONS (username 'app', password '${password}')`,
  );
}

const label = (): string => `${guarded.address.host}:${guarded.address.port}`;

describe('ASCII authentication (memcached -Y)', () => {
  it('without credentials: memcached answers unauthenticated, and the HINT says to create a user mapping', async () => {
    const error = await failing("SELECT value FROM guarded WHERE key = 'k'");
    expect([error.message, error.hint]).toEqual([
      `memcached at ${label()} rejected the get of key "k": unauthenticated`,
      'memcached requires a login (memcached -Y): give a username and password in a user mapping, CREATE USER MAPPING FOR ' +
        "CURRENT_USER SERVER ... OPTIONS (username '...', password '...').",
    ]);
  });

  it('a wrong password is an ERROR naming the server and the user, with a HINT', async () => {
    await mapping(WRONG);
    const error = await failing("SELECT value FROM guarded WHERE key = 'k'");
    expect([error.message, error.hint, error.detail]).toEqual([
      `memcached at ${label()} refused the login of user "app" (get of key "k"): authentication failure`,
      "The username and password of the user mapping must match a username:password line of the file memcached's -Y option " +
        "names: ALTER USER MAPPING FOR ... SERVER ... OPTIONS (SET password '...').",
      undefined,
    ]);
    // The same at COMMIT: the write is not sent, nothing stays.
    await session.client.query('BEGIN');
    await session.client
      .query("INSERT INTO guarded (key, value) VALUES ('k', 'v')")
      .catch((caught: SqlError) => seen.push(caught));
    await session.client.query('ROLLBACK');
  });

  it('the right password logs in: writes at COMMIT, reads, on every new connection', async () => {
    await mapping(RIGHT);
    await session.client.query('BEGIN');
    await session.client.query("INSERT INTO guarded (key, value) VALUES ('k', 'behind a login'), ('j', 'too')");
    await session.client.query('COMMIT');
    expect((await session.client.query("SELECT key, value FROM guarded WHERE key IN ('j', 'k')")).rows).toEqual([
      { key: 'j', value: 'too' },
      { key: 'k', value: 'behind a login' },
    ]);
    // A new session (a new backend, a new connection) logs in again.
    const other = await openSession(connection);
    try {
      expect((await other.client.query("SELECT value FROM guarded WHERE key = 'k'")).rows).toEqual([
        { value: 'behind a login' },
      ]);
    } finally {
      await other.close();
    }
  });

  it('a server without -Y never receives the credentials: nothing is stored under the login key', async () => {
    await mapping(RIGHT);
    await session.client.query("INSERT INTO unguarded (key, value) VALUES ('plain', 'no login needed')");
    expect((await session.client.query("SELECT value FROM unguarded WHERE key = 'plain'")).rows).toEqual([
      { value: 'no login needed' },
    ]);
    expect(await rawGet(open, 'pymcache_fdw_login')).toBeNull();
  });

  it('a password memcached could never match (it splits the login at spaces) is an ERROR that does not show it', async () => {
    await mapping(SPACED);
    const error = await failing("SELECT value FROM guarded WHERE key = 'k'");
    expect([error.message, error.hint]).toEqual([
      'invalid value for option "password": expected a password without spaces or control characters (the value is not shown)',
      'memcached 1.6 splits the login it receives at spaces, so a password with a space can never match. ' +
        "Set them in the user mapping: ALTER USER MAPPING FOR ... SERVER ... OPTIONS (SET username '...', SET password '...').",
    ]);
  });

  it('EXPLAIN names the server, not the credentials', async () => {
    await mapping(WRONG);
    const lines = await explainLines(session.client, "SELECT value FROM guarded WHERE key = 'k'");
    seen.push(...lines);
    expect(lines).toContain(`  Multicorn: memcached ${label()}`);
  });

  it('no password appears in any message received, nor in the server log', async () => {
    const received = JSON.stringify(seen);
    expect(received).toContain('refused the login of user');
    for (const password of PASSWORDS) expect(received).not.toContain(password);
    const dataDirectory = (await session.client.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!
      .data_directory;
    // The rig's cluster logs to postgresql.log beside its data directory (test/rig/postgres.ts).
    const log = readFileSync(join(dirname(dataDirectory), 'postgresql.log'), 'utf8');
    expect(log).toContain('refused the login of user "app"');
    for (const password of PASSWORDS) expect(log).not.toContain(password);
  });
});
