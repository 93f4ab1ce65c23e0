// The bad-input matrix: keys, values, expirations and options a careless or hostile user may give, each with the exact
// ERROR and HINT, and memcached exactly as it was (a sentinel item untouched, nothing written under the table's
// prefix). What memcached accepts as binary-safe (a value holding CRLF or a protocol line) is stored byte for byte.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import { rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';
import { createCacheTable, held, openReliabilityDatabase, type CacheTable } from './support';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let session: HostSession;
let cache: CacheTable;

const KEY_HINT = 'memcached keys are 1 to 250 bytes of UTF-8 without spaces or control characters, prefix included.';
const OPTION_HINT =
  "Change the option with ALTER FOREIGN TABLE or ALTER SERVER ... OPTIONS (SET name 'value') or (DROP name).";
const SENTINEL = 'reliability-bad-input-sentinel';

beforeAll(async () => {
  ({ session } = await openReliabilityDatabase('reliability_bad_input'));
  cache = await createCacheTable(session, server);
  await rawSet(server, SENTINEL, 'untouched');
});

afterAll(async () => {
  await session?.close();
});

/** `statement` fails with exactly `message` and `hint`; memcached keeps the sentinel and gains nothing of `keys`. */
async function refused(statement: string, message: string, hint: string | null, keys: string[] = ['k']): Promise<void> {
  const error = await sqlError(session.client.query(statement));
  expect([error.message, error.hint ?? null]).toEqual([message, hint]);
  expect((await rawGet(server, SENTINEL))?.value.toString()).toBe('untouched');
  expect(await held(cache, keys)).toEqual(keys.map(() => null));
}

describe('keys', () => {
  const cases: Array<[string, string, string, string]> = [
    ['NULL', 'NULL', 'the key column "key" must not be NULL', 'Give every row a key.'],
    [
      'empty',
      "''",
      'invalid memcached key "": it is empty; a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters',
      KEY_HINT,
    ],
    [
      'a space',
      "'a b'",
      'invalid memcached key "$Pa b": it contains a space (character $N); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters',
      KEY_HINT,
    ],
    [
      'a protocol injection',
      "E'a\\r\\nflush_all'",
      'invalid memcached key "$Pa\\x0d\\x0aflush_all": it contains the control character \\x0d (character $N); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters',
      KEY_HINT,
    ],
  ];
  for (const [what, literal, message, hint] of cases) {
    it(`${what} is refused and nothing is sent`, async () => {
      const position = String([...cache.prefix].length + 2);
      await refused(
        `INSERT INTO ${cache.table} (key, value) VALUES (${literal}, 'v')`,
        message.replace('$P', cache.prefix).replace('$N', position),
        hint,
      );
    });
  }

  it('a key that is too long once the prefix is added is refused, naming its length in bytes', async () => {
    const length = [...cache.prefix].length + 240;
    const error = await sqlError(
      session.client.query(`INSERT INTO ${cache.table} (key, value) VALUES (repeat('k', 240), 'v')`),
    );
    expect([
      error.message.endsWith(
        `(${length} characters): it is ${length} bytes long in UTF-8; a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters`,
      ),
      error.hint,
    ]).toEqual([true, KEY_HINT]);
    expect((await rawGet(server, SENTINEL))?.value.toString()).toBe('untouched');
  });
});

