// Direct access to ONE memcached server over the ASCII protocol, bypassing every client's placement: the interop
// tests use it to see where a real client put each key, and to put keys on exactly the server we predict.
import { Socket } from 'node:net';
import type { MemcachedAddress } from '../rig/memcached';

/** One connection; requests are written in full before the replies are read (a single pipelined round trip). */
async function roundTrip(address: MemcachedAddress, request: Buffer, isComplete: (reply: Buffer) => boolean): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = new Socket();
    const chunks: Buffer[] = [];
    let received = 0;
    socket.setTimeout(20_000, () => {
      socket.destroy();
      reject(new Error(`memcached ${address.host}:${address.port} did not finish replying (${received} bytes read)`));
    });
    socket.once('error', (error) => reject(new Error(`memcached ${address.host}:${address.port}: ${error.message}`)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      const reply = Buffer.concat(chunks);
      if (isComplete(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.connect(address.port, address.host, () => socket.write(request));
  });
}

const CRLF = Buffer.from('\r\n');

/** The values of those `keys` that `address` holds (a multi-key `get`), keyed by key; keys are sent as UTF-8. */
export async function getFromServer(address: MemcachedAddress, keys: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  // Several `get` lines of modest size rather than one huge line; all are sent before any reply is read.
  const lines: Buffer[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    lines.push(Buffer.from(`get ${keys.slice(i, i + 100).join(' ')}\r\n`, 'utf8'));
  }
  const expectedEnds = lines.length;
  const reply = await roundTrip(address, Buffer.concat(lines), (buffer) => countEnds(buffer) === expectedEnds);
  let offset = 0;
  while (offset < reply.length) {
    const lineEnd = reply.indexOf(CRLF, offset);
    const line = reply.subarray(offset, lineEnd).toString('utf8');
    offset = lineEnd + 2;
    if (line === 'END') continue;
    const match = /^VALUE (\S+) \d+ (\d+)$/.exec(line);
    if (match === null) throw new Error(`memcached ${address.host}:${address.port}: unexpected reply line ${JSON.stringify(line)}`);
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

/** Stores every entry on `address` only (flags 0, no expiry), failing unless memcached answers STORED to each. */
export async function setOnServer(address: MemcachedAddress, entries: ReadonlyMap<string, string>): Promise<void> {
  if (entries.size === 0) return;
  const parts: Buffer[] = [];
  for (const [key, value] of entries) {
    const payload = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`set ${key} 0 0 ${payload.length}\r\n`, 'utf8'), payload, CRLF);
  }
  const expected = entries.size;
  const reply = await roundTrip(address, Buffer.concat(parts), (buffer) => buffer.toString('latin1').split('\r\n').length - 1 >= expected);
  const lines = reply.toString('latin1').split('\r\n').slice(0, expected);
  const refused = lines.filter((line) => line !== 'STORED');
  if (refused.length > 0) {
    throw new Error(`memcached ${address.host}:${address.port} refused ${refused.length} set(s): ${refused[0]}`);
  }
}
