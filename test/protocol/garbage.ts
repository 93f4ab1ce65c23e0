// Garbage for the protocol fuzz runs (fuzz.test.ts through the reply reader, served-garbage.test.ts through the
// client's read path from a real TCP peer): random bytes biased to protocol fragments, mutations of valid replies
// (bytes flipped, cut out, inserted, repeated, truncated), and an independent reference reading of a get reply.
import fc from 'fast-check';
import { DEFAULT_MAX_VALUE_LENGTH } from '../../src/memcache/protocol';
import { bytes, latin1 } from './reply-models';

export const fragment = fc.constantFrom(
  'VALUE ',
  'VALUE k 0 1\r\n',
  'END',
  'END\r\n',
  '\r\n',
  '\r',
  '\n',
  ' ',
  '0',
  '1',
  '18446744073709551616',
  '-1',
  'STAT ',
  'STORED',
  'NOT_FOUND',
  'HD',
  'VA ',
  'EN',
  'MN',
  ' c',
  ' t-1',
  ' k',
  ' O',
  ' W',
  'key=',
  ' exp=',
  ' la=',
  ' cas=',
  ' fetch=yes',
  '%',
  '%2',
  '%zz',
  'ERROR',
  'CLIENT_ERROR ',
  'SERVER_ERROR ',
  'BUSY',
  'VERSION ',
  '\u0000',
  '\u00ff',
  'x'.repeat(300),
);
export const protocolish = fc
  .array(fc.oneof(fragment, fc.string({ maxLength: 4 })), { maxLength: 30 })
  .map((parts) => bytes(parts.join('')));

export type Mutation = [
  kind: 'flip' | 'cut' | 'insert' | 'repeat' | 'truncate',
  at: number,
  size: number,
  insert: string,
];
export const mutation: fc.Arbitrary<Mutation> = fc.tuple(
  fc.constantFrom('flip', 'cut', 'insert', 'repeat', 'truncate'),
  fc.nat(),
  fc.integer({ min: 1, max: 8 }),
  fragment,
);

export function mutate(data: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Buffer.from(data);
  for (const [kind, rawAt, size, insert] of mutations) {
    const at = out.length === 0 ? 0 : rawAt % out.length;
    if (kind === 'flip' && out.length > 0) out[at] = (out[at]! + 1 + size * 37) & 0xff;
    if (kind === 'cut') out = Buffer.concat([out.subarray(0, at), out.subarray(at + size)]);
    if (kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(insert, 'latin1'), out.subarray(at)]);
    if (kind === 'repeat') out = Buffer.concat([out.subarray(0, at + size), out.subarray(at)]);
    if (kind === 'truncate') out = out.subarray(0, at);
  }
  return new Uint8Array(out);
}

/**
 * An independent reading of one get reply from whole bytes, by regular expressions: the items and what is left,
 * the class of the error, or "need more" with the bytes not consumed. Same rules as the reader: lines end at the
 * first CRLF and are at most 8192 bytes, keys 1 to 250 bytes without spaces, flags 32-bit, lengths and flags 1 to
 * 15 digits, values at most 1 GiB, CAS tokens 64-bit.
 */
export function referenceGet(
  data: Uint8Array,
): { items: unknown[]; left: number } | { error: string } | { needMore: number } {
  const text = latin1(data);
  const items: unknown[] = [];
  let position = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', position);
    if (lineEnd < 0)
      return text.length - position > 8193 ? { error: 'ProtocolError' } : { needMore: text.length - position };
    const line = text.slice(position, lineEnd);
    if (line.length > 8192) return { error: 'ProtocolError' };
    if (line === 'END') return { items, left: text.length - lineEnd - 2 };
    if (/^ERROR( |$)/.test(line)) return { error: 'UnknownCommandReply' };
    if (/^CLIENT_ERROR( |$)/.test(line)) return { error: 'ClientErrorReply' };
    if (/^SERVER_ERROR( |$)/.test(line)) return { error: 'ServerErrorReply' };
    const header = /^VALUE ([^ ]{1,250}) ([0-9]{1,15}) ([0-9]{1,15})(?: ([0-9]{1,20}))?$/.exec(line);
    if (header === null) return { error: 'ProtocolError' };
    const [, key, flags, length, cas] = header;
    if (
      Number(flags) > 4294967295 ||
      Number(length) > DEFAULT_MAX_VALUE_LENGTH ||
      (cas !== undefined && BigInt(cas) > 2n ** 64n - 1n)
    )
      return { error: 'ProtocolError' };
    const dataStart = lineEnd + 2;
    const dataEnd = dataStart + Number(length);
    if (dataEnd + 2 > text.length) return { needMore: text.length - position };
    if (text.slice(dataEnd, dataEnd + 2) !== '\r\n') return { error: 'ProtocolError' };
    items.push([bytes(key!), Number(flags), data.slice(dataStart, dataEnd), cas ?? null]);
    position = dataEnd + 2;
  }
}