describe('values', () => {
  it('NULL is refused (memcached has no NULL)', async () => {
    await refused(
      `INSERT INTO ${cache.table} (key, value) VALUES ('k', NULL)`,
      'the value of key "k" is NULL, which memcached cannot store',
      'Give a value, or DELETE the key to remove it.',
    );
  });

  it('one byte more than the server stores under the key is refused before sending; the exact room is stored', async () => {
    const room = 1048576 - 59 - Buffer.byteLength(`${cache.prefix}k`);
    await refused(
      `INSERT INTO ${cache.table} (key, value) VALUES ('k', repeat('x', ${room + 1}))`,
      `the value of key "k" is ${room + 1} bytes, more than memcached at ${server.host}:${server.port} stores for this key (${room} bytes)`,
      "The server's item_size_max is 1048576 bytes, including the key and 59 bytes of item overhead: store a smaller value, or start memcached with a larger -I.",
    );
    // 'j' has as many bytes as 'k': exactly the room is stored.
    await session.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('j', repeat('x', ${room}))`);
    expect((await rawGet(server, `${cache.prefix}j`))?.value.length).toBe(room);
  });

  it('values holding CRLF and protocol lines are stored byte for byte (binary-safe), and read back the same', async () => {
    const value = 'line\r\nEND\r\nVALUE x 0 1\r\nSTORED\r\n';
    await session.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('crlf', $1)`, [value]);
    expect(await held(cache, ['crlf'])).toEqual([value]);
    expect((await session.client.query(`SELECT value FROM ${cache.table} WHERE key = 'crlf'`)).rows).toEqual([
      { value },
    ]);
  });
});

describe('values another client stored that the column type cannot hold', () => {
  it('an integer value column: an ERROR naming the key and the byte count, never the stored bytes', async () => {
    await session.client.query(`CREATE FOREIGN TABLE counters (key text, value integer) SERVER mc
      OPTIONS (host '${server.host}', port '${server.port}', row_id 'key', prefix '${cache.prefix}')`);
    const secret = 'internal-db-password=hunter2';
    await rawSet(server, `${cache.prefix}text`, secret);
    await rawSet(server, `${cache.prefix}huge`, '99999999999');
    const notInteger = await sqlError(session.client.query("SELECT value FROM counters WHERE key = 'text'"));
    expect([notInteger.message, notInteger.hint, notInteger.detail]).toEqual([
      'the value of key "text" cannot be read as integer: memcached holds 28 bytes that are not an integer',
      'Declare the value column as text (or a wider integer type) to read it.',
      undefined,
    ]);
    const outOfRange = await sqlError(session.client.query("SELECT value FROM counters WHERE key = 'huge'"));
    expect(outOfRange.message).toBe(
      'the value of key "huge" cannot be read as integer: memcached holds 11 bytes of an integer out of its range',
    );
  });
});

describe('key conditions that are not plain lookups', () => {
  it('key = ANY(NULL::text[]) finds nothing, with no WARNING', async () => {
    await rawSet(server, `${cache.prefix}any`, 'v');
    session.takeNotices();
    expect((await session.client.query(`SELECT key FROM ${cache.table} WHERE key = ANY(NULL::text[])`)).rows).toEqual(
      [],
    );
    expect(session.takeNotices()).toEqual([]);
  });

  it("key = 'a' OR key = 'b' returns exactly those rows (a listing PostgreSQL filters), with no WARNING", async () => {
    await rawSet(server, `${cache.prefix}or-a`, 'A');
    await rawSet(server, `${cache.prefix}or-b`, 'B');
    await rawSet(server, `${cache.prefix}or-c`, 'C');
    session.takeNotices();
    expect(
      (
        await session.client.query(
          `SELECT key, value FROM ${cache.table} WHERE key = 'or-a' OR key = 'or-b' OR key = 'absent' ORDER BY key`,
        )
      ).rows,
    ).toEqual([
      { key: 'or-a', value: 'A' },
      { key: 'or-b', value: 'B' },
    ]);
    expect(session.takeNotices()).toEqual([]);
  });
});

