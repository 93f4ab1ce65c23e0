// Support for the PymcacheFDW / PymcacheFDWStats unit tests: an independent memcached client speaking the text and
// meta protocols over a raw socket (so what the wrapper wrote is checked without its own client), column builders
// that mirror what Multicorn passes, and a row collector.
import { Socket } from 'node:net';
import { ColumnDefinition, type Row, type RowSource } from '../../src/ports/host';

export type Address = { host: string; port: number };

/** One exchange: sends `request`, reads until `isComplete` accepts what arrived. */
export async function exchange(address: Address, request: Buffer, isComplete: (reply: Buffer) => boolean): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no complete reply from ${address.host}:${address.port}`));
    });
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const reply = Buffer.concat(chunks);
      if (isComplete(reply)) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.connect(address.port, address.host, () => socket.write(request));
  });
}

/** What memcached holds for `key`, read with the meta protocol: bytes, flags and remaining TTL (-1 = never). */
export type RawItem = { value: Buffer; flags: number; ttl: number };

/** A meta-get reply is complete after `EN`, or after the `VA <size>` header and that many bytes plus CRLF. */
function metaReplyComplete(reply: Buffer): boolean {
  const headerEnd = reply.indexOf('\r\n');
  if (headerEnd < 0) return false;
  const header = reply.subarray(0, headerEnd).toString('latin1');
  if (!header.startsWith('VA ')) return true;
  return reply.length >= headerEnd + 2 + Number(header.split(' ')[1]) + 2;
}

export async function rawGet(address: Address, key: string): Promise<RawItem | null> {
  const reply = await exchange(address, Buffer.from(`mg ${key} v f t\r\n`, 'utf8'), metaReplyComplete);
  const headerEnd = reply.indexOf('\r\n');
  const header = reply.subarray(0, headerEnd).toString('latin1');
  if (header === 'EN') return null;
  const parts = header.split(' ');
  if (parts[0] !== 'VA') throw new Error(`unexpected meta reply: ${header}`);
  const size = Number(parts[1]);
  const flags = Number(parts.find((part) => part.startsWith('f'))!.slice(1));
  const ttl = Number(parts.find((part) => part.startsWith('t'))!.slice(1));
  return { value: reply.subarray(headerEnd + 2, headerEnd + 2 + size), flags, ttl };
}

export async function rawSet(address: Address, key: string, value: Buffer | string, flags = 0, expire = 0): Promise<void> {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const request = Buffer.concat([
    Buffer.from(`set ${key} ${flags} ${expire} ${data.length}\r\n`, 'utf8'),
    data,
    Buffer.from('\r\n'),
  ]);
  const reply = (await exchange(address, request, (buffer) => buffer.includes('\r\n'))).toString('latin1');
  if (reply !== 'STORED\r\n') throw new Error(`set ${key} failed: ${reply}`);
}

/** `stats` (or `stats <argument>`) as name -> raw text value, in the server's order. */
export async function rawStats(address: Address, argument = ''): Promise<Map<string, string>> {
  const command = argument === '' ? 'stats\r\n' : `stats ${argument}\r\n`;
  const reply = (await exchange(address, Buffer.from(command), (buffer) => buffer.toString('latin1').endsWith('END\r\n'))).toString('latin1');
  const stats = new Map<string, string>();
  for (const line of reply.split('\r\n')) {
    if (!line.startsWith('STAT ')) continue;
    const [, name, ...rest] = line.split(' ');
    stats.set(name!, rest.join(' '));
  }
  return stats;
}

/** A column as Multicorn describes it (type names as format_type_be / format_type_with_typemod write them). */
export function column(name: string, typeName: string): ColumnDefinition {
  const baseTypeName = typeName.split('(')[0]!;
  return new ColumnDefinition(name, 0, -1, typeName, baseTypeName, {});
}

export function columns(...definitions: Array<[string, string]>): Map<string, ColumnDefinition> {
  const result = new Map<string, ColumnDefinition>();
  for (const [name, typeName] of definitions) result.set(name, column(name, typeName));
  return result;
}

/** Every row `execute` yields. */
export async function collect(source: RowSource): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of source) rows.push(row);
  return rows;
}

/** A key prefix unique to one test, so tests on the shared servers never see each other's keys. */
let prefixCounter = 0;
export function uniquePrefix(label: string): string {
  prefixCounter += 1;
  return `t${process.pid}_${Date.now().toString(36)}_${prefixCounter}_${label}:`;
}

/** The error a promise or function rejects/throws with; fails when it does not. */
export async function failure(action: () => unknown): Promise<{ message: string; hint: string | null; detail: string | null }> {
  try {
    await action();
  } catch (error) {
    const e = error as { message: string; hint?: string | null; detail?: string | null };
    return { message: e.message, hint: e.hint ?? null, detail: e.detail ?? null };
  }
  throw new Error('expected an error, but the call succeeded');
}

/**
 * Stores every `[key, value]` of `items` with `noreply` sets pipelined in chunks, each chunk closed by a `version`
 * whose answer says memcached has processed it: quick enough for a million keys.
 */
export async function rawSetMany(address: Address, items: Iterable<[string, string]>, expire = 0): Promise<void> {
  let parts: Buffer[] = [];
  const flush = async (): Promise<void> => {
    parts.push(Buffer.from('version\r\n'));
    const reply = (await exchange(address, Buffer.concat(parts), (buffer) => buffer.includes('\r\n'))).toString('latin1');
    if (!reply.startsWith('VERSION ')) throw new Error(`bulk set failed: ${reply.slice(0, 200)}`);
    parts = [];
  };
  for (const [key, value] of items) {
    const data = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`set ${key} 0 ${expire} ${data.length} noreply\r\n`, 'utf8'), data, Buffer.from('\r\n'));
    if (parts.length >= 3 * 20_000) await flush();
  }
  if (parts.length > 0) await flush();
}

/** The CAS token memcached holds for `key` (from `gets`), or null when it is missing. */
export async function rawCas(address: Address, key: string): Promise<string | null> {
  const reply = (await exchange(address, Buffer.from(`gets ${key}\r\n`, 'utf8'), (buffer) => buffer.toString('latin1').endsWith('END\r\n'))).toString('latin1');
  if (reply === 'END\r\n') return null;
  return reply.split('\r\n')[0]!.split(' ')[4]!;
}

/**
 * How many items `lru_crawler metadump all` lists, counted as the lines stream in. memcached's crawler skips items
 * whose lock is busy (right after a bulk load its LRU maintainer and hash expansion are): a test that needs an exact
 * count waits until this gives it.
 */
export async function rawMetadumpCount(address: Address): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const socket = new Socket();
    let count = 0;
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
        if (line.startsWith('key=')) count += 1;
        else if (line === 'END\r') {
          socket.destroy();
          resolve(count);
        } else throw new Error(`unexpected metadump line: ${line.slice(0, 80)}`);
      }
    });
    socket.connect(address.port, address.host, () => socket.write('lru_crawler metadump all\r\n'));
  });
}
