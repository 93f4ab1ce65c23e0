// TLS between the backend and memcached, in SQL, against Debian's memcached 1.6.18 started with -Z and certificates
// the rig makes with openssl at test time: a round trip (reads, writes at COMMIT, a COMMIT of many small values, which
// memcached 1.6.18 would leave half-read without the connection's wake-up), the server's certificate refused (not
// trusted, another host name, expired) with an ERROR naming the server and the reason, tls 'insecure' accepting it, a
// plain client to a TLS port and a TLS client to a plain one failing at once, client certificates (memcached
// ssl_ca_cert + ssl_verify_mode 2) required, given in a user mapping, and refused; the options checked.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import type { MemcachedAddress, MemcachedHandle } from '../rig/memcached';
import { makeTlsFiles, startTlsMemcached, startTlsMemcachedWithPlainPort, type TlsFiles } from '../rig/tls';
import { rawGet } from '../rig/raw-memcached';
import { openReliabilityDatabase } from './support';

let session: HostSession;
let files: TlsFiles;
let good: MemcachedHandle & { plain: MemcachedAddress };
let verifying: MemcachedHandle & { plain: MemcachedAddress };
let untrusted: MemcachedHandle;
let wrongHost: MemcachedHandle;
let expired: MemcachedHandle;

beforeAll(async () => {
  files = makeTlsFiles();
  [good, verifying, untrusted, wrongHost, expired] = await Promise.all([
    startTlsMemcachedWithPlainPort(files.server),
    startTlsMemcachedWithPlainPort(files.server, files.ca),
    startTlsMemcached(files.untrusted),
    startTlsMemcached(files.wrongHost),
    startTlsMemcached(files.expired),
  ]);
  ({ session } = await openReliabilityDatabase('reliability_tls'));
  await session.client.query('CREATE EXTENSION pymcache_fdw');
});

afterAll(async () => {
  await session?.close();
  await Promise.all([good, verifying, untrusted, wrongHost, expired].map((server) => server?.stop()));
  files?.remove();
});

afterEach(async () => {
  await session.client.query('ROLLBACK');
  session.takeNotices();
});

async function sql(text: string): Promise<Array<Record<string, unknown>>> {
  return (await session.client.query(text)).rows as Array<Record<string, unknown>>;
}

let tables = 0;

/** A cache table (key, value) on `address` with `options` appended; returns its name. */
async function table(address: MemcachedAddress, options: string, server = 'mc'): Promise<string> {
  tables += 1;
  const name = `tls_cache_${tables}`;
  await sql(`CREATE FOREIGN TABLE ${name} (key text, value text) SERVER ${server}
    OPTIONS (host '${address.host}', port '${address.port}', row_id 'key', prefix '${name}:', ${options})`);
  return name;
}

const label = (server: { address: MemcachedAddress }): string => `${server.address.host}:${server.address.port}`;
const VERIFY_HINT =
  "tls 'on' verifies the server's certificate against tls_ca_file (the system's certificate authorities without it) and " +
  "the host name the table connects to: give the CA that signed it in tls_ca_file, or set tls 'insecure' to encrypt " +
  'without verifying.';
const CLIENT_CERTIFICATE_HINT =
  'Give a client certificate the server trusts (memcached -o ssl_ca_cert names the CAs it accepts) in tls_cert_file and ' +
  'tls_key_file, on the table, the server or the user mapping.';

