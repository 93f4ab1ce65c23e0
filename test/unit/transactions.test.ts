// The write set and the transaction hooks of PymcacheFDW in Node, against real memcached: how writes compose per key,
// how savepoint levels drop and fold them, what COMMIT sends, and the ERROR a failed flush reports. The hooks are
// called in the order Multicorn calls them (begin, sub_begin, ..., pre_commit, commit / rollback).
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { CacheStore, type WriteOp } from '../../src/cache-store';
import type { StoredItem } from '../../src/cache-store';
import { closeAllConnections as closeAllClients, plainConnection } from '../../src/memcache/connection';
import { PymcacheFDW } from '../../src/fdw';
import { setGuardStatusForTests, setUserMappingViolationForTests } from '../../src/ports/backend';
import { Qual, takeLoggedMessages, WARNING } from '../../src/ports/host';
import { forgetAll, transactionWrites } from '../../src/transaction';
import { composeWrites, WriteSet } from '../../src/write-set';
import { startMemcached, uniquePrefix } from '../rig/memcached';
import { collect, columns, failure } from './fdw-support';
import { rawCommand, rawGet, rawSet, rawStats, type MemcachedAddress } from '../rig/raw-memcached';

const servers = inject('memcachedServers');
const server: MemcachedAddress = servers[0]!;

const item = (text: string, flags = 0): StoredItem => ({
  value: new Uint8Array(Buffer.from(text)),
  flags,
  cas: null,
  facts: null,
});
const set = (key: string, text: string, expire = 0): WriteOp => ({ kind: 'set', key, item: item(text), expire });
const add = (key: string, text: string, expire = 0): WriteOp => ({ kind: 'add', key, item: item(text), expire });
const del = (key: string): WriteOp => ({ kind: 'delete', key });
const touch = (key: string, expire: number): WriteOp => ({ kind: 'touch', key, expire });

/** An op as [kind, value text or null, expire or null (a delete has none)], for exact comparisons. */
function shape(op: WriteOp | null): [string, string | null, number | null] | null {
  if (op === null) return null;
  if (op.kind === 'delete') return [op.kind, null, null];
  if (op.kind === 'touch') return [op.kind, null, op.expire];
  return [op.kind, Buffer.from(op.item.value).toString(), op.expire];
}

function table(
  extra: Record<string, string> = {},
  address: MemcachedAddress = server,
): { fdw: PymcacheFDW; prefix: string } {
  const prefix = uniquePrefix('tx');
  const fdw = new PymcacheFDW(
    { host: address.host, port: String(address.port), row_id: 'key', prefix, ...extra },
    columns(['key', 'text'], ['value', 'text'], ['expire', 'integer']),
  );
  return { fdw, prefix };
}

async function value(address: MemcachedAddress, key: string): Promise<string | null> {
  const found = await rawGet(address, key);
  return found === null ? null : found.value.toString();
}

beforeEach(() => {
  takeLoggedMessages();
  transactionWrites.clear();
  forgetAll();
});

afterAll(async () => {
  await closeAllClients();
});

describe('composeWrites: one final operation per key', () => {
  const cases: Array<[string, WriteOp | null, WriteOp, [string, string | null, number | null]]> = [
    ['nothing pending: the write itself', null, set('k', 'a', 5), ['set', 'a', 5]],
    ['set after set: the later one', set('k', 'a'), set('k', 'b', 7), ['set', 'b', 7]],
    [
      'set after add: still an add (the key must be absent at COMMIT)',
      add('k', 'a'),
      set('k', 'b', 7),
      ['add', 'b', 7],
    ],
    ['add after delete: a set (the transaction removed the key)', del('k'), add('k', 'a', 3), ['set', 'a', 3]],
    ['delete after set: a delete', set('k', 'a'), del('k'), ['delete', null, null]],
    ['touch after set: the set with the new expiration', set('k', 'a', 5), touch('k', 60), ['set', 'a', 60]],
    ['touch after add: the add with the new expiration', add('k', 'a', 5), touch('k', 60), ['add', 'a', 60]],
    ['touch after delete: still a delete', del('k'), touch('k', 60), ['delete', null, null]],
    ['touch after touch: the later expiration', touch('k', 5), touch('k', 60), ['touch', null, 60]],
  ];
  for (const [name, earlier, later, expected] of cases) {
    it(name, () => {
      expect(shape(composeWrites(earlier, later))).toEqual(expected);
    });
  }
});

