// The one raw memcached client of the tests, the benchmarks and the scripts: text and meta protocol commands written
// by hand on a connection of their own (one per call), the replies parsed here. It is what checks memcached
// independently of the wrapper's own client (src/memcache/), so it imports nothing from src/: a test that writes
// through the wrapper reads back with this, and the other way round. The rig's readiness probes use it too.
import { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { MemcachedAddress } from './memcached';

export type { MemcachedAddress } from './memcached';

const CRLF = Buffer.from('\r\n');

export type ExchangeOptions = {
  /** How long the whole exchange may take before it fails (default 5 s). */
  timeoutMs?: number;
  /** Over TLS, without verifying the server (a memcached started with -Z accepts nothing else). */
  tls?: boolean;
};

/**
 * One exchange on a new connection: writes `request` in full (one pipelined round trip), reads until `isComplete`
 * accepts what arrived, and closes. A connection error rejects with the error as `cause` (its `code` kept there).
 */
export async function exchange(
  address: MemcachedAddress,
  request: Uint8Array | string,
  isComplete: (reply: Buffer) => boolean,
  options: ExchangeOptions = {},
): Promise<Buffer> {
  const { timeoutMs = 5_000, tls = false } = options;
  const bytes = typeof request === 'string' ? Buffer.from(request, 'utf8') : request;
  return new Promise<Buffer>((resolve, reject) => {
    const socket = tls
      ? tlsConnect({ host: address.host, port: address.port, rejectUnauthorized: false })
      : new Socket();
    const chunks: Buffer[] = [];
    let received = 0;
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(
        new Error(
          `no complete reply from memcached ${address.host}:${address.port} within ${timeoutMs} ms (${received} bytes read)`,
        ),
      );
    });
    socket.once('error', (error) =>
      reject(new Error(`memcached ${address.host}:${address.port}: ${error.message}`, { cause: error })),
    );
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const reply = Buffer.concat(chunks);
      if (isComplete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    if (tls) socket.once('secureConnect', () => socket.write(bytes));
    else socket.connect(address.port, address.host, () => socket.write(bytes));
  });
}

/** The `code` of the connection error an exchange rejected with (ECONNREFUSED, ERR_SSL_...), or null. */
export function errorCode(error: unknown): string | null {
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code ?? null;
}

/** A one-line command (`version`, `delete k`, `flush_all`, `touch k 10`) and the first line of its reply, without CRLF. */
export async function rawCommand(
  address: MemcachedAddress,
  command: string,
  options: ExchangeOptions = {},
): Promise<string> {
  const reply = await exchange(address, `${command}\r\n`, (buffer) => buffer.includes(CRLF), options);
  return reply.subarray(0, reply.indexOf(CRLF)).toString('latin1');
}

/** `flush_all`, failing unless memcached answers OK. */
export async function rawFlushAll(address: MemcachedAddress): Promise<void> {
  const reply = await rawCommand(address, 'flush_all');
  if (reply !== 'OK') throw new Error(`flush_all on ${address.host}:${address.port}: ${reply}`);
}

/** What memcached holds for a key, read with the meta protocol: bytes, flags and remaining TTL (-1 = never). */
export type RawItem = { value: Buffer; flags: number; ttl: number };

/** A meta-get reply is complete after `EN`, or after the `VA <size>` header and that many bytes plus CRLF. */
function metaReplyComplete(reply: Buffer): boolean {
  const headerEnd = reply.indexOf(CRLF);
  if (headerEnd < 0) return false;
  const header = reply.subarray(0, headerEnd).toString('latin1');
  if (!header.startsWith('VA ')) return true;
  return reply.length >= headerEnd + 2 + Number(header.split(' ')[1]) + 2;
}

/** `mg <key> v f t`: the item, or null when memcached does not hold it. A string key is sent as UTF-8. */
export async function rawGet(address: MemcachedAddress, key: string | Uint8Array): Promise<RawItem | null> {
  const keyBytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const reply = await exchange(
    address,
    Buffer.concat([Buffer.from('mg '), keyBytes, Buffer.from(' v f t\r\n')]),
    metaReplyComplete,
  );
  const headerEnd = reply.indexOf(CRLF);
  const header = reply.subarray(0, headerEnd).toString('latin1');
  if (header === 'EN') return null;
  const parts = header.split(' ');
  if (parts[0] !== 'VA') throw new Error(`unexpected meta reply: ${header}`);
  const size = Number(parts[1]);
  const field = (letter: string): number => Number(parts.find((part) => part.startsWith(letter))!.slice(1));
  return { value: reply.subarray(headerEnd + 2, headerEnd + 2 + size), flags: field('f'), ttl: field('t') };
}