describe('TLS with a certificate the CA signed', () => {
  it('a listing (scan without a key condition) and meta gets run over TLS too', async () => {
    const name = await table(good.address, `tls 'on', tls_ca_file '${files.ca}'`);
    await sql('BEGIN');
    await sql(`INSERT INTO ${name} (key, value) SELECT 'l' || g, 'v' || g FROM generate_series(1, 250) g`);
    await sql('COMMIT');
    expect(await sql(`SELECT count(key)::int AS n, count(DISTINCT value)::int AS d FROM ${name}`)).toEqual([
      { n: 250, d: 250 },
    ]);
    await sql(`ALTER FOREIGN TABLE ${name} ADD COLUMN expire integer`);
    expect(await sql(`SELECT key, expire FROM ${name} WHERE key = 'l7'`)).toEqual([{ key: 'l7', expire: 0 }]);
  });

  it("round trip: writes sent at COMMIT (300 values of 1000 bytes pipelined) and read back, over tls 'on'", async () => {
    const name = await table(good.address, `tls 'on', tls_ca_file '${files.ca}'`);
    await sql('BEGIN');
    await sql(
      `INSERT INTO ${name} (key, value) SELECT 'k' || g, repeat(chr(97 + g % 26), 1000) FROM generate_series(1, 300) g`,
    );
    await sql(`INSERT INTO ${name} (key, value) VALUES ('greeting', 'over TLS')`);
    await sql('COMMIT');
    expect(await sql(`SELECT key, value FROM ${name} WHERE key IN ('greeting', 'k1', 'missing')`)).toEqual([
      { key: 'greeting', value: 'over TLS' },
      { key: 'k1', value: 'b'.repeat(1000) },
    ]);
    expect(
      await sql(
        `SELECT count(*)::int AS n FROM ${name} WHERE key = ANY(ARRAY(SELECT 'k' || g FROM generate_series(1, 300) g))`,
      ),
    ).toEqual([{ n: 300 }]);
    // What memcached holds, through its plain listener.
    expect((await rawGet(good.plain, `${name}:k300`))?.value.toString()).toBe('o'.repeat(1000));
    expect((await rawGet(good.plain, `${name}:greeting`))?.value.toString()).toBe('over TLS');
    await sql(`UPDATE ${name} SET value = 'changed' WHERE key = 'greeting'`);
    await sql(`DELETE FROM ${name} WHERE key = 'k1'`);
    expect(await sql(`SELECT key, value FROM ${name} WHERE key IN ('greeting', 'k1')`)).toEqual([
      { key: 'greeting', value: 'changed' },
    ]);
  });

  it("the server's certificate is refused when not trusted, for another host name or expired: an ERROR naming the server and why", async () => {
    const cases: Array<[MemcachedHandle, string]> = [
      [untrusted, "the server's certificate is not signed by a trusted certificate authority"],
      [wrongHost, `the server's certificate is not valid for the host name "127.0.0.1"`],
      [expired, "the server's certificate has expired"],
      // Without tls_ca_file: the system's authorities, which do not know the test CA.
      [good, "the server's certificate is not signed by a trusted certificate authority"],
    ];
    const errors: unknown[] = [];
    for (const [server, reason] of cases) {
      const options = server === good ? "tls 'on'" : `tls 'on', tls_ca_file '${files.ca}'`;
      const name = await table(server.address, options);
      const error = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
      errors.push([error.message, error.hint]);
      expect([error.message, error.hint]).toEqual([
        `TLS with memcached at ${label(server)} failed (get of key "k"): certificate verify failed: ${reason}`,
        VERIFY_HINT,
      ]);
    }
    expect(errors).toHaveLength(4);
  });

  it("tls 'insecure' encrypts without verifying: a self-signed certificate and one for another host name are accepted", async () => {
    for (const server of [untrusted, wrongHost]) {
      const name = await table(server.address, "tls 'insecure'");
      await sql(`INSERT INTO ${name} (key, value) VALUES ('k', 'unverified')`);
      expect(await sql(`SELECT value FROM ${name} WHERE key = 'k'`)).toEqual([{ value: 'unverified' }]);
    }
  });
});

describe('a client and a server that disagree about TLS', () => {
  it('a plain client to a TLS port fails at once (not after the 30 s timeout) with an ERROR that mentions TLS', async () => {
    const name = await table(good.address, "timeout '30'");
    const started = Date.now();
    const error = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
    // A functional bound, far below the 30 s timeout a hang would take.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect([error.message, error.hint]).toEqual([
      `lost the connection to memcached at ${label(good)} during get of key "k": connection reset by the server during receive`,
      'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout ' +
        "and timeout set how long to wait. A memcached that requires TLS (memcached -Z) resets plain connections: set tls 'on' if it does.",
    ]);
  });

  it('a TLS client to a plain port fails at once: the server does not speak TLS there', async () => {
    const name = await table(good.plain, `tls 'on', tls_ca_file '${files.ca}', timeout '30'`);
    const error = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
    expect([error.message, error.hint]).toEqual([
      `TLS with memcached at ${good.plain.host}:${good.plain.port} failed (get of key "k"): the server does not speak TLS on this port`,
      "The server does not use TLS on this port: set tls 'off', or start memcached with -Z.",
    ]);
  });
});