describe('WriteSet levels', () => {
  const store = new CacheStore(
    {
      host: server.host,
      port: server.port,
      connectTimeout: 2,
      timeout: 5,
      listed: false,
      security: plainConnection(),
      itemSizeMax: null,
    },
    '',
  );

  it('ROLLBACK TO drops the level and deeper, and repeating it changes nothing', () => {
    const writes = new WriteSet();
    writes.record(1, store, set('a', '1'));
    writes.record(2, store, set('a', '2'));
    writes.record(3, store, set('b', '3'));
    writes.rollbackTo(3);
    writes.rollbackTo(3);
    expect(shape(writes.effective(store, 'a')!.op)).toEqual(['set', '2', 0]);
    expect(writes.effective(store, 'b')).toBeNull();
    writes.rollbackTo(2);
    expect(shape(writes.effective(store, 'a')!.op)).toEqual(['set', '1', 0]);
  });

  it('RELEASE folds the level into the one below (idempotent), so a later ROLLBACK TO that level drops it', () => {
    const writes = new WriteSet();
    writes.record(1, store, set('a', '1'));
    writes.record(2, store, set('b', '2'));
    writes.record(3, store, del('a'));
    writes.release(3);
    writes.release(3);
    expect(writes.effective(store, 'a')!.op.kind).toBe('delete');
    writes.rollbackTo(2);
    expect(shape(writes.effective(store, 'a')!.op)).toEqual(['set', '1', 0]);
    expect(writes.effective(store, 'b')).toBeNull();
  });

  it('takeAll returns each key once, in the order keys were first written, and empties the set', () => {
    const writes = new WriteSet();
    writes.record(1, store, set('x', '1'));
    writes.record(1, store, set('y', '1'));
    writes.record(2, store, set('x', '2'));
    writes.record(2, store, set('z', '2'));
    expect(writes.takeAll().map((pending) => shape(pending.op))).toEqual([
      ['set', '2', 0],
      ['set', '1', 0],
      ['set', '2', 0],
    ]);
    expect(writes.isEmpty()).toBe(true);
  });

  it('the same key on two servers is two entries', () => {
    const other = new CacheStore(
      {
        host: servers[1]!.host,
        port: servers[1]!.port,
        connectTimeout: 2,
        timeout: 5,
        listed: false,
        security: plainConnection(),
        itemSizeMax: null,
      },
      '',
    );
    const writes = new WriteSet();
    writes.record(1, store, set('k', 'first server'));
    writes.record(1, other, del('k'));
    expect(writes.keyCount()).toBe(2);
    expect(writes.effective(store, 'k')!.op.kind).toBe('set');
  });
});

