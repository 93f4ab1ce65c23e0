// Garbage through the reply reader (fast-check, fixed run counts, no timing): random bytes biased to protocol
// fragments, and valid replies mutated (bytes flipped, cut out, inserted, repeated, truncated), fed in random chunks.
// Every run ends in outcomes, a typed ReplyError or a request for more bytes, within a bounded number of reads; the
// outcome does not depend on where the chunks were cut; get replies agree with an independent reference parser, so no
// item is ever made up; and the emitted Python reports exactly what Node does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, ReplyError, ReplyReader } from '../../src/memcache/protocol';
import { errorOutcome, readReply, type ReplyKind } from '../differential/protocol-adapter';
import { expectSameOutcomes, runAdapterInPython } from '../differential/agreement';
import { canonicalFromNode, runInNode } from '../rig/differential';
import { SEED, sample } from '../runtime/vectors';
import { mutate, mutation, protocolish, referenceGet } from './garbage';
import { anyCase, bytes, latin1, manyValuesCase, pipelineCase, valuesCase } from './reply-models';

const KINDS: readonly ReplyKind[] = [
  'values',
  'stored',
  'deleted',
  'touched',
  'counter',
  'stats',
  'version',
  'meta',
  'metadump',
];
const RUNS = 1500;

const garbage: fc.Arbitrary<{ data: Uint8Array; kinds: ReplyKind[] }> = fc.oneof(
  fc
    .tuple(protocolish, fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 4 }))
    .map(([data, kinds]) => ({ data, kinds })),
  fc
    .tuple(fc.oneof(anyCase, pipelineCase), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([c, mutations]) => ({ data: mutate(c.data, mutations), kinds: c.kinds })),
);

function chunksOf(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(cuts.map((c) => (data.length === 0 ? 0 : c % data.length)).filter((c) => c > 0))].sort(
    (a, b) => a - b,
  );
  return [0, ...sorted]
    .map((start, i) => data.slice(start, sorted[i] ?? data.length))
    .filter((chunk) => chunk.length > 0);
}

/**
 * readReplies with a bound: every read must consume bytes, ask for more, or end the run, so more reads than bytes
 * plus chunks plus kinds means a loop. Anything thrown that is not a ReplyError propagates and fails the property.
 */
function drive(chunks: readonly Uint8Array[], kinds: readonly ReplyKind[]): unknown[] {
  const reader = new ReplyReader();
  const outcomes: unknown[] = [];
  let budget = chunks.reduce((n, c) => n + c.length, 0) + chunks.length + kinds.length + 2;
  let next = 0;
  for (const kind of kinds) {
    for (;;) {
      if (--budget < 0) throw new Error('the reader keeps answering without consuming bytes');
      let result: unknown;
      try {
        result = readReply(reader, kind);
      } catch (error) {
        if (!(error instanceof ReplyError)) throw error;
        outcomes.push(errorOutcome(error));
        if (error instanceof ProtocolError) {
          // A failed reader stays failed.
          expect(() => reader.readValues()).toThrow(error);
          return outcomes;
        }
        break;
      }
      if (result === null) {
        if (next === chunks.length) return [...outcomes, { needMore: reader.bufferedLength }];
        reader.feed(chunks[next++]!);
        continue;
      }
      outcomes.push(result);
      if (kind !== 'metadump' || typeof result === 'string') break;
    }
  }
  return [...outcomes, { left: reader.bufferedLength + chunks.slice(next).reduce((n, c) => n + c.length, 0) }];
}

const canonical = (value: unknown): string => JSON.stringify(canonicalFromNode(value, false));

function referenceOutcome(data: Uint8Array): string {
  const reference = referenceGet(data);
  if ('items' in reference) return canonical([reference.items, { left: reference.left }]);
  if ('needMore' in reference) return canonical([{ needMore: reference.needMore }]);
  return reference.error;
}

function readerOutcome(outcomes: unknown[]): string {
  const first = outcomes[0] as { error?: string };
  return first.error !== undefined ? first.error : canonical(outcomes);
}