describe('expire', () => {
  it('negative is refused', async () => {
    await refused(
      `INSERT INTO ${cache.table} (key, value, expire) VALUES ('k', 'v', -1)`,
      'expire of key "k" is -1, outside 0 to 2147483647',
      'expire is the number of seconds until the item expires; 0 means never. To remove an item, DELETE it.',
    );
  });

  it('past 2038-01-19 is refused rather than expiring at once', async () => {
    await refused(
      `INSERT INTO ${cache.table} (key, value, expire) VALUES ('k', 'v', 400000000)`,
      'expire of key "k" is 400000000 seconds, which ends after 2038-01-19 03:14:07 UTC, the latest expiration memcached can hold',
      'expire counts seconds from now: give at most the seconds left until then, or 0 for an item that never expires.',
    );
  });

  it('beyond 30 days is sent as an absolute time: the item lives as long as asked', async () => {
    await session.client.query(`INSERT INTO ${cache.table} (key, value, expire) VALUES ('long', 'v', 3456000)`);
    const ttl = (await rawGet(server, `${cache.prefix}long`))!.ttl;
    expect(ttl).toBeGreaterThan(3456000 - 5);
    // memcached keeps whole seconds since its start and updates its clock once a second: converting an absolute time
    // and reading the TTL back can each add up to a second.
    expect(ttl).toBeLessThanOrEqual(3456002);
  });
});

describe('options', () => {
  const cases: Array<[string, string, string]> = [
    [
      "colour 'red'",
      'unknown option "colour"; valid options are: batch_size, connect_timeout, distribution, expire, full_scan, host, insert_mode, item_size_max, on_server_error, password, port, prefix, retry_interval, row_id, servers, timeout, tls, tls_ca_file, tls_cert_file, tls_key_file, username, write_mode',
      OPTION_HINT,
    ],
    ["port '0'", 'invalid value "0" for option "port": expected an integer from 1 to 65535', OPTION_HINT],
    ["port 'abc'", 'invalid value "abc" for option "port": expected an integer from 1 to 65535', OPTION_HINT],
    [
      "host 'a b'",
      'invalid value "a b" for option "host": expected a host name or address, without spaces, control characters, brackets or commas',
      OPTION_HINT,
    ],
    [
      "host E'mc\\nflush_all'",
      'invalid value "mc\\x0aflush_all" for option "host": expected a host name or address, without spaces, control characters, brackets or commas',
      OPTION_HINT,
    ],
    [
      "timeout '0'",
      'invalid value "0" for option "timeout": expected a number of seconds above 0 and at most 3600',
      OPTION_HINT,
    ],
    ["expire '-1'", 'invalid value "-1" for option "expire": expected an integer from 0 to 2147483647', OPTION_HINT],
    [
      "expire '2147483647'",
      'invalid value "2147483647" for option "expire": 2147483647 seconds from now is after 2038-01-19 03:14:07 UTC, the latest expiration memcached can hold',
      'expire counts seconds from now: give at most the seconds left until then, or 0 for items that never expire.',
    ],
    ["insert_mode 'x'", 'invalid value "x" for option "insert_mode": expected one of set, add', OPTION_HINT],
    ["write_mode 'x'", 'invalid value "x" for option "write_mode": expected one of commit, immediate', OPTION_HINT],
    ["batch_size '0'", 'invalid value "0" for option "batch_size": expected an integer from 1 to 10000', OPTION_HINT],
    [
      "distribution 'x'",
      'invalid value "x" for option "distribution": expected one of ketama, modula, modula_python, rendezvous',
      OPTION_HINT,
    ],
    ["prefix 'a b'", 'invalid value "a b" for option "prefix": it contains a space (character 2)', OPTION_HINT],
    ["on_server_error 'x'", 'invalid value "x" for option "on_server_error": expected one of error, miss', OPTION_HINT],
  ];
  let counter = 0;
  for (const [option, message, hint] of cases) {
    it(`${option} is refused when the table is first used, naming the option`, async () => {
      counter += 1;
      const where =
        option.startsWith('host') || option.startsWith('port') ? '' : `host '${server.host}', port '${server.port}', `;
      await session.client.query(`CREATE FOREIGN TABLE bad_option_${counter} (key text, value text)
        SERVER mc OPTIONS (row_id 'key', ${where}${option})`);
      await refused(`INSERT INTO bad_option_${counter} (key, value) VALUES ('k', 'v')`, message, hint, []);
    });
  }
});