/** `set`, failing unless memcached answers STORED. A string value is sent as UTF-8. */
export async function rawSet(
  address: MemcachedAddress,
  key: string,
  value: Buffer | string,
  flags = 0,
  expire = 0,
): Promise<void> {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const request = Buffer.concat([Buffer.from(`set ${key} ${flags} ${expire} ${data.length}\r\n`, 'utf8'), data, CRLF]);
  const reply = (await exchange(address, request, (buffer) => buffer.includes(CRLF))).toString('latin1');
  if (reply !== 'STORED\r\n') throw new Error(`set ${key} failed: ${reply}`);
}

/**
 * Stores every `[key, value]` of `items` with `noreply` sets pipelined in chunks, each chunk closed by a `version`
 * whose answer says memcached has processed it: quick enough for a million keys.
 */
export async function rawSetMany(
  address: MemcachedAddress,
  items: Iterable<[string, string]>,
  expire = 0,
): Promise<void> {
  let parts: Buffer[] = [];
  const flush = async (): Promise<void> => {
    parts.push(Buffer.from('version\r\n'));
    const reply = (await exchange(address, Buffer.concat(parts), (buffer) => buffer.includes(CRLF))).toString('latin1');
    if (!reply.startsWith('VERSION ')) throw new Error(`bulk set failed: ${reply.slice(0, 200)}`);
    parts = [];
  };
  for (const [key, value] of items) {
    const data = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`set ${key} 0 ${expire} ${data.length} noreply\r\n`, 'utf8'), data, CRLF);
    if (parts.length >= 3 * 20_000) await flush();
  }
  if (parts.length > 0) await flush();
}

/**
 * Stores every entry (flags 0, no expiry) in one pipelined round trip with a reply per set, failing unless memcached
 * answers STORED to each: the interop tests put keys on exactly the server they predict with it.
 */
export async function rawSetEach(address: MemcachedAddress, entries: ReadonlyMap<string, string>): Promise<void> {
  if (entries.size === 0) return;
  const parts: Buffer[] = [];
  for (const [key, value] of entries) {
    const payload = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`set ${key} 0 0 ${payload.length}\r\n`, 'utf8'), payload, CRLF);
  }
  const expected = entries.size;
  const reply = await exchange(
    address,
    Buffer.concat(parts),
    (buffer) => buffer.toString('latin1').split('\r\n').length - 1 >= expected,
    { timeoutMs: 20_000 },
  );
  const lines = reply.toString('latin1').split('\r\n').slice(0, expected);
  const refused = lines.filter((line) => line !== 'STORED');
  if (refused.length > 0) {
    throw new Error(`memcached ${address.host}:${address.port} refused ${refused.length} set(s): ${refused[0]}`);
  }
}

/**
 * The values (UTF-8) of those `keys` that memcached holds, by key, read with multi-key `get` lines of 100 keys, all
 * sent before any reply is read: the interop tests see with it where a client put each key.
 */
export async function rawGetMany(address: MemcachedAddress, keys: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const lines: Buffer[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    lines.push(Buffer.from(`get ${keys.slice(i, i + 100).join(' ')}\r\n`, 'utf8'));
  }
  const expectedEnds = lines.length;
  const reply = await exchange(address, Buffer.concat(lines), (buffer) => countEnds(buffer) === expectedEnds, {
    timeoutMs: 20_000,
  });
  let offset = 0;
  while (offset < reply.length) {
    const lineEnd = reply.indexOf(CRLF, offset);
    const line = reply.subarray(offset, lineEnd).toString('utf8');
    offset = lineEnd + 2;
    if (line === 'END') continue;
    const match = /^VALUE (\S+) \d+ (\d+)$/.exec(line);
    if (match === null)
      throw new Error(`memcached ${address.host}:${address.port}: unexpected reply line ${JSON.stringify(line)}`);
    const length = Number(match[2]);
    found.set(match[1]!, reply.subarray(offset, offset + length).toString('utf8'));
    offset += length + 2;
  }
  return found;
}