describe('PymcacheFDW hooks', () => {
  it("writes wait for pre_commit; the first table to hear it sends every table's writes", async () => {
    const first = table();
    const second = table();
    first.fdw.begin(0);
    second.fdw.begin(0);
    await first.fdw.insert({ key: 'a', value: 'A', expire: null });
    await second.fdw.insert({ key: 'b', value: 'B', expire: null });
    first.fdw.endModify();
    expect([await value(server, `${first.prefix}a`), await value(server, `${second.prefix}b`)]).toEqual([null, null]);
    await second.fdw.preCommit();
    expect([await value(server, `${first.prefix}a`), await value(server, `${second.prefix}b`)]).toEqual(['A', 'B']);
    await first.fdw.preCommit();
    await first.fdw.commit();
    await second.fdw.commit();
    expect(transactionWrites.isEmpty()).toBe(true);
  });

  it('rollback drops the writes; sub_rollback drops only its level; sub_commit keeps it', async () => {
    const { fdw, prefix } = table();
    await rawSet(server, `${prefix}kept`, 'untouched');
    fdw.begin(0);
    await fdw.insert({ key: 'one', value: '1', expire: null });
    await fdw.endModify();
    fdw.subBegin(2);
    await fdw.insert({ key: 'two', value: '2', expire: null });
    await fdw.endModify();
    await fdw.subRollback(2);
    fdw.subBegin(2);
    await fdw.insert({ key: 'three', value: '3', expire: null });
    await fdw.endModify();
    fdw.subCommit(2);
    expect(
      await collect(fdw.execute([new Qual('key', ['=', true], ['one', 'two', 'three'])], new Set(['key', 'value']))),
    ).toEqual([
      { key: 'one', value: '1', expire: '0' },
      { key: 'three', value: '3', expire: '0' },
    ]);
    await fdw.preCommit();
    await fdw.commit();
    expect([
      await value(server, `${prefix}one`),
      await value(server, `${prefix}two`),
      await value(server, `${prefix}three`),
    ]).toEqual(['1', null, '3']);

    fdw.begin(0);
    await fdw.insert({ key: 'kept', value: 'overwritten', expire: null });
    await fdw.endModify();
    await fdw.rollback();
    expect(await value(server, `${prefix}kept`)).toBe('untouched');
  });

  it('write_mode immediate: end_modify sends the statement; a rollback before it leaves memcached untouched', async () => {
    const { fdw, prefix } = table({ write_mode: 'immediate' });
    fdw.begin(0);
    await fdw.insert({ key: 'sent', value: 's', expire: null });
    await fdw.endModify();
    expect(await value(server, `${prefix}sent`)).toBe('s');
    await fdw.insert({ key: 'a', value: '1', expire: null });
    await failure(() => fdw.insert({ key: 'b', value: null, expire: null }));
    await fdw.rollback();
    expect([await value(server, `${prefix}sent`), await value(server, `${prefix}a`)]).toEqual(['s', null]);
  });

  it('a value of exactly the room item_size_max leaves is stored by memcached; one byte more is refused before sending', async () => {
    const own = await startMemcached(['-I', '1m']);
    try {
      const fdw = new PymcacheFDW(
        { host: own.address.host, port: String(own.address.port), row_id: 'key' },
        columns(['key', 'text'], ['value', 'bytea'], ['flags', 'bigint']),
      );
      // memcached 1.6 spends 59 bytes per item besides key and value, 4 more when the flags are not 0.
      const withFlags = 'f'.repeat(250);
      const plain = 'p'.repeat(250);
      const roomWithFlags = 1048576 - 63 - 250;
      const roomPlain = 1048576 - 59 - 250;
      fdw.begin(0);
      await fdw.insert({ key: withFlags, value: new Uint8Array(roomWithFlags), flags: '4294967295' });
      await fdw.insert({ key: plain, value: new Uint8Array(roomPlain), flags: null });
      const tooLarge = await failure(() =>
        fdw.insert({ key: withFlags, value: new Uint8Array(roomWithFlags + 1), flags: '1' }),
      );
      expect(tooLarge.message).toBe(
        `the value of key "${'f'.repeat(60)}…" (250 characters) is ${roomWithFlags + 1} bytes, more than memcached at ${own.address.host}:${own.address.port} stores for this key (${roomWithFlags} bytes)`,
      );
      const plainTooLarge = await failure(() =>
        fdw.insert({ key: plain, value: new Uint8Array(roomPlain + 1), flags: null }),
      );
      expect(plainTooLarge.hint).toBe(
        "The server's item_size_max is 1048576 bytes, including the key and 59 bytes of item overhead: store a smaller value, or start memcached with a larger -I.",
      );
      await fdw.endModify();
      await fdw.preCommit();
      await fdw.commit();
      const stored = await rawGet(own.address, withFlags);
      expect([stored!.value.length, stored!.flags]).toEqual([roomWithFlags, 4294967295]);
      expect((await rawGet(own.address, plain))!.value.length).toBe(roomPlain);
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });

  it('under memcached -C (no CAS values) the 8 bytes of CAS are room for the value', async () => {
    const own = await startMemcached(['-I', '1m', '-C']);
    try {
      const fdw = new PymcacheFDW(
        { host: own.address.host, port: String(own.address.port), row_id: 'key' },
        columns(['key', 'text'], ['value', 'bytea']),
      );
      const room = 1048576 - 51 - 1;
      fdw.begin(0);
      await fdw.insert({ key: 'k', value: new Uint8Array(room) });
      expect((await failure(() => fdw.insert({ key: 'j', value: new Uint8Array(room + 1) }))).message).toBe(
        `the value of key "j" is ${room + 1} bytes, more than memcached at ${own.address.host}:${own.address.port} stores for this key (${room} bytes)`,
      );
      await fdw.endModify();
      await fdw.preCommit();
      await fdw.commit();
      expect((await rawGet(own.address, 'k'))!.value.length).toBe(room);
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });
});

describe('the transaction guard', () => {
  it('in a backend without the guard library, a write is an ERROR saying how to install it; reads go on', async () => {
    const { fdw, prefix } = table();
    await rawSet(server, `${prefix}r`, 'readable');
    setGuardStatusForTests('guard-missing');
    try {
      fdw.begin(0);
      expect(await collect(fdw.execute([new Qual('key', '=', 'r')], new Set(['key', 'value'])))).toEqual([
        { key: 'r', value: 'readable', expire: null },
      ]);
      const error = await failure(() => fdw.insert({ key: 'w', value: 'x', expire: null }));
      expect([error.message, error.hint]).toEqual([
        "cannot write to a cache table: pymcache_fdw's transaction guard (pymcache_fdw.so in PostgreSQL's library directory) is not installed",
        'Install the pymcache_fdw extension (make -C extension install, see the README): without it PREPARE TRANSACTION ' +
          'and INSERT ... ON CONFLICT could lose or overwrite writes.',
      ]);
      await fdw.rollback();
      expect(await value(server, `${prefix}w`)).toBeNull();
    } finally {
      setGuardStatusForTests('outside-backend');
    }
  });
});

describe('user mappings and the guard library, checked when a table is built', () => {
  it('without the guard library nothing can be checked: building a cache table is an ERROR saying how to install it', async () => {
    setGuardStatusForTests('guard-missing');
    try {
      const error = await failure(() => table());
      expect([error.message, error.hint]).toEqual([
        "cannot use a cache table: pymcache_fdw's guard library (pymcache_fdw.so in PostgreSQL's library directory) is not installed",
        'Install the pymcache_fdw extension (make -C extension install, see the README): without pymcache_fdw.so the ' +
          'user mappings cannot be checked, and PREPARE TRANSACTION and INSERT ... ON CONFLICT could lose or overwrite writes.',
      ]);
    } finally {
      setGuardStatusForTests('outside-backend');
    }
  });

  it('a user mapping option other than a credential is an ERROR naming the server and the option', async () => {
    setUserMappingViolationForTests(['mc', 'prefix']);
    try {
      const error = await failure(() => table());
      expect([error.message, error.detail, error.hint]).toEqual([
        'option "prefix" cannot be set in a user mapping of server "mc"',
        'A user mapping of a pymcache_fdw server carries only credentials (username, password, tls_cert_file, tls_key_file).',
        'Options that decide what a user reaches (host, port, servers, prefix, distribution, ...) belong to the foreign ' +
          'table or the server, set by their owners: ALTER USER MAPPING ... OPTIONS (DROP prefix).',
      ]);
      // A credential in the mapping is what a mapping is for.
      setUserMappingViolationForTests(['mc', 'password']);
      expect(table().fdw).toBeInstanceOf(PymcacheFDW);
    } finally {
      setUserMappingViolationForTests(null);
    }
  });

  it('a check that could not read the catalog is an ERROR, never a pass', async () => {
    setUserMappingViolationForTests(['', '']);
    try {
      expect((await failure(() => table())).message).toBe('could not check the user mappings of pymcache_fdw servers');
    } finally {
      setUserMappingViolationForTests(null);
    }
  });
});

describe('a failed flush', () => {
  it('is an ERROR whose DETAIL names the keys applied, in flight and not sent', async () => {
    const down = await startMemcached();
    const downAddress = down.address;
    const live = table();
    const dead = table({ connect_timeout: '0.5' }, downAddress);
    // The size check reads item_size_max once per server per backend: read it while the server is up.
    await new CacheStore(
      {
        host: downAddress.host,
        port: downAddress.port,
        connectTimeout: 0.5,
        timeout: 5,
        listed: false,
        security: plainConnection(),
        itemSizeMax: null,
      },
      '',
    ).itemLimits();
    await down.stop();
    live.fdw.begin(0);
    dead.fdw.begin(0);
    await live.fdw.insert({ key: 'a', value: '1', expire: null });
    await live.fdw.insert({ key: 'b', value: '2', expire: null });
    await live.fdw.endModify();
    await dead.fdw.insert({ key: 'c', value: '3', expire: null });
    await dead.fdw.insert({ key: 'd', value: '4', expire: null });
    await dead.fdw.endModify();
    const error = await failure(() => live.fdw.preCommit());
    // The socket of the item_size_max read went stale when the server stopped: the flush connects anew, is refused,
    // and nothing of that server's batch was sent.
    const label = `${downAddress.host}:${downAddress.port}`;
    expect(error.message).toBe(
      `cannot reach memcached at ${label} (set of 2 keys): connection refused, while sending the transaction's writes`,
    );
    expect(error.detail).toBe(
      'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
        `Of 4 key(s), memcached applied 2 ("${live.prefix}a", "${live.prefix}b"). ` +
        `Not sent: 2 ("${dead.prefix}c", "${dead.prefix}d").`,
    );
    expect([await value(server, `${live.prefix}a`), await value(server, `${live.prefix}b`)]).toEqual(['1', '2']);
    takeLoggedMessages();
    await live.fdw.rollback();
    await dead.fdw.rollback();
    // The transaction did not commit: what memcached applied of it is deleted again, and a WARNING says so.
    expect([await value(server, `${live.prefix}a`), await value(server, `${live.prefix}b`)]).toEqual([null, null]);
    expect(takeLoggedMessages()).toEqual([
      {
        level: WARNING,
        message: `the transaction aborted after its writes to 2 key(s) were sent to memcached ("${live.prefix}a", "${live.prefix}b")`,
        hint: 'Those keys were deleted again: memcached misses them instead of holding values of a transaction that did not commit.',
        detail: null,
      },
    ]);
    expect(transactionWrites.isEmpty()).toBe(true);
  });

  it('names every key not sent when the connection is refused: nothing is in flight', async () => {
    const down = await startMemcached();
    const downAddress = down.address;
    const dead = table({ connect_timeout: '0.5' }, downAddress);
    dead.fdw.begin(0);
    await dead.fdw.insert({ key: 'c', value: '3', expire: null });
    await dead.fdw.endModify();
    await rawSet(downAddress, `${dead.prefix}gone`, 'x');
    await collect(dead.fdw.execute([new Qual('key', '=', 'gone')], new Set(['key'])));
    await dead.fdw.delete('gone');
    await dead.fdw.endModify();
    await down.stop();
    const error = await failure(() => dead.fdw.preCommit());
    expect(error.detail).toBe(
      'memcached has no transactions: the transaction aborts, and the keys memcached applied (or may have) are deleted again. ' +
        `Of 2 key(s), memcached applied 0. Not sent: 2 ("${dead.prefix}c", "${dead.prefix}gone").`,
    );
    await dead.fdw.rollback();
  });
});

describe('touches at COMMIT', () => {
  it('a key deleted behind our back between the UPDATE and COMMIT: the touch reply is read, a WARNING names the key and the COMMIT goes on', async () => {
    const { fdw, prefix } = table();
    await rawSet(server, `${prefix}kept`, 'same', 0, 300);
    await rawSet(server, `${prefix}gone`, 'same', 0, 300);
    await rawSet(server, `${prefix}other`, 'old');
    fdw.begin(0);
    const rows = await collect(
      fdw.execute([new Qual('key', ['=', true], ['kept', 'gone'])], new Set(['key', 'value', 'expire'])),
    );
    expect(rows.map((row) => row['key'])).toEqual(['kept', 'gone']);
    for (const row of rows) await fdw.update(row['key']!, { key: row['key']!, value: 'same', expire: 9000 });
    await fdw.insert({ key: 'other', value: 'new', expire: null });
    expect(await rawCommand(server, `delete ${prefix}gone`)).toBe('DELETED');
    takeLoggedMessages();
    await fdw.preCommit();
    await fdw.commit();
    expect(takeLoggedMessages()).toEqual([
      {
        level: WARNING,
        message:
          `memcached at ${server.host}:${server.port} no longer held 1 key(s) whose expiration this transaction changed ` +
          `("gone"), while sending the transaction's writes: they expired, were evicted or were deleted before COMMIT, and stay absent`,
        hint:
          'An UPDATE of expire alone, like memcache_touch, is a memcached touch, which does not create keys; INSERT a ' +
          'key to store it again.',
        detail: null,
      },
    ]);
    expect(await rawGet(server, `${prefix}gone`)).toBeNull();
    expect(await value(server, `${prefix}other`)).toBe('new');
    const kept = await rawGet(server, `${prefix}kept`);
    expect(kept!.value.toString()).toBe('same');
    expect(kept!.ttl).toBeGreaterThan(8000);
  });

  it('an expire-only UPDATE of many keys sends one touch each and no set', async () => {
    const own = await startMemcached();
    try {
      const fdw = new PymcacheFDW(
        { host: own.address.host, port: String(own.address.port), row_id: 'key' },
        columns(['key', 'text'], ['value', 'text'], ['expire', 'integer']),
      );
      const keys = Array.from({ length: 50 }, (_, i) => `t${i}`);
      for (const key of keys) await rawSet(own.address, key, 'same', 9);
      fdw.begin(0);
      const rows = await collect(
        fdw.execute([new Qual('key', ['=', true], keys)], new Set(['key', 'value', 'expire'])),
      );
      for (const row of rows) await fdw.update(row['key']!, { key: row['key']!, value: 'same', expire: 700 });
      await fdw.endModify();
      const before = await rawStats(own.address);
      await fdw.preCommit();
      await fdw.commit();
      const after = await rawStats(own.address);
      const delta = (name: string): number => Number(after.get(name)) - Number(before.get(name));
      expect([delta('cmd_touch'), delta('touch_hits'), delta('cmd_set')]).toEqual([50, 50, 0]);
      const stored = await rawGet(own.address, 't49');
      expect([stored!.value.toString(), stored!.flags]).toEqual(['same', 9]);
      expect(stored!.ttl).toBeGreaterThan(600);
    } finally {
      await closeAllClients();
      await own.stop();
    }
  });
});
