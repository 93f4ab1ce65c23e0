// PymcacheFDW in Node against the real memcached fleet: what each statement sends to memcached (checked with an
// independent raw-protocol client), what it returns, and every ERROR and WARNING it reports.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  closeAllConnections as closeAllClients,
  openConnectionCount as openClientCount,
} from '../../src/memcache/connection';
import { NO_KEY_ROWS_ESTIMATE, PymcacheFDW } from '../../src/fdw';
import { setPlannedKeyRowsForTests, setRunningQueryForTests } from '../../src/ports/backend';
import { Qual, takeLoggedMessages, WARNING, type ColumnDefinition, type Row } from '../../src/ports/host';
import { startMemcached, startMemcachedOnPort, uniquePrefix } from '../rig/memcached';
import { collect, columns, failure } from './fdw-support';
import { rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const servers = inject('memcachedServers');
const server: MemcachedAddress = servers[0]!;

const TEXT_TABLE = (): Map<string, ColumnDefinition> =>
  columns(['key', 'text'], ['value', 'text'], ['expire', 'integer']);

function tableOptions(extra: Record<string, string> = {}, address: MemcachedAddress = server): Record<string, string> {
  return { host: address.host, port: String(address.port), row_id: 'key', ...extra };
}

/** A table on the shared server whose keys live under a prefix unique to the test. */
function freshTable(
  extra: Record<string, string> = {},
  definition: Map<string, ColumnDefinition> = TEXT_TABLE(),
): { fdw: PymcacheFDW; prefix: string } {
  const prefix = uniquePrefix('fdw');
  const fdw = new PymcacheFDW(tableOptions({ prefix, ...extra }), definition);
  return { fdw, prefix };
}

const ALL_COLUMNS = new Set(['key', 'value', 'expire']);

async function select(fdw: PymcacheFDW, quals: Qual[], wanted: Set<string> = ALL_COLUMNS): Promise<Row[]> {
  return collect(fdw.execute(quals, wanted));
}

beforeEach(() => {
  takeLoggedMessages();
});

afterAll(async () => {
  await closeAllClients();
});

describe('SELECT by key', () => {
  it('returns the hit of key = x with its value, and expire as the seconds left (0: never expires)', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}meaning_of_life`, '42');
    await rawSet(server, `${prefix}soon`, 'gone soon', 0, 50);
    expect(await select(fdw, [new Qual('key', '=', 'meaning_of_life')])).toEqual([
      { key: 'meaning_of_life', value: '42', expire: '0' },
    ]);
    const [soon] = await select(fdw, [new Qual('key', '=', 'soon')]);
    expect(['49', '50']).toContain(soon!['expire']);
    // Without the expire column asked for, the read is a plain gets and expire is not known.
    expect(await select(fdw, [new Qual('key', '=', 'soon')], new Set(['key', 'value']))).toEqual([
      { key: 'soon', value: 'gone soon', expire: null },
    ]);
  });

  it('returns only hits of key IN (...), in the order of the list, each key once', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}c`, 'C');
    const rows = await select(fdw, [new Qual('key', ['=', true], ['c', 'b', 'a', 'c', null])]);
    expect(rows).toEqual([
      { key: 'c', value: 'C', expire: '0' },
      { key: 'a', value: 'A', expire: '0' },
    ]);
  });

  it('combines several key conditions as AND', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}b`, 'B');
    const rows = await select(fdw, [new Qual('key', ['=', true], ['a', 'b']), new Qual('key', '=', 'b')]);
    expect(rows).toEqual([{ key: 'b', value: 'B', expire: '0' }]);
  });

  it('decodes strictly only the columns asked for: a value nobody asked for is NULL when unreadable, never an ERROR', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}binary`, Buffer.from([0xff, 0xfe]));
    await rawSet(server, `${prefix}text`, 'readable');
    // multicorn2 leaves whole-row references out of the columns it asks for (it names the key of the condition), so
    // rows carry every readable column, the remaining TTL included (0: never expires) when the query only reads.
    setRunningQueryForTests(false, true);
    try {
      expect(await select(fdw, [new Qual('key', ['=', true], ['binary', 'text'])], new Set(['key']))).toEqual([
        { key: 'binary', value: null, expire: '0' },
        { key: 'text', value: 'readable', expire: '0' },
      ]);
    } finally {
      setRunningQueryForTests(true, true);
    }
    // A statement that may modify (a DELETE names only the key) reads no facts: plain gets.
    expect(await select(fdw, [new Qual('key', ['=', true], ['binary', 'text'])], new Set(['key']))).toEqual([
      { key: 'binary', value: null, expire: null },
      { key: 'text', value: 'readable', expire: null },
    ]);
    expect(
      (await failure(() => select(fdw, [new Qual('key', '=', 'binary')], new Set(['key', 'value'])))).message,
    ).toBe('the value of key "binary" is not valid UTF-8 and cannot be read as text');
  });

  it('fetches a 1,200-key list in chunks and finds every key', async () => {
    const { fdw, prefix } = freshTable();
    const keys = Array.from({ length: 1200 }, (_, i) => `k${i}`);
    for (const key of keys.filter((_, i) => i % 100 === 7)) await rawSet(server, `${prefix}${key}`, key.toUpperCase());
    const rows = await select(fdw, [new Qual('key', ['=', true], keys)], new Set(['key', 'value']));
    expect(rows.map((row) => [row['key'], row['value']])).toEqual(
      keys.filter((_, i) => i % 100 === 7).map((key) => [key, key.toUpperCase()]),
    );
  });

  it("without a key condition lists the table's prefix group; with full_scan 'off' it warns and returns no rows", async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}b`, 'B');
    // The other quals are PostgreSQL's to apply: the scan returns every key starting with 'a'.
    expect(await select(fdw, [new Qual('value', '=', 'A'), new Qual('key', '~~', 'a%')])).toEqual([
      { key: 'a', value: 'A', expire: '0' },
    ]);
    expect(takeLoggedMessages()).toEqual([]);
    const off = new PymcacheFDW(tableOptions({ prefix, full_scan: 'off' }), TEXT_TABLE());
    expect(await select(off, [new Qual('value', '=', 'A')])).toEqual([]);
    const messages = takeLoggedMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.level).toBe(WARNING);
    expect(messages[0]!.message).toBe(
      'no condition on the key column "key": full_scan is \'off\' for this table, no rows returned',
    );
    expect(messages[0]!.hint).toBe(
      "Select keys with key = 'k', key IN ('k1', 'k2'), = ANY(array), or a join on key, or set the table option full_scan 'on'.",
    );
  });

  it('key = NULL and key = ALL(...) find nothing and fetch nothing', async () => {
    const { fdw } = freshTable();
    expect(await select(fdw, [new Qual('key', '=', null)])).toEqual([]);
    expect(takeLoggedMessages()).toEqual([]);
    // `= ALL` is no lookup: the scan lists the (empty) prefix group.
    expect(await select(fdw, [new Qual('key', ['=', false], ['a'])])).toEqual([]);
    expect(takeLoggedMessages()).toEqual([]);
  });
});

describe('planner interface', () => {
  it("estimates the number of keys asked for, and without a key condition the servers' item count", async () => {
    const own = await startMemcached();
    try {
      for (const key of ['a', 'b', 'c']) await rawSet(own.address, key, 'x');
      const fdw = new PymcacheFDW(tableOptions({}, own.address), TEXT_TABLE());
      const wanted = new Set(['key', 'value']);
      expect(await fdw.getRelSize([new Qual('key', '=', 'a')], wanted)).toEqual([1, 64]);
      expect(await fdw.getRelSize([new Qual('key', ['=', true], ['a', 'b', 'a'])], wanted)).toEqual([2, 64]);
      expect(await fdw.getRelSize([], wanted)).toEqual([3, 64]);
      const off = new PymcacheFDW(tableOptions({ full_scan: 'off' }, own.address), TEXT_TABLE());
      expect(await off.getRelSize([], wanted)).toEqual([NO_KEY_ROWS_ESTIMATE, 64]);
      // A generic plan of `key = $1` (the guard says so; Multicorn passes no qual): one row, not the item count.
      setPlannedKeyRowsForTests('key');
      try {
        expect(await fdw.getRelSize([], wanted)).toEqual([1, 64]);
        expect(await off.getRelSize([], wanted)).toEqual([1, 64]);
        setPlannedKeyRowsForTests('key', 10);
        expect(await fdw.getRelSize([], wanted)).toEqual([10, 64]);
        setPlannedKeyRowsForTests('value');
        expect(await fdw.getRelSize([], wanted)).toEqual([3, 64]);
      } finally {
        setPlannedKeyRowsForTests(null);
      }
    } finally {
      await closeAllClients();
      await own.stop();
    }
    // A server that does not answer: the scan will report it; the planner gets the cautious estimate.
    const gone = new PymcacheFDW(tableOptions({ connect_timeout: '0.5' }, own.address), TEXT_TABLE());
    expect(await gone.getRelSize([], new Set(['key']))).toEqual([NO_KEY_ROWS_ESTIMATE, 32]);
  });

  it('declares the key column as a one-row lookup path, and the key as the row id', () => {
    const { fdw } = freshTable();
    expect(fdw.getPathKeys()).toEqual([[['key'], 1]]);
    expect(fdw.rowidColumn).toBe('key');
  });

  it('explains the server, the prefix and the lookup or the listing', () => {
    const { fdw, prefix } = freshTable();
    expect(fdw.explain([new Qual('key', ['=', true], ['a', 'b'])], ALL_COLUMNS)).toEqual([
      `memcached ${server.host}:${server.port}`,
      `key prefix "${prefix}"`,
      'mg (meta get, with TTL and item facts) of 2 key(s) in one round trip',
    ]);
    expect(fdw.explain([new Qual('key', ['=', true], ['a', 'b'])], new Set(['key', 'value']))[2]).toBe(
      'gets 2 key(s) in one round trip',
    );
    expect(
      fdw.explain([new Qual('key', '~~', 'ab%'), new Qual('key', '<', 'abc')], ALL_COLUMNS, null, false, 10, null),
    ).toEqual([
      `memcached ${server.host}:${server.port}`,
      `key prefix "${prefix}"`,
      'list the items of the server (lru_crawler metadump)',
      'keep key starting with "ab", key < "abc" (bytewise)',
      'stop after 10 rows (LIMIT applied during the listing)',
      'values fetched with gets, 100 keys per round trip',
    ]);
  });
});

describe('INSERT', () => {
  it('stores text as UTF-8 bytes with flags 0 and the table expire (0 = never)', async () => {
    const { fdw, prefix } = freshTable();
    expect(await fdw.insert({ key: 'meaning_of_life', value: 'forty-two ✓', expire: null })).toBeNull();
    const stored = await rawGet(server, `${prefix}meaning_of_life`);
    expect(stored).toEqual({ value: Buffer.from('forty-two ✓', 'utf8'), flags: 0, ttl: -1 });
  });

  it("uses the row's expire over the table's", async () => {
    const { fdw, prefix } = freshTable({ expire: '60' });
    await fdw.insert({ key: 'default', value: 'x', expire: null });
    await fdw.insert({ key: 'own', value: 'y', expire: 10 });
    const byDefault = await rawGet(server, `${prefix}default`);
    const own = await rawGet(server, `${prefix}own`);
    expect(byDefault!.ttl).toBeGreaterThan(50);
    expect(byDefault!.ttl).toBeLessThanOrEqual(60);
    expect(own!.ttl).toBeGreaterThan(0);
    expect(own!.ttl).toBeLessThanOrEqual(10);
  });

  it('reads expire from a text column (the original README declares expire TEXT)', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'text'], ['expire', 'text']));
    await fdw.insert({ key: 'born_to_die', value: 'Lana Del Rey', expire: '10' });
    const stored = await rawGet(server, `${prefix}born_to_die`);
    expect(stored!.value.toString()).toBe('Lana Del Rey');
    expect(stored!.ttl).toBeGreaterThan(0);
    expect(stored!.ttl).toBeLessThanOrEqual(10);
    const notANumber = await failure(() => fdw.insert({ key: 'x', value: 'v', expire: 'soon' }));
    expect(notANumber.message).toBe('column "expire" of key "x" does not hold an integer');
  });

  it('sends an expire beyond 30 days as an absolute time, so the item lives that long instead of expiring at once', async () => {
    const { fdw, prefix } = freshTable();
    const fortyDays = 40 * 86400;
    await fdw.insert({ key: 'long', value: 'v', expire: fortyDays });
    const stored = await rawGet(server, `${prefix}long`);
    // memcached's clock ticks once a second and converts absolute times against it: allow a couple of seconds.
    expect(stored!.ttl).toBeGreaterThan(fortyDays - 60);
    expect(stored!.ttl).toBeLessThanOrEqual(fortyDays + 2);
  });

  it('refuses a negative expire, naming the key, and writes nothing', async () => {
    const { fdw, prefix } = freshTable();
    const error = await failure(() => fdw.insert({ key: 'k', value: 'v', expire: -1 }));
    expect(error.message).toBe('expire of key "k" is -1, outside 0 to 2147483647');
    expect(error.hint).toBe(
      'expire is the number of seconds until the item expires; 0 means never. To remove an item, DELETE it.',
    );
    expect(await rawGet(server, `${prefix}k`)).toBeNull();
  });

  it('overwrites an existing key in insert_mode set', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}k`, 'old');
    await fdw.insert({ key: 'k', value: 'new', expire: null });
    expect((await rawGet(server, `${prefix}k`))!.value.toString()).toBe('new');
  });

  it('reports an existing key in insert_mode add as a duplicate, leaving the stored value', async () => {
    const { fdw, prefix } = freshTable({ insert_mode: 'add' });
    await fdw.insert({ key: 'fresh', value: 'v1', expire: null });
    expect((await rawGet(server, `${prefix}fresh`))!.value.toString()).toBe('v1');
    const error = await failure(() => fdw.insert({ key: 'fresh', value: 'v2', expire: null }));
    expect(error.message).toBe(
      `duplicate key value: key "fresh" already exists in memcached at ${server.host}:${server.port}`,
    );
    expect(error.detail).toBe('Key (key)=(fresh) already exists.');
    expect(error.hint).toBe(
      "memcached's add only creates keys (an INSERT under insert_mode 'add', or memcache_add()): UPDATE an existing key " +
        "(or memcache_set()), or set insert_mode 'set' to let INSERT overwrite.",
    );
    expect((await rawGet(server, `${prefix}fresh`))!.value.toString()).toBe('v1');
  });

  it('refuses an invalid key before writing anything, naming it', async () => {
    const { fdw, prefix } = freshTable();
    const error = await failure(() => fdw.insert({ key: 'has space', value: 'v', expire: null }));
    expect(error.message).toBe(
      `invalid memcached key "${prefix}has space": it contains a space (character ${prefix.length + 4}); a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters`,
    );
    expect(error.hint).toBe(
      'memcached keys are 1 to 250 bytes of UTF-8 without spaces or control characters, prefix included.',
    );
    const tooLong = await failure(() => fdw.insert({ key: 'x'.repeat(251 - prefix.length), value: 'v', expire: null }));
    expect(tooLong.message).toContain('it is 251 bytes long in UTF-8');
  });

  it('refuses NULL keys and NULL values', async () => {
    const { fdw } = freshTable();
    expect((await failure(() => fdw.insert({ key: null, value: 'v', expire: null }))).message).toBe(
      'the key column "key" must not be NULL',
    );
    const nullValue = await failure(() => fdw.insert({ key: 'k', value: null, expire: null }));
    expect(nullValue.message).toBe('the value of key "k" is NULL, which memcached cannot store');
    expect(nullValue.hint).toBe('Give a value, or DELETE the key to remove it.');
  });
});