describe('client certificates (memcached -o ssl_ca_cert=...,ssl_verify_mode=2)', () => {
  it('required: none is refused; the one of a user mapping is accepted; one of another CA is refused', async () => {
    await sql(`CREATE SERVER mc_client FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'pymcache_fdw.PymcacheFDW')`);
    const name = await table(verifying.address, `tls 'on', tls_ca_file '${files.ca}'`, 'mc_client');
    const none = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
    expect([none.message, none.hint]).toEqual([
      `TLS with memcached at ${label(verifying)} failed (get of key "k"): the server requires a client certificate`,
      CLIENT_CERTIFICATE_HINT,
    ]);
    await sql(`CREATE USER MAPPING FOR CURRENT_USER SERVER mc_client
      OPTIONS (tls_cert_file '${files.client.cert}', tls_key_file '${files.client.key}')`);
    await sql(`INSERT INTO ${name} (key, value) VALUES ('k', 'with a client certificate')`);
    expect(await sql(`SELECT value FROM ${name} WHERE key = 'k'`)).toEqual([{ value: 'with a client certificate' }]);
    expect((await rawGet(verifying.plain, `${name}:k`))?.value.toString()).toBe('with a client certificate');
    await sql(`ALTER USER MAPPING FOR CURRENT_USER SERVER mc_client
      OPTIONS (SET tls_cert_file '${files.strangerClient.cert}', SET tls_key_file '${files.strangerClient.key}')`);
    const stranger = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
    expect([stranger.message, stranger.hint]).toEqual([
      `TLS with memcached at ${label(verifying)} failed (get of key "k"): the server does not trust the client certificate (unknown certificate authority)`,
      CLIENT_CERTIFICATE_HINT,
    ]);
  });

  it('a file the backend cannot use is an ERROR naming it, before anything is sent', async () => {
    const missing = `${files.dir}/missing.pem`;
    const cases: Array<[string, string]> = [
      [`tls 'on', tls_ca_file '${missing}'`, `cannot read the CA file ${missing}: no such file`],
      [`tls 'on', tls_ca_file '${files.garbage}'`, `no certificate in the CA file ${files.garbage}`],
      [
        `tls 'on', tls_ca_file '${files.ca}', tls_cert_file '${files.client.cert}', tls_key_file '${files.server.key}'`,
        'the client certificate and key do not match',
      ],
    ];
    for (const [options, reason] of cases) {
      const name = await table(good.address, options);
      const error = await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`));
      expect([error.message, error.hint]).toEqual([
        `TLS with memcached at ${label(good)} failed (get of key "k"): ${reason}`,
        'tls_ca_file, tls_cert_file and tls_key_file name PEM files the PostgreSQL server process (its operating-system user) ' +
          'reads: give absolute paths of files it can read.',
      ]);
    }
  });
});

describe('TLS options', () => {
  it('are checked when the table is first used: unknown modes, a CA file without verification, half a client certificate, relative paths', async () => {
    const cases: Array<[string, string]> = [
      ["tls 'maybe'", 'invalid value "maybe" for option "tls": expected one of off, on, insecure'],
      [`tls_ca_file '${files.ca}'`, 'option "tls_ca_file" needs tls \'on\': TLS is off'],
      [
        `tls 'insecure', tls_ca_file '${files.ca}'`,
        "option \"tls_ca_file\" needs tls 'on': tls 'insecure' does not verify the server's certificate",
      ],
      [
        `tls 'on', tls_cert_file '${files.client.cert}'`,
        'options "tls_cert_file" and "tls_key_file" go together: tls_cert_file is set without tls_key_file',
      ],
      [
        `tls_cert_file '${files.client.cert}', tls_key_file '${files.client.key}'`,
        'options "tls_cert_file" and "tls_key_file" need TLS: TLS is off',
      ],
      [
        "tls 'on', tls_ca_file 'ca.pem'",
        'invalid value "ca.pem" for option "tls_ca_file": expected the absolute path of a PEM file',
      ],
    ];
    const messages: string[] = [];
    for (const [options] of cases) {
      const name = await table(good.address, options);
      messages.push((await sqlError(session.client.query(`SELECT value FROM ${name} WHERE key = 'k'`))).message);
    }
    expect(messages).toEqual(cases.map(([, message]) => message));
  });
});
