// The Node client against real pymemcache 3.5.2: the same calls, each side on its own fresh memcached started with
// the same arguments (so cas tokens and counters match), and every result or error compared in canonical form.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemcacheClient, type MemcacheClientOptions } from '../../src/ports/memcache';
import type { Bytes } from '../../src/ports/runtime';
import {
  PYTHON, REPO_ROOT, canonicalFromNode, decodeNodeArgument, encodeArgument, errorOutcomeFromNode, isRecord, outcomeFromPython,
  snakeCase, type Canonical, type Outcome,
} from '../rig/differential';
import { startMemcached, type MemcachedAddress } from '../rig/memcached';
import { SEED, sample } from '../runtime/vectors';

type Ref = { $ref: number; index: number };
type Op = { method: string; args: unknown[] };

const DRIVER = join(REPO_ROOT, 'test', 'memcache', 'pymemcache_driver.py');
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const op = (method: string, ...args: unknown[]): Op => ({ method, args });
const ref = (index: number, element: number): Ref => ({ $ref: index, index: element });
function isRef(value: unknown): value is Ref {
  return isRecord(value) && typeof value.$ref === 'number' && typeof value.index === 'number';
}

const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
});

async function privateServer(extraArgs: string[] = []): Promise<MemcachedAddress> {
  const server = await startMemcached(extraArgs);
  stoppers.push(server.stop);
  return server.address;
}

/** Stats that two fresh servers fed the same commands report identically; others (pid, uptime, ports, ...) vary. */
const STABLE_STATS = new Set([
  'version', 'pointer_size', 'threads', 'limit_maxbytes', 'curr_items', 'total_items', 'cmd_get', 'cmd_set', 'cmd_flush',
  'cmd_touch', 'get_hits', 'get_misses', 'get_expired', 'delete_hits', 'delete_misses', 'incr_hits', 'incr_misses',
  'decr_hits', 'decr_misses', 'cas_hits', 'cas_misses', 'cas_badval', 'touch_hits', 'touch_misses', 'evictions',
  'maxbytes', 'maxconns', 'umask', 'growth_factor', 'chunk_size', 'num_threads', 'stat_key_prefix', 'detail_enabled',
  'cas_enabled', 'auth_enabled_sasl', 'item_size_max', 'maxconns_fast', 'slab_reassign', 'slab_automove', 'inter',
  'hash_algorithm', 'domain_socket', 'slab_automove_ratio', 'hot_max_factor',
]);

/** int and float are one kind: a Node number that is integral (rusage_user 0.0) cannot say which it was. */
function kindOf(value: Canonical): string {
  if (typeof value === 'boolean') return 'bool';
  if (isRecord(value) && ('int' in value || 'float' in value)) return 'number';
  if (isRecord(value) && 'bytes' in value) return 'bytes';
  return JSON.stringify(value);
}

/** A stats result reduced to every key with its value's type, and the value itself for STABLE_STATS. */
function statName(key: Canonical): string {
  return isRecord(key) && 'bytes' in key ? Buffer.from(String(key.bytes), 'hex').toString('latin1') : JSON.stringify(key);
}

function summarizeStats(outcome: Outcome): Outcome {
  if (!('ok' in outcome) || !isRecord(outcome.ok) || !('dict' in outcome.ok)) return outcome;
  const dict = (outcome.ok as { dict: [Canonical, Canonical][] }).dict;
  // `stats conns` names start with each connection's file descriptor, which depends on whether memcached has yet
  // closed the rig's readiness probe: compare the distinct field names and value kinds instead.
  if (dict.length > 0 && dict.every(([key]) => /^\d+:/.test(statName(key)))) {
    const fields = new Set(dict.map(([key, value]) => `${statName(key).replace(/^\d+:/, 'fd:')}=${JSON.stringify(kindOf(value))}`));
    return { ok: { set: [...fields].sort() } };
  }
  const entries = dict.map(([key, value]): [Canonical, Canonical] => [key, STABLE_STATS.has(statName(key)) ? value : kindOf(value)]);
  return { ok: { dict: entries } };
}

function normalizeTransport(outcome: Outcome): Outcome {
  if ('error' in outcome && outcome.error.class === 'TransportError') return { error: { class: 'TransportError', message: '', attributes: {} } };
  return outcome;
}