/** Number of complete `END\r\n` lines in a get reply, skipping over value payloads. */
function countEnds(reply: Buffer): number {
  let ends = 0;
  let offset = 0;
  while (offset < reply.length) {
    const lineEnd = reply.indexOf(CRLF, offset);
    if (lineEnd < 0) return ends;
    const line = reply.subarray(offset, lineEnd).toString('utf8');
    offset = lineEnd + 2;
    if (line === 'END') {
      ends++;
      continue;
    }
    const match = /^VALUE \S+ \d+ (\d+)$/.exec(line);
    if (match === null) return ends;
    offset += Number(match[1]) + 2;
    if (offset > reply.length) return ends;
  }
  return ends;
}

/** The CAS token memcached holds for `key` (from `gets`), or null when it is missing. */
export async function rawCas(address: MemcachedAddress, key: string): Promise<string | null> {
  const reply = (
    await exchange(address, `gets ${key}\r\n`, (buffer) => buffer.toString('latin1').endsWith('END\r\n'))
  ).toString('latin1');
  if (reply === 'END\r\n') return null;
  return reply.split('\r\n')[0]!.split(' ')[4]!;
}

/** `stats` (or `stats <argument>`) as name -> raw text value, in the server's order. */
export async function rawStats(address: MemcachedAddress, argument = ''): Promise<Map<string, string>> {
  const command = argument === '' ? 'stats\r\n' : `stats ${argument}\r\n`;
  const reply = (await exchange(address, command, (buffer) => buffer.toString('latin1').endsWith('END\r\n'))).toString(
    'latin1',
  );
  const stats = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    if (!line.startsWith('STAT ')) continue;
    const [, name, ...rest] = line.split(' ');
    stats.set(name!, rest.join(' '));
  }
  return stats;
}

/**
 * `lru_crawler metadump all`, read as the lines stream in: `onEntry` gets each `key=...` line (without its newline),
 * and the promise resolves at `END`. Anything else (BUSY, an error) rejects.
 */
function streamMetadump(address: MemcachedAddress, onEntry: (line: string) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = new Socket();
    let tail = '';
    socket.setTimeout(60_000, () => {
      socket.destroy();
      reject(new Error(`metadump of ${address.host}:${address.port} did not end`));
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const lines = (tail + chunk.toString('latin1')).split('\n');
      tail = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('key=')) {
          onEntry(line);
          continue;
        }
        socket.destroy();
        if (line === 'END\r') resolve();
        else reject(new Error(`unexpected metadump line from ${address.host}:${address.port}: ${line.slice(0, 80)}`));
        return;
      }
    });
    socket.connect(address.port, address.host, () => socket.write('lru_crawler metadump all\r\n'));
  });
}

/**
 * How many items `lru_crawler metadump all` lists, counted as the lines stream in. memcached's crawler skips items
 * whose lock is busy (right after a bulk load its LRU maintainer and hash expansion are): a test that needs an exact
 * count waits until this gives it.
 */
export async function rawMetadumpCount(address: MemcachedAddress): Promise<number> {
  let count = 0;
  await streamMetadump(address, () => {
    count += 1;
  });
  return count;
}

/**
 * Waits until `lru_crawler metadump all` lists `count` items (at most 20 tries, `pauseMs` apart): right after a bulk
 * load memcached's LRU maintainer holds items the crawler skips, and a test that lists the server needs them all.
 */
export async function rawAwaitListed(address: MemcachedAddress, count: number, pauseMs: number): Promise<void> {
  for (let attempt = 0; attempt < 20 && (await rawMetadumpCount(address)) !== count; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/**
 * The keys `lru_crawler metadump all` lists, as bytes (metadump percent-encodes them), in the order listed; a key may
 * be listed twice (an item replaced while the crawler walks the LRU), and an item the crawler did not meet is missing.
 */
export async function rawMetadumpKeys(address: MemcachedAddress): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  await streamMetadump(address, (line) => {
    keys.push(percentDecoded(/^key=(\S+)/.exec(line)![1]!));
  });
  return keys;
}

/** Percent-decoding of metadump's keys, to the key's bytes. */
function percentDecoded(encoded: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  return Buffer.from(bytes);
}
