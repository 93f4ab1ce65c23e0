// Node side of the protocol tests (test/differential/protocol-*.test.ts, test/protocol/): a ReplyReader driven over
// chunks exactly as protocol_adapter.py drives the emitted one, outcomes as plain data both sides encode alike.
import { canonicalFromNode } from '../rig/differential';
import { ErrorReply, ProtocolError, ReplyError, ReplyReader } from '../../src/memcache/protocol';

/** The kinds of reply a test asks for, named as the reader's methods read them. */
export type ReplyKind =
  'values' | 'stored' | 'deleted' | 'touched' | 'counter' | 'stats' | 'version' | 'meta' | 'metadump';

/** One read of `kind` from `reader`: the reply, or null when it has not wholly arrived. */
export function readReply(reader: ReplyReader, kind: ReplyKind): unknown {
  switch (kind) {
    case 'values':
      return reader.readValues();
    case 'stored':
      return reader.readStored();
    case 'deleted':
      return reader.readDeleted();
    case 'touched':
      return reader.readTouched();
    case 'counter':
      return reader.readCounter();
    case 'stats':
      return reader.readStats();
    case 'version':
      return reader.readVersion();
    case 'meta':
      return reader.readMeta();
    case 'metadump':
      return reader.readMetadump();
  }
}

/** A reply error as data: its class, message and attributes. */
export function errorOutcome(error: ReplyError): {
  error: string;
  message: string;
  attributes: Record<string, unknown>;
} {
  const attributes: Record<string, unknown> =
    error instanceof ErrorReply
      ? { kind: error.kind, knownText: error.knownText, textLength: error.textLength }
      : error instanceof ProtocolError
        ? { expected: error.expected, problem: error.problem }
        : {};
  return { error: error.constructor.name, message: error.message, attributes };
}

/**
 * Feeds `chunks` one at a time, only when a read asks for more, and reads one reply of each kind in `kinds` (a
 * metadump is read entry by entry until its end). An error reply is recorded and the next kind read; a protocol error
 * or running out of chunks ends the run ({ needMore: bytes buffered }). Last comes { left: bytes not consumed }.
 */
export function readReplies(chunks: Uint8Array[], kinds: ReplyKind[], maxValueLength: number | null = null): unknown[] {
  const reader = maxValueLength === null ? new ReplyReader() : new ReplyReader(maxValueLength);
  const outcomes: unknown[] = [];
  let next = 0;
  let unfed = chunks.reduce((total, chunk) => total + chunk.length, 0);
  for (const kind of kinds) {
    for (;;) {
      let result: unknown;
      try {
        result = readReply(reader, kind);
      } catch (error) {
        if (!(error instanceof ReplyError)) throw error;
        outcomes.push(errorOutcome(error));
        if (error instanceof ProtocolError) return outcomes;
        break;
      }
      if (result === null) {
        if (next === chunks.length) {
          outcomes.push({ needMore: reader.bufferedLength });
          return outcomes;
        }
        unfed -= chunks[next]!.length;
        reader.feed(chunks[next++]!);
        continue;
      }
      outcomes.push(result);
      if (kind !== 'metadump' || typeof result === 'string') break;
    }
  }
  outcomes.push({ left: reader.bufferedLength + unfed });
  return outcomes;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalFromNode(a, false)) === JSON.stringify(canonicalFromNode(b, false));
}

/**
 * `data` read whole, then split in two at every byte boundary, then fed one byte at a time: the outcomes of the
 * whole buffer, the split positions whose outcomes differ from it (at most 5), and whether byte by byte agrees.
 */
export function readAtEverySplit(data: Uint8Array, kinds: ReplyKind[]): [unknown[], number[], boolean] {
  const whole = readReplies([data], kinds);
  const differing: number[] = [];
  for (let at = 1; at < data.length && differing.length < 5; at++) {
    if (!same(readReplies([data.slice(0, at), data.slice(at)], kinds), whole)) differing.push(at);
  }
  const bytes = Array.from({ length: data.length }, (_, i) => data.slice(i, i + 1));
  return [whole, differing, same(readReplies(bytes, kinds), whole)];
}