async function runNode(address: MemcachedAddress, options: MemcacheClientOptions<Bytes>, ops: readonly Op[]): Promise<Outcome[]> {
  const client = new MemcacheClient<Bytes>([address.host, address.port], options);
  const methods = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const raw: unknown[] = [];
  const outcomes: Outcome[] = [];
  for (const { method, args } of ops) {
    const resolved = args.map((arg) => {
      if (!isRef(arg)) return decodeNodeArgument(arg);
      const earlier = raw[arg.$ref];
      return Array.isArray(earlier) ? earlier[arg.index] : undefined;
    });
    const name = method.replace(/_([a-z])/g, (_match: string, letter: string) => letter.toUpperCase());
    const fn = methods[name];
    if (fn === undefined) throw new Error(`MemcacheClient has no method ${name} (pymemcache ${method})`);
    try {
      const result = await fn.apply(client, resolved);
      raw.push(result);
      outcomes.push({ ok: canonicalFromNode(result, false) });
    } catch (error) {
      raw.push(undefined);
      outcomes.push(normalizeTransport(errorOutcomeFromNode(error, false)));
    }
  }
  await client.close();
  return outcomes;
}

async function runPymemcache(address: MemcachedAddress, options: MemcacheClientOptions<Bytes>, ops: readonly Op[]): Promise<Outcome[]> {
  const pythonOptions = Object.fromEntries(Object.entries(options).map(([name, value]) => [snakeCase(name), value]));
  const input = JSON.stringify({
    server: [address.host, address.port],
    options: encodeArgument(pythonOptions),
    ops: ops.map(({ method, args }) => ({ method, args: args.map((arg) => (isRef(arg) ? arg : encodeArgument(arg))) })),
  });
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(PYTHON, [DRIVER], { cwd: REPO_ROOT, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`pymemcache driver exited with ${String(code)}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(input);
  });
  const parsed: unknown = JSON.parse(output);
  if (!Array.isArray(parsed)) throw new Error(`pymemcache driver printed ${output.slice(0, 200)}`);
  return parsed.map((item: unknown) => {
    if (!isRecord(item)) throw new Error('pymemcache driver printed a non-object outcome');
    return outcomeFromPython(item);
  });
}

/** Runs `ops` through both clients on two fresh servers and returns the calls whose outcomes differ. */
async function compare(ops: readonly Op[], options: MemcacheClientOptions<Bytes> = {}, serverArgs: string[] = []) {
  const [nodeServer, pythonServer] = await Promise.all([privateServer(serverArgs), privateServer(serverArgs)]);
  const node = await runNode(nodeServer, options, ops);
  const python = await runPymemcache(pythonServer, options, ops);
  const differences: { index: number; call: string; node: Outcome; python: Outcome }[] = [];
  ops.forEach((call, index) => {
    const summarize = call.method === 'stats' ? summarizeStats : (outcome: Outcome) => outcome;
    const left = summarize(node[index]!);
    const right = summarize(python[index]!);
    if (JSON.stringify(left) !== JSON.stringify(right)) {
      differences.push({ index, call: `${call.method}(${JSON.stringify(call.args.map((arg) => (isRef(arg) ? arg : encodeArgument(arg)))).slice(0, 200)})`, node: left, python: right });
    }
  });
  return { node, python, differences };
}

function expectNoDifferences(differences: readonly unknown[]): void {
  const first = differences.slice(0, 3);
  expect(first, `Node and pymemcache differ (FC_SEED=${SEED}): ${JSON.stringify(first)}`).toEqual([]);
}

describe('MemcacheClient and pymemcache Client give the same results and errors', () => {
  it('storage, retrieval, cas, counters, touch, delete and flush with pymemcache defaults (noreply on)', async () => {
    const ops: Op[] = [
      op('version'),
      op('set', 'k1', bytes('v1')),
      op('get', 'k1'), op('get', 'missing'), op('get', 'missing', bytes('fallback')),
      op('add', 'k1', bytes('x'), 0, false), op('add', 'k2', bytes('y'), 0, false),
      op('replace', 'nope', bytes('x'), 0, false), op('replace', 'k2', bytes('z'), 0, false),
      op('append', 'k2', bytes('++'), 0, false), op('prepend', 'k2', bytes('--'), 0, false), op('append', 'absent', bytes('+'), 0, false),
      op('get', 'k2'),
      op('gets', 'k2'), // index 13
      op('cas', 'k2', bytes('new'), ref(13, 1)), op('cas', 'k2', bytes('again'), ref(13, 1)), op('cas', 'absent', bytes('x'), '123'),
      op('cas', 'k2', bytes('x'), 'abc'), op('cas', 'k2', bytes('x'), -1), op('cas', 'k2', bytes('x'), 'é'),
      op('gets', 'missing'), op('gets', 'missing', bytes('d'), bytes('0')),
      op('get_many', ['k1', 'k2', 'missing', 'k1']), op('get_many', []), op('gets_many', ['k1', 'k2']), op('gets_many', []),
      op('set_many', new Map([['m1', bytes('1')], ['m2', bytes('2')]]), 0, false), op('set_many', new Map([['m3', bytes('3')]])),
      op('set_many', new Map()),
      op('incr', 'm1', 5), op('decr', 'm1', 10), op('incr', 'missing', 1), op('incr', 'k1', 1), op('incr', 'm1', -1),
      op('incr', 'm1', 1.5), op('incr', 'm1', 4294967296), op('incr', 'm1', 1, true),
      op('touch', 'k1', 100, false), op('touch', 'missing', 1, false), op('touch', 'k1', 5),
      op('delete', 'k1', false), op('delete', 'k1', false), op('delete', 'k2'), op('delete_many', ['m1', 'm2', 'nope']),
      op('delete_many', []), op('delete_many', ['m3'], false),
      op('set', 'text', 'plain ascii'), op('set', 'num', 42), op('get_many', ['text', 'num']),
      op('set', 'bad', 'é'), op('set', 'bad', 'a😀b€'), op('set', 'e', bytes('v'), 1.5), op('set', 'e', bytes('v'), 0, false, 7),
      op('flush_all', 0, false), op('get', 'text'), op('flush_all'),
      op('quit'), op('set', 'after-quit', bytes('1'), 0, false), op('get', 'after-quit'),
    ];
    const { differences, node } = await compare(ops);
    expectNoDifferences(differences);
    // Spot checks that the comparison compared something meaningful.
    expect(node[0]).toEqual({ ok: { bytes: Buffer.from('1.6.18').toString('hex') } });
    expect(node[15]).toEqual({ ok: false });
    expect(node[16]).toEqual({ ok: null });
  });

  it('key checks: whitespace, NUL, length, non-ASCII, empty and whitespace-only keys', async () => {
    const ops: Op[] = [
      op('get', 'a b'), op('get', 'a\tb'), op('get', ' lead'), op('get', 'trail\n'), op('set', 'k\u0000', bytes('v')),
      op('get', 'x'.repeat(250)), op('get', 'x'.repeat(251)), op('get', 'é'), op('get', "it's"), op('get', 'say "hi"'),
      op('get', ''), op('get', ' '), op('get', '\u0085'), op('get_many', ['ok', 'not ok']), op('delete', 'a b'),
      op('set', 'ok', bytes('fine'), 0, false), op('get', 'ok'),
    ];
    const { differences, node } = await compare(ops);
    expectNoDifferences(differences);
    expect(node[0]).toEqual({ error: { class: 'MemcacheIllegalInputError', message: "Key contains whitespace: b'a b'", attributes: {} } });
    expect(node[10]).toEqual({ error: { class: 'MemcacheUnknownCommandError', message: "b'get'", attributes: {} } });
  });

  it('unicode keys and a key prefix, noreply off by default', async () => {
    const ops: Op[] = [
      op('set', 'é', bytes('accent'), 0), op('set', '😀', bytes('emoji')), op('get_many', ['é', '😀', 'ü']), op('get', 'x'.repeat(246)),
      op('get', 'x'.repeat(247)), op('add', 'é', bytes('again')), op('delete', 'é'), op('delete', 'é'), op('touch', '😀', 10),
      op('stats', 'settings'),
    ];
    const { differences } = await compare(ops, { allowUnicodeKeys: true, keyPrefix: 'pre:', defaultNoreply: false });
    expectNoDifferences(differences);
  });

  it('server errors: values above the item size limit (1 MB by default), unknown stats subcommands', async () => {
    const TOO_LARGE = new Uint8Array(1_100_000).fill(0x61);
    const ops: Op[] = [
      op('set', 'big', TOO_LARGE, 0, false), op('set', 'big', TOO_LARGE),
      op('get', 'big'), op('set', 'fits', new Uint8Array(100).fill(0x62), 0, false), op('stats', 'bogus'), op('get', 'fits'),
    ];
    const { differences, node } = await compare(ops);
    expectNoDifferences(differences);
    expect(node[0]).toEqual({ error: { class: 'MemcacheServerError', message: "b'object too large for cache'", attributes: {} } });
  });

  it('stats: the same keys, value types (int, float, bool, bytes) and stable values', async () => {
    const ops: Op[] = [
      op('set', 'a', bytes('1'), 0, false), op('get', 'a'), op('get', 'b'),
      op('stats'), op('stats', 'settings'), op('stats', 'items'), op('stats', 'slabs'), op('stats', 'sizes'), op('stats', 'conns'),
      // `stats cachedump` is left out: which LRU segment holds a fresh item depends on the server's background
      // maintainer thread, so two servers fed the same commands may list different items.
      op('stats', 'detail', 'dump'),
    ];
    const { differences, node } = await compare(ops);
    expectNoDifferences(differences);
    const general = node[3]!;
    expect('ok' in general && JSON.stringify(general.ok)).toContain(JSON.stringify([{ bytes: Buffer.from('curr_items').toString('hex') }, { int: '1' }]));
  });

  it('ignore_exc turns retrieval errors into misses; connection errors are transport errors', async () => {
    const unreachable = await privateServer();
    await stoppers.pop()!(); // nothing listens there any more
    const ops: Op[] = [op('get', 'k'), op('get', 'k', bytes('d')), op('get_many', ['a', 'b']), op('gets', 'k'), op('stats'), op('set', 'k', bytes('v')), op('get', 'a b')];
    const node = await runNode(unreachable, { ignoreExc: true }, ops);
    const python = await runPymemcache(unreachable, { ignoreExc: true }, ops);
    expect(node).toEqual(python);
    expect(node[1]).toEqual({ ok: { bytes: Buffer.from('d').toString('hex') } });
    expect(node[5]).toEqual({ error: { class: 'TransportError', message: '', attributes: {} } });
  });

  it('a server that accepts but never answers: both time out with a transport error (OSError in Python)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    stoppers.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const port = (silent.address() as AddressInfo).port;
    const ops: Op[] = [op('get', 'k'), op('set', 'k', bytes('v'), 0, false), op('version')];
    const node = await runNode({ host: '127.0.0.1', port }, { timeout: 0.2 }, ops);
    const python = await runPymemcache({ host: '127.0.0.1', port }, { timeout: 0.2 }, ops);
    expect(node).toEqual(python);
    expect(node).toEqual(ops.map(() => ({ error: { class: 'TransportError', message: '', attributes: {} } })));
  });

  it('random sequences of commands on a small key space agree call by call', async () => {
    const key = fc.constantFrom('a', 'b', 'c', 'counter', 'é', 'a b');
    // Counters stay far below 2^53 (where Node numbers round; see docs/memcache-client.md): stored numbers are small
    // and appended or prepended bytes always hold a non-digit, so appending never grows a counter's digits.
    const value = fc.oneof(fc.uint8Array({ maxLength: 12 }), fc.constantFrom(bytes('0'), bytes('41'), bytes('7')));
    const suffix = fc.uint8Array({ maxLength: 6 }).map((tail) => new Uint8Array([0x78, ...tail]));
    const noreply = fc.constantFrom(null, false, true);
    const command: fc.Arbitrary<Op> = fc.oneof(
      fc.tuple(fc.constantFrom('set', 'add', 'replace'), key, value, fc.constantFrom(0, 100), noreply).map(([m, k, v, e, n]) => op(m, k, v, e, n)),
      fc.tuple(fc.constantFrom('append', 'prepend'), key, suffix, noreply).map(([m, k, v, n]) => op(m, k, v, 0, n)),
      fc.tuple(fc.constantFrom('get', 'gets', 'delete'), key).map(([m, k]) => op(m, k)),
      fc.tuple(fc.constantFrom('get_many', 'gets_many', 'delete_many'), fc.array(key, { maxLength: 4 })).map(([m, keys]) => op(m, keys)),
      fc.tuple(fc.constantFrom('incr', 'decr'), key, fc.constantFrom(0, 1, 7, 2 ** 32)).map(([m, k, amount]) => op(m, k, amount)),
      fc.tuple(key, fc.constantFrom(0, 10)).map(([k, e]) => op('touch', k, e, false)),
      fc.tuple(fc.dictionary(key, value, { maxKeys: 3 }), noreply).map(([values, n]) => op('set_many', new Map(Object.entries(values)), 0, n)),
    );
    const [ops] = sample(fc.array(command, { minLength: 300, maxLength: 300 }), 1);
    const { differences } = await compare(ops!, { defaultNoreply: false });
    expectNoDifferences(differences);
  });
});