describe('garbage replies end in outcomes, typed errors or a request for more bytes', () => {
  it('never an untyped error or a loop, and the same outcome however the bytes are chunked', () => {
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(), { maxLength: 12 }), ({ data, kinds }, cuts) => {
        const whole = drive([data], kinds);
        expect(canonical(drive(chunksOf(data, cuts), kinds))).toBe(canonical(whole));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('a get reply gives exactly the items an independent reference parser finds, or the same kind of error', () => {
    const getGarbage = fc.oneof(
      fc.tuple(valuesCase, fc.array(mutation, { maxLength: 3 })).map(([c, mutations]) => mutate(c.data, mutations)),
      protocolish,
      fc
        .tuple(valuesCase, protocolish)
        .map(([c, tail]) => new Uint8Array([...c.data.slice(0, c.data.length - 5), ...tail])),
    );
    fc.assert(
      fc.property(getGarbage, fc.array(fc.nat(), { maxLength: 8 }), (data, cuts) => {
        expect(readerOutcome(drive(chunksOf(data, cuts), ['values'])), latin1(data)).toBe(referenceOutcome(data));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('a get reply of many items (read by whole items where they are plain) gives what the reference parser finds', () => {
    const manyGarbage = fc.oneof(
      manyValuesCase.map((c) => c.data),
      fc
        .tuple(manyValuesCase, fc.array(mutation, { minLength: 1, maxLength: 3 }))
        .map(([c, mutations]) => mutate(c.data, mutations)),
    );
    let wholeItems = 0;
    fc.assert(
      fc.property(manyGarbage, fc.array(fc.nat(), { maxLength: 4 }), (data, cuts) => {
        const expected = referenceOutcome(data);
        expect(readerOutcome(drive([data], ['values'])), latin1(data)).toBe(expected);
        expect(readerOutcome(drive(chunksOf(data, cuts), ['values'])), latin1(data)).toBe(expected);
        if (data.length >= 512 && expected.startsWith('[[')) wholeItems += 1;
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(wholeItems).toBeGreaterThan(RUNS / 5);
  });

  it('lines longer than 8192 bytes are a ProtocolError however they arrive', () => {
    for (const length of [8191, 8192, 8193, 8194, 20000]) {
      const line = bytes(`SERVER_ERROR ${'x'.repeat(length - 13)}\r\n`);
      const outcome = (chunks: Uint8Array[]): string => readerOutcome(drive(chunks, ['stored']));
      const expected = length > 8192 ? 'ProtocolError' : 'ServerErrorReply';
      expect(
        [
          outcome([line]),
          outcome(chunksOf(line, [8192])),
          outcome(chunksOf(line, [8193])),
          outcome(chunksOf(line, [100, 5000, 8194])),
        ],
        `${length}`,
      ).toEqual([expected, expected, expected, expected]);
    }
  });
});

describe('garbage: the emitted Python reports exactly what Node does', () => {
  it('300 get replies of many items, plain and mutated, whole and in random chunks', async () => {
    const cases = sample(
      fc.tuple(
        fc.oneof(
          manyValuesCase.map((c) => c.data),
          fc
            .tuple(manyValuesCase, fc.array(mutation, { minLength: 1, maxLength: 3 }))
            .map(([c, m]) => mutate(c.data, m)),
        ),
        fc.array(fc.nat(), { maxLength: 4 }),
      ),
      300,
    );
    const vectors = cases.flatMap(([data, cuts]) => [
      [[data], ['values']],
      [chunksOf(data, cuts), ['values']],
    ]);
    const node = await runInNode('test/differential/protocol-adapter.ts', 'readReplies', vectors);
    const python = await runAdapterInPython('protocol_adapter', 'read_replies', vectors);
    const report = expectSameOutcomes('readReplies on many-item get replies', vectors, node, python);
    expect(report.total).toBe(600);
  });

  it('300 garbage streams in random chunks', async () => {
    const cases = sample(fc.tuple(garbage, fc.array(fc.nat(), { maxLength: 8 })), 300);
    const vectors = cases.map(([{ data, kinds }, cuts]) => [chunksOf(data, cuts), kinds]);
    const node = await runInNode('test/differential/protocol-adapter.ts', 'readReplies', vectors);
    const python = await runAdapterInPython('protocol_adapter', 'read_replies', vectors);
    const report = expectSameOutcomes('readReplies on garbage', vectors, node, python);
    expect(report.total).toBe(300);
    expect(node.filter((o) => JSON.stringify(o).includes('ProtocolError')).length).toBeGreaterThan(30);
  });
});
