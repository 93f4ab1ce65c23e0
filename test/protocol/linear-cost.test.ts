// The reader's cost is linear in the bytes received, counted rather than timed: the runtime's bytesFind and
// bytesConcat are wrapped to add up the bytes they search and join. Fed one byte at a time or in 64 KB chunks, a
// reply is searched and joined a small constant number of times over, never once per chunk; a metadump holds no
// more than about a chunk, however many entries it has.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ReplyReader, type MetadumpEntry } from '../../src/memcache/protocol';
import { bytes, concat, metadumpLine, valuesReply } from './reply-models';

const cost = vi.hoisted(() => ({ searched: 0, joined: 0 }));

vi.mock('../../src/ports/runtime', async (importOriginal) => {
  const runtime = await importOriginal<typeof import('../../src/ports/runtime')>();
  return {
    ...runtime,
    bytesFind: (haystack: Uint8Array, needle: Uint8Array, start: number): number => {
      const found = runtime.bytesFind(haystack, needle, start);
      cost.searched +=
        (found >= 0 ? found + needle.length : haystack.length) - Math.min(Math.max(start, 0), haystack.length);
      return found;
    },
    bytesConcat: (parts: readonly Uint8Array[]): Uint8Array => {
      for (const part of parts) cost.joined += part.length;
      return runtime.bytesConcat(parts);
    },
  };
});

beforeEach(() => {
  cost.searched = 0;
  cost.joined = 0;
});

function chunks(data: Uint8Array, size: number): Uint8Array[] {
  return Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.slice(i * size, (i + 1) * size));
}

/** Feeds the chunks, reading values whenever one arrives; the values once the reply is complete. */
function readValuesFrom(pieces: readonly Uint8Array[]): unknown {
  const reader = new ReplyReader();
  let values: unknown = null;
  for (const piece of pieces) {
    reader.feed(piece);
    values = reader.readValues() ?? values;
  }
  return values;
}

const thousandValues = valuesReply(
  Array.from({ length: 1000 }, (_, i) => [bytes(`key:${i}`), i, new Uint8Array(100).fill(i % 256), null]),
);

describe('the reader searches and joins each received byte a constant number of times', () => {
  it('a 1,000-value get reply in one buffer: each byte searched at most once, nothing joined', () => {
    expect((readValuesFrom([thousandValues.data]) as unknown[]).length).toBe(1000);
    expect(cost.joined).toBe(0);
    expect(cost.searched).toBeLessThanOrEqual(thousandValues.data.length);
  });

  it('the same reply fed one byte at a time: at most 3 searches and 2 joins per byte, not one per chunk', () => {
    const total = thousandValues.data.length;
    expect((readValuesFrom(chunks(thousandValues.data, 1)) as unknown[]).length).toBe(1000);
    expect(cost.searched).toBeLessThanOrEqual(3 * total);
    expect(cost.joined).toBeLessThanOrEqual(2 * total);
  });

  it('a 1 MB value in 64 KB chunks is joined once when its last chunk arrives', () => {
    const big = new Uint8Array(1024 * 1024).fill(0x0d);
    const reply = valuesReply([[bytes('big'), 0, big, null]]);
    const reader = new ReplyReader();
    const answers: unknown[] = [];
    for (const piece of chunks(reply.data, 65536)) {
      reader.feed(piece);
      answers.push(reader.readValues());
    }
    expect(answers.slice(0, -1).every((answer) => answer === null)).toBe(true);
    expect((answers[answers.length - 1] as [Uint8Array, number, Uint8Array, null][])[0]![2].length).toBe(big.length);
    expect(cost.joined).toBeGreaterThanOrEqual(big.length);
    expect(cost.joined).toBeLessThanOrEqual(big.length + 65536);
    expect(cost.searched).toBeLessThanOrEqual(2 * 65536);
  });

  it('a metadump of 20,000 entries in 4 KB chunks: entries yielded as they arrive, at most one chunk and a line held', () => {
    const line = (i: number): string =>
      metadumpLine({
        key: bytes(`key:${i}`),
        expiresAt: -1,
        lastAccess: 1700000000,
        cas: String(i + 1),
        fetched: i % 2 === 0,
        slabClass: 1,
        size: 70,
        clientFlags: null,
      });
    const data = concat(bytes(Array.from({ length: 20000 }, (_, i) => line(i)).join('')), bytes('END\r\n'));
    const reader = new ReplyReader();
    let entries = 0;
    let end: unknown = null;
    let mostHeld = 0;
    for (const piece of chunks(data, 4096)) {
      reader.feed(piece);
      for (let item = reader.readMetadump(); item !== null; item = reader.readMetadump()) {
        mostHeld = Math.max(mostHeld, reader.bufferedLength);
        if (typeof item === 'string') end = item;
        else expect((item as MetadumpEntry).cas).toBe(String(++entries));
      }
    }
    expect([entries, end]).toEqual([20000, 'END']);
    expect(mostHeld).toBeLessThanOrEqual(4096 + 200);
    // Each line is searched for its end and split at spaces, and its key searched for escapes and joined once more
    // when one is decoded: a constant number of passes per byte.
    expect(cost.searched).toBeLessThanOrEqual(4 * data.length);
    expect(cost.joined).toBeLessThanOrEqual(2 * data.length);
  });
});