describe('UPDATE and DELETE', () => {
  it('sets a new value with the new expire', async () => {
    const { fdw, prefix } = freshTable();
    await fdw.insert({ key: 'born_to_die', value: 'Lana Del Rey', expire: 10 });
    const rows = await select(fdw, [new Qual('key', '=', 'born_to_die')]);
    expect(rows).toHaveLength(1);
    await fdw.update('born_to_die', { key: 'born_to_die', value: 'Grand Funk Railroad', expire: 300 });
    const stored = await rawGet(server, `${prefix}born_to_die`);
    expect(stored!.value.toString()).toBe('Grand Funk Railroad');
    expect(stored!.ttl).toBeGreaterThan(290);
  });

  it('turns an UPDATE of expire alone into a touch: value and flags stay, the TTL changes', async () => {
    const own = await startMemcached();
    try {
      const fdw = new PymcacheFDW(tableOptions({}, own.address), TEXT_TABLE());
      await rawSet(own.address, 'k', 'unchanged', 7, 0);
      await select(fdw, [new Qual('key', '=', 'k')]);
      const before = await rawStats(own.address);
      await fdw.update('k', { key: 'k', value: 'unchanged', expire: 500 });
      const after = await rawStats(own.address);
      expect(Number(after.get('cmd_touch')) - Number(before.get('cmd_touch'))).toBe(1);
      expect(Number(after.get('cmd_set')) - Number(before.get('cmd_set'))).toBe(0);
      const stored = await rawGet(own.address, 'k');
      expect(stored!.value.toString()).toBe('unchanged');
      expect(stored!.flags).toBe(7);
      expect(stored!.ttl).toBeGreaterThan(490);
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });

  it("keeps an item's flags when the value changes and the table has no flags column", async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}k`, 'old', 16);
    await select(fdw, [new Qual('key', '=', 'k')]);
    await fdw.update('k', { key: 'k', value: 'new', expire: null });
    expect(await rawGet(server, `${prefix}k`)).toEqual({ value: Buffer.from('new'), flags: 16, ttl: -1 });
  });

  it('moves the item when the key changes: the new key is stored, the old one deleted', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}old`, 'v');
    await select(fdw, [new Qual('key', '=', 'old')]);
    await fdw.update('old', { key: 'new', value: 'v', expire: null });
    expect(await rawGet(server, `${prefix}old`)).toBeNull();
    expect((await rawGet(server, `${prefix}new`))!.value.toString()).toBe('v');
  });

  it('in insert_mode add, moving onto an existing key is a duplicate and leaves both keys', async () => {
    const { fdw, prefix } = freshTable({ insert_mode: 'add' });
    await rawSet(server, `${prefix}a`, 'A');
    await rawSet(server, `${prefix}b`, 'B');
    await select(fdw, [new Qual('key', '=', 'a')]);
    const error = await failure(() => fdw.update('a', { key: 'b', value: 'A', expire: null }));
    expect(error.message).toContain('duplicate key value: key "b" already exists');
    expect((await rawGet(server, `${prefix}a`))!.value.toString()).toBe('A');
    expect((await rawGet(server, `${prefix}b`))!.value.toString()).toBe('B');
  });

  it('deletes the key the scan found', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}meaning_of_life`, '42');
    const rows = await select(fdw, [new Qual('key', '=', 'meaning_of_life')], new Set(['key']));
    for (const row of rows) await fdw.delete(row['key']!);
    expect(await rawGet(server, `${prefix}meaning_of_life`)).toBeNull();
  });
});

describe('prefix groups', () => {
  it('adds the prefix on write, requires and strips it on read; other groups and bare keys stay invisible', async () => {
    const groupA = freshTable();
    const groupB = freshTable();
    await groupA.fdw.insert({ key: 'user:1', value: 'alice', expire: null });
    await groupB.fdw.insert({ key: 'user:1', value: 'bob', expire: null });
    await rawSet(server, 'user:1', 'bare');
    expect((await rawGet(server, `${groupA.prefix}user:1`))!.value.toString()).toBe('alice');
    expect(await select(groupA.fdw, [new Qual('key', '=', 'user:1')])).toEqual([
      { key: 'user:1', value: 'alice', expire: '0' },
    ]);
    expect(await select(groupB.fdw, [new Qual('key', '=', 'user:1')])).toEqual([
      { key: 'user:1', value: 'bob', expire: '0' },
    ]);
    expect(await select(groupA.fdw, [])).toEqual([{ key: 'user:1', value: 'alice', expire: '0' }]);
  });

  it('counts the prefix toward the 250-byte key limit', async () => {
    const { fdw, prefix } = freshTable();
    const error = await failure(() => select(fdw, [new Qual('key', '=', 'k'.repeat(250))]));
    expect(error.message).toContain(`is ${250 + prefix.length} bytes long in UTF-8`);
  });
});

describe('value types', () => {
  it('round-trips bytea values byte for byte, including bytes that are not UTF-8', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'bytea']));
    const bytes = new Uint8Array([0, 1, 0xff, 0x80, 13, 10]);
    await fdw.insert({ key: 'blob', value: bytes });
    expect((await rawGet(server, `${prefix}blob`))!.value).toEqual(Buffer.from(bytes));
    const rows = await select(fdw, [new Qual('key', '=', 'blob')], new Set(['key', 'value']));
    expect(rows).toEqual([{ key: 'blob', value: bytes }]);
  });

  it('refuses a bytea value that does not arrive as bytes, naming the key, and stores nothing', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'bytea']));
    const error = await failure(() => fdw.insert({ key: 'blob', value: '\\x0001' }));
    expect(error.message).toBe('the value of key "blob" did not arrive as bytes, although the value column is bytea');
    expect(error.hint).toBe(
      "Declare the value column as bytea and store bytea values (decode(..., 'hex') or '\\x...'::bytea).",
    );
    expect(await rawGet(server, `${prefix}blob`)).toBeNull();
  });

  it('refuses to read invalid UTF-8 into text, naming the key and pointing to bytea', async () => {
    const { fdw, prefix } = freshTable();
    await rawSet(server, `${prefix}latin1`, Buffer.from('caf\xe9', 'latin1'));
    const error = await failure(() => select(fdw, [new Qual('key', '=', 'latin1')]));
    expect(error.message).toBe('the value of key "latin1" is not valid UTF-8 and cannot be read as text');
    expect(error.hint).toBe('Declare the value column as bytea to read values that are not UTF-8 text.');
    expect(error.detail).toBe('invalid UTF-8 at byte offset 3: unexpected end of data');
  });

  it('stores json as its text and reads it back; a value that is not JSON is an ERROR naming the key', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'jsonb']));
    await fdw.insert({ key: 'doc', value: '{"a": [1, 2.5e3, true, null, "x\\u00e9"]}' });
    expect((await rawGet(server, `${prefix}doc`))!.value.toString()).toBe('{"a": [1, 2.5e3, true, null, "x\\u00e9"]}');
    expect(await select(fdw, [new Qual('key', '=', 'doc')], new Set(['key', 'value']))).toEqual([
      { key: 'doc', value: '{"a": [1, 2.5e3, true, null, "x\\u00e9"]}' },
    ]);
    await rawSet(server, `${prefix}broken`, '{"a": 01}');
    const error = await failure(() => select(fdw, [new Qual('key', '=', 'broken')], new Set(['key', 'value'])));
    expect(error.message).toBe('the value of key "broken" is not valid JSON');
  });

  it('a jsonb column refuses \\u0000 and unpaired surrogate escapes naming the key; a json column reads them as they are', async () => {
    const jsonb = freshTable({}, columns(['key', 'text'], ['value', 'jsonb']));
    const json = freshTable({ prefix: jsonb.prefix }, columns(['key', 'text'], ['value', 'json']));
    await rawSet(server, `${jsonb.prefix}nul`, '["\\u0000"]');
    await rawSet(server, `${jsonb.prefix}lone`, '{"k": "\\ud800x"}');
    await rawSet(server, `${jsonb.prefix}pair`, '"\\ud83d\\ude00"');
    for (const key of ['nul', 'lone']) {
      const error = await failure(() => select(jsonb.fdw, [new Qual('key', '=', key)], new Set(['key', 'value'])));
      expect(error.message).toBe(
        `the value of key "${key}" holds a \\u0000 or unpaired surrogate escape, which jsonb cannot store`,
      );
      expect(error.hint).toBe('Declare the value column as json (or text) to read it as it is.');
    }
    expect(await select(jsonb.fdw, [new Qual('key', '=', 'pair')], new Set(['key', 'value']))).toEqual([
      { key: 'pair', value: '"\\ud83d\\ude00"' },
    ]);
    expect(await select(json.fdw, [new Qual('key', '=', 'lone')], new Set(['key', 'value']))).toEqual([
      { key: 'lone', value: '{"k": "\\ud800x"}' },
    ]);
  });

  it('stores integers as decimal text, reads them back (trailing spaces from decr allowed) and checks the range', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'smallint']));
    await fdw.insert({ key: 'n', value: '-42' });
    expect((await rawGet(server, `${prefix}n`))!.value.toString()).toBe('-42');
    await rawSet(server, `${prefix}padded`, '99  ');
    await rawSet(server, `${prefix}big`, '40000');
    const rows = await select(fdw, [new Qual('key', ['=', true], ['n', 'padded'])], new Set(['key', 'value']));
    expect(rows).toEqual([
      { key: 'n', value: '-42' },
      { key: 'padded', value: '99' },
    ]);
    const error = await failure(() => select(fdw, [new Qual('key', '=', 'big')], new Set(['key', 'value'])));
    expect(error.message).toBe(
      'the value of key "big" cannot be read as smallint: memcached holds 5 bytes of an integer out of its range',
    );
  });

  it('handles bigint beyond 2^53 exactly, as text', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'bigint']));
    await fdw.insert({ key: 'max', value: '9223372036854775807' });
    expect((await rawGet(server, `${prefix}max`))!.value.toString()).toBe('9223372036854775807');
    expect(await select(fdw, [new Qual('key', '=', 'max')], new Set(['value']))).toEqual([
      { key: 'max', value: '9223372036854775807' },
    ]);
  });

  it('writes and reads client flags through a flags column', async () => {
    const { fdw, prefix } = freshTable({}, columns(['key', 'text'], ['value', 'text'], ['flags', 'bigint']));
    await fdw.insert({ key: 'f', value: 'v', flags: '4294967295' });
    expect((await rawGet(server, `${prefix}f`))!.flags).toBe(4294967295);
    expect(await select(fdw, [new Qual('key', '=', 'f')], new Set(['key', 'flags']))).toEqual([
      { key: 'f', value: 'v', flags: '4294967295' },
    ]);
    const error = await failure(() => fdw.insert({ key: 'g', value: 'v', flags: '4294967296' }));
    expect(error.message).toBe('flags of key "g" is 4294967296, outside 0 to 4294967295');
  });
});

describe('server failures', () => {
  it('names host:port and the options to check when memcached is unreachable', async () => {
    const unreachable = await startMemcached();
    const address = unreachable.address;
    await unreachable.stop();
    const fdw = new PymcacheFDW(tableOptions({ connect_timeout: '0.5' }, address), TEXT_TABLE());
    const error = await failure(() => select(fdw, [new Qual('key', '=', 'k')]));
    expect(
      error.message.startsWith(`cannot reach memcached at ${address.host}:${address.port} (get of key "k"): `),
    ).toBe(true);
    expect(error.hint).toBe(
      'Check that memcached runs there and accepts connections, or point the host and port options at it; connect_timeout and timeout set how long to wait.',
    );
  });

  it('a memcached requiring ASCII authentication (-Y): without credentials the ERROR says so, a wrong password is refused, the right one logs in', async () => {
    const probe = await startMemcached();
    const port = probe.address.port;
    await probe.stop();
    // memcached reads the file as the memcache user, after dropping root.
    const authDirectory = mkdtempSync(join(tmpdir(), 'pymcache-auth-'));
    chmodSync(authDirectory, 0o755);
    const authFile = join(authDirectory, 'auth');
    writeFileSync(authFile, 'user:secret\n', { mode: 0o644 });
    const restricted = await startMemcachedOnPort(port, ['-Y', authFile]);
    try {
      const fdw = new PymcacheFDW(tableOptions({}, { host: '127.0.0.1', port }), TEXT_TABLE());
      const error = await failure(() => select(fdw, [new Qual('key', '=', 'k')]));
      expect(error.message).toBe(`memcached at 127.0.0.1:${port} rejected the get of key "k": unauthenticated`);
      expect(error.hint).toBe(
        'memcached requires a login (memcached -Y): give a username and password in a user mapping, CREATE USER MAPPING FOR ' +
          "CURRENT_USER SERVER ... OPTIONS (username '...', password '...').",
      );
      const wrong = new PymcacheFDW(
        tableOptions({ username: 'user', password: 'wrong' }, { host: '127.0.0.1', port }),
        TEXT_TABLE(),
      );
      const refused = await failure(() => select(wrong, [new Qual('key', '=', 'k')]));
      expect([refused.message, refused.hint]).toEqual([
        `memcached at 127.0.0.1:${port} refused the login of user "user" (get of key "k"): authentication failure`,
        "The username and password of the user mapping must match a username:password line of the file memcached's -Y " +
          "option names: ALTER USER MAPPING FOR ... SERVER ... OPTIONS (SET password '...').",
      ]);
      expect(JSON.stringify(refused)).not.toContain('wrong');
      const right = new PymcacheFDW(
        tableOptions({ username: 'user', password: 'secret' }, { host: '127.0.0.1', port }),
        TEXT_TABLE(),
      );
      await right.insert({ key: 'k', value: 'logged in', expire: null });
      expect(await select(right, [new Qual('key', '=', 'k')])).toEqual([{ key: 'k', value: 'logged in', expire: '0' }]);
    } finally {
      await closeAllClients();
      await restricted.stop();
      rmSync(authDirectory, { recursive: true, force: true });
    }
  });

  it('reports a value over the item size limit as an ERROR naming the key', async () => {
    const { fdw } = freshTable();
    const error = await failure(() => fdw.insert({ key: 'huge', value: 'x'.repeat(2 * 1024 * 1024), expire: null }));
    expect(error.message).toBe(
      `memcached at ${server.host}:${server.port} failed the set of key "huge": object too large for cache`,
    );
    expect(error.hint).toBe("The value is larger than the server's item size limit (memcached -I, 1 MB by default).");
  });

  it('shares one client per server between tables and uses it again after a failure', async () => {
    await closeAllClients();
    const first = freshTable();
    const second = freshTable();
    await first.fdw.insert({ key: 'a', value: '1', expire: null });
    await second.fdw.insert({ key: 'b', value: '2', expire: null });
    expect(openClientCount()).toBe(1);
    await failure(() => first.fdw.insert({ key: 'huge', value: 'x'.repeat(2 * 1024 * 1024), expire: null }));
    expect(await select(second.fdw, [new Qual('key', '=', 'b')])).toEqual([{ key: 'b', value: '2', expire: '0' }]);
  });
});

describe('reconnecting', () => {
  it('fails while the server is down and works again, on the same client, once it is back', async () => {
    // Borrow a free port from a rig instance, then run our own memcached there so that it can be restarted.
    const probe = await startMemcached();
    const port = probe.address.port;
    await probe.stop();
    let restartable = await startMemcachedOnPort(port);
    try {
      await closeAllClients();
      const fdw = new PymcacheFDW(tableOptions({ connect_timeout: '0.5' }, { host: '127.0.0.1', port }), TEXT_TABLE());
      await fdw.insert({ key: 'k', value: 'before', expire: null });
      await restartable.stop();
      const down = await failure(() => select(fdw, [new Qual('key', '=', 'k')]));
      expect(
        down.message.startsWith(`cannot reach memcached at 127.0.0.1:${port}`) ||
          down.message.startsWith(`memcached at 127.0.0.1:${port} closed the connection`),
      ).toBe(true);
      restartable = await startMemcachedOnPort(port);
      await fdw.insert({ key: 'k', value: 'after', expire: null });
      expect(await select(fdw, [new Qual('key', '=', 'k')])).toEqual([{ key: 'k', value: 'after', expire: '0' }]);
      expect(openClientCount()).toBe(1);
    } finally {
      await closeAllClients();
      await restartable.stop();
    }
  });
});

describe('options', () => {
  const definition = TEXT_TABLE;

  it('announces the default host and port once per backend (module state: vitest gives each file its own)', () => {
    new PymcacheFDW({ row_id: 'key' }, definition());
    expect(takeLoggedMessages().map((message) => [message.level, message.message])).toEqual([
      [WARNING, 'Using default host: localhost'],
      [WARNING, 'Using default port: 11211'],
    ]);
    new PymcacheFDW({ row_id: 'key' }, definition());
    expect(takeLoggedMessages()).toEqual([]);
  });

  it('announces the first column as the default row_id', () => {
    new PymcacheFDW({ host: server.host, port: String(server.port) }, definition());
    expect(takeLoggedMessages().map((message) => [message.level, message.message])).toEqual([
      [WARNING, 'Using default row_id: key'],
    ]);
  });

  const invalid: Array<[string, Record<string, string>, string]> = [
    [
      'an unknown option',
      { colour: 'red' },
      'unknown option "colour"; valid options are: batch_size, connect_timeout, distribution, expire, full_scan, host, insert_mode, item_size_max, on_server_error, password, port, prefix, retry_interval, row_id, servers, timeout, tls, tls_ca_file, tls_cert_file, tls_key_file, username, write_mode',
    ],
    [
      'a port that is not a number',
      { port: 'eleven' },
      'invalid value "eleven" for option "port": expected an integer from 1 to 65535',
    ],
    [
      'a port out of range',
      { port: '70000' },
      'invalid value "70000" for option "port": expected an integer from 1 to 65535',
    ],
    [
      'a negative expire',
      { expire: '-5' },
      'invalid value "-5" for option "expire": expected an integer from 0 to 2147483647',
    ],
    [
      'an unknown insert_mode',
      { insert_mode: 'upsert' },
      'invalid value "upsert" for option "insert_mode": expected one of set, add',
    ],
    [
      'a zero timeout',
      { timeout: '0' },
      'invalid value "0" for option "timeout": expected a number of seconds above 0 and at most 3600',
    ],
    [
      'a connect_timeout that is not a number',
      { connect_timeout: 'soon' },
      'invalid value "soon" for option "connect_timeout": expected a non-negative number of seconds written in decimal, such as 0.5 or 2',
    ],
    [
      'an empty host',
      { host: '' },
      'invalid value "" for option "host": expected a host name or address, without spaces, control characters, brackets or commas',
    ],
    [
      'a prefix with a space',
      { prefix: 'my app:' },
      'invalid value "my app:" for option "prefix": it contains a space (character 3)',
    ],
    [
      'a row_id that is not a column',
      { row_id: 'id' },
      'option "row_id" names column "id", which the table does not have',
    ],
  ];
  for (const [what, options, message] of invalid) {
    it(`refuses ${what}`, async () => {
      const error = await failure(() => new PymcacheFDW({ ...tableOptions(), ...options }, definition()));
      expect(error.message).toBe(message);
    });
  }

  it('refuses a column that is not a part of an item, and a value type it cannot store', async () => {
    const extra = await failure(
      () => new PymcacheFDW(tableOptions(), columns(['key', 'text'], ['value', 'text'], ['ttl', 'bigint'])),
    );
    expect(extra.message).toBe('column "ttl" is not a part of a memcached item');
    expect(extra.hint).toBe(
      'A cache table has the key column (key), value, and optionally expire, flags, cas, last_access, size and fetched; drop or rename "ttl".',
    );
    const wrongType = await failure(
      () => new PymcacheFDW(tableOptions(), columns(['key', 'text'], ['value', 'timestamp without time zone'])),
    );
    expect(wrongType.message).toBe(
      'column "value" has type timestamp without time zone, which cannot hold the memcached value',
    );
    expect(wrongType.hint).toBe(
      'Declare it as text, character varying, bytea, json, jsonb, smallint, integer or bigint.',
    );
    const noValue = await failure(
      () => new PymcacheFDW(tableOptions(), columns(['key', 'text'], ['expire', 'integer'])),
    );
    expect(noValue.message).toBe('the foreign table has no column named value');
  });
});
