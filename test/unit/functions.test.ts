// src/functions.ts in Node against real memcached: the function API's CacheFunctions (what memcache_get, memcache_set,
// ... call inside PostgreSQL) with the transaction levels and hooks the extension passes and forwards, checked with an
// independent raw client. The SQL side (C, default_table, privileges) is test/functions/.
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { commit, functionsFor, preCommit, rollback, subRollback, type CacheFunctions } from '../../src/functions';
import { closeAllConnections } from '../../src/memcache/connection';
import { takeLoggedMessages } from '../../src/ports/host';
import { forgetAll, transactionWrites } from '../../src/transaction';
import { columns, failure } from './fdw-support';
import { uniquePrefix } from '../rig/memcached';
import { rawCas, rawCommand, rawGet, rawSet, type MemcachedAddress } from '../rig/raw-memcached';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let tableCounter = 1000;

/** CacheFunctions on a fresh table (a fresh table id and prefix), as functions_for builds it for the extension. */
function cacheFunctions(extra: Record<string, string> = {}): { functions: CacheFunctions; prefix: string } {
  tableCounter += 1;
  const prefix = uniquePrefix('functions');
  const options = { host: server.host, port: String(server.port), row_id: 'key', prefix, ...extra };
  const functions = functionsFor(
    tableCounter,
    `signature ${prefix}`,
    options,
    columns(['key', 'text'], ['value', 'text']),
    'public.cache',
    'mc',
    [],
  );
  return { functions, prefix };
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

async function held(prefix: string, key: string): Promise<string | null> {
  const item = await rawGet(server, prefix + key);
  return item === null ? null : item.value.toString();
}

/** The extension's transaction count: the tests stay in one transaction until they commit or roll back. */
let generation = 1;

beforeEach(() => {
  generation += 1;
  takeLoggedMessages();
  transactionWrites.clear();
  forgetAll();
});

afterAll(async () => {
  await closeAllConnections();
});

describe('CacheFunctions', () => {
  it('functionsFor keeps the instance while the signature holds, and rebuilds it when it changes', () => {
    const options = { host: server.host, port: String(server.port), row_id: 'key' };
    const cols = columns(['key', 'text'], ['value', 'text']);
    const first = functionsFor(1, 'a', options, cols, 'public.cache', 'mc', []);
    expect(functionsFor(1, 'a', options, cols, 'public.cache', 'mc', [])).toBe(first);
    expect(functionsFor(1, 'b', options, cols, 'public.cache', 'mc', [])).not.toBe(first);
  });

  it('a set waits for COMMIT, is read back by the transaction, and is sent by pre_commit', async () => {
    const { functions, prefix } = cacheFunctions();
    expect(await functions.store('set', 'k', bytes('v'), null, false, 1, 0, generation)).toBe(true);
    expect(await functions.getText('k', 1, 0, generation)).toBe('v');
    expect(await held(prefix, 'k')).toBeNull();
    await preCommit();
    await commit();
    expect(await held(prefix, 'k')).toBe('v');
    expect(functions.level).toBe(0);
  });

  it('rollback drops the writes; sub_rollback drops those of the savepoint', async () => {
    const { functions, prefix } = cacheFunctions();
    await functions.store('set', 'a', bytes('1'), null, false, 1, 0, generation);
    await functions.store('set', 'b', bytes('2'), null, false, 2, 0, generation);
    subRollback(2);
    expect(functions.level).toBe(1);
    expect([await functions.getText('a', 1, 0, generation), await functions.getText('b', 1, 0, generation)]).toEqual([
      '1',
      null,
    ]);
    await preCommit();
    await commit();
    expect([await held(prefix, 'a'), await held(prefix, 'b')]).toEqual(['1', null]);
    await functions.store('set', 'a', bytes('changed'), null, false, 1, 0, generation);
    await rollback();
    expect(await held(prefix, 'a')).toBe('1');
  });

  it('add, replace and append follow the key as the transaction sees it', async () => {
    const { functions, prefix } = cacheFunctions();
    await rawSet(server, `${prefix}there`, 'x');
    expect(await functions.store('add', 'there', bytes('y'), null, false, 1, 0, generation)).toBe(false);
    expect(await functions.store('replace', 'gone', bytes('y'), null, false, 1, 0, generation)).toBe(false);
    expect(await functions.store('append', 'there', bytes('+'), null, false, 1, 0, generation)).toBe(true);
    expect(await functions.store('prepend', 'there', bytes('-'), null, false, 1, 0, generation)).toBe(true);
    expect(await functions.delete('there', 0, 1, 0, generation)).toBe(true);
    expect(await functions.store('add', 'there', bytes('new'), null, false, 1, 0, generation)).toBe(true);
    await preCommit();
    await commit();
    expect(await held(prefix, 'there')).toBe('new');
  });

  it('incr is applied at once; on a pending value it counts in the write set', async () => {
    const { functions, prefix } = cacheFunctions();
    await rawSet(server, `${prefix}n`, '7');
    expect(await functions.counter('incr', 'n', 3, 1, 0, generation)).toBe('10');
    expect(await functions.counter('decr', 'n', -2, 1, 0, generation)).toBe('12');
    expect(await functions.counter('incr', 'missing', 1, 1, 0, generation)).toBeNull();
    await rollback();
    expect(await held(prefix, 'n')).toBe('12');
    await functions.store('set', 'p', bytes('5'), null, false, 1, 0, generation);
    expect(await functions.counter('decr', 'p', 9, 1, 0, generation)).toBe('0');
    expect(await held(prefix, 'p')).toBeNull();
  });

  it("incr over an append's pending compare-and-swap counts the joined value and keeps the read's token", async () => {
    const { functions, prefix } = cacheFunctions();
    await rawSet(server, `${prefix}n`, '5');
    const token = await rawCas(server, `${prefix}n`);
    expect(await functions.store('append', 'n', bytes('1'), null, false, 1, 0, generation)).toBe(true);
    expect(await functions.counter('incr', 'n', 1, 1, 0, generation)).toBe('52');
    expect(await functions.counter('decr', 'n', 10, 1, 0, generation)).toBe('42');
    const fullKey = functions.table.memcachedKey('n');
    const pending = transactionWrites.effective(functions.table.serverPool.storeFor(fullKey), fullKey);
    expect(pending === null ? null : pending.op).toEqual({
      kind: 'cas',
      key: fullKey,
      item: { value: bytes('42'), flags: 0, cas: null, facts: null },
      expire: 0,
      cas: token,
    });
    expect(await rawCas(server, `${prefix}n`)).toBe(token);
    await preCommit();
    await commit();
    expect(await held(prefix, 'n')).toBe('42');
  });

  it("incr over an append's pending compare-and-swap: another client's change in between fails pre_commit", async () => {
    const { functions, prefix } = cacheFunctions();
    await rawSet(server, `${prefix}n`, '5');
    expect(await functions.store('prepend', 'n', bytes('1'), null, false, 1, 0, generation)).toBe(true);
    expect(await functions.counter('incr', 'n', 1, 1, 0, generation)).toBe('16');
    expect(await rawCommand(server, `incr ${prefix}n 100`)).toBe('105');
    const error = await failure(() => preCommit());
    expect(error.message).toBe(
      `another client changed key "n" in memcached at ${server.host}:${server.port} after this transaction read it: ` +
        'the compare-and-swap of 1 key(s) was not applied',
    );
    await rollback();
    expect(await held(prefix, 'n')).toBe('105');
  });

  it('a non-numeric counter is an ERROR naming the key and the server', async () => {
    const { functions, prefix } = cacheFunctions();
    await rawSet(server, `${prefix}word`, 'abc');
    const error = await failure(() => functions.counter('incr', 'word', 1, 1, 0, generation));
    expect(error.message).toBe(
      `cannot incr key "word" in memcached at ${server.host}:${server.port}: its value is not a decimal number`,
    );
  });

  it("write_mode immediate: sent when the call returns; append is memcached's own", async () => {
    const { functions, prefix } = cacheFunctions({ write_mode: 'immediate' });
    await functions.store('set', 'i', bytes('a'), null, false, 1, 0, generation);
    expect(await held(prefix, 'i')).toBe('a');
    expect(await functions.store('append', 'i', bytes('b'), null, false, 1, 0, generation)).toBe(true);
    await rollback();
    expect(await held(prefix, 'i')).toBe('ab');
  });

  it('server_add: true for a listed server, else an ERROR whose HINT is the ALTER', () => {
    const { functions } = cacheFunctions();
    expect(functions.serverAdd(`${server.host}:${server.port}`)).toBe(true);
    expect(() => functions.serverAdd('other:11211')).toThrow(
      'memcache_server_add("other:11211") cannot add a server for this session only: the servers of public.cache are its options',
    );
  });
});
