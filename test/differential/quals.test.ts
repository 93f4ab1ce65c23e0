// src/quals.ts (lookupKeys) in Node vs the emitted pymcache_fdw/quals.py under /usr/bin/python3, on qual lists built
// as multicorn builds them: Node gets the host port's Qual objects, Python multicorn.Qual objects (operator tuples for
// ANY/ALL), through a small adapter on each side (quals-adapter.ts, quals_adapter.py) since JSON cannot carry a Qual.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runInNode } from '../rig/differential';
import { anyString, sample } from '../runtime/vectors';
import { expectSameOutcomes, runAdapterInPython } from './agreement';
import { lookupKeysOf, type QualTriple } from './quals-adapter';

async function expectLookupAgreement(vectors: unknown[][]): Promise<{ total: number; errors: number }> {
  const node = await runInNode('test/differential/quals-adapter.ts', 'lookupKeysOf', vectors);
  const python = await runAdapterInPython('quals_adapter', 'lookup_keys_of', vectors);
  return expectSameOutcomes('lookupKeys', vectors, node, python);
}

/** Keys drawn from a small pool, so that lists repeat keys and several quals on the key share some. */
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'é', '😀', '', ' ', 'A') },
  { weight: 2, arbitrary: anyString(6) },
);
const element = fc.oneof(
  { weight: 8, arbitrary: key },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
);
const field = fc.constantFrom('key', 'key', 'key', 'value', 'Key', 'k');
const scalarQual = fc.tuple(
  field,
  fc.constantFrom('=', '=', '<>', '~~', '<', '>=', '!~~*'),
  fc.oneof(key, fc.constant(null), fc.integer()),
) as fc.Arbitrary<QualTriple>;
const listQual = fc.tuple(
  field,
  fc.tuple(fc.constantFrom('=', '=', '<>', '~~'), fc.boolean()),
  fc.oneof({ weight: 9, arbitrary: fc.array(element, { maxLength: 8 }) }, { weight: 1, arbitrary: fc.constant(null) }),
) as fc.Arbitrary<QualTriple>;
const qualList = fc.array(fc.oneof(scalarQual, listQual), { maxLength: 5 });

describe('quals.ts: Node and emitted Python agree', () => {
  it('lookupKeys: the same keys, in the same order, from hand-picked qual lists', async () => {
    const handPicked: Array<[QualTriple[], string]> = [
      [[], 'key'],
      [[['key', '=', 'a']], 'key'],
      [[['key', '=', null]], 'key'],
      [[['key', '<>', 'a']], 'key'],
      [[['value', '=', 'a']], 'key'],
      [[['key', ['=', true], ['b', 'a', 'b', null, 'c']]], 'key'],
      [[['key', ['=', false], ['a']]], 'key'],
      [[['key', ['<>', true], ['a']]], 'key'],
      [[['key', ['=', true], []]], 'key'],
      [[['key', ['=', true], null]], 'key'],
      [
        [
          ['key', '=', 'a'],
          ['key', ['=', true], ['a', 'b']],
        ],
        'key',
      ],
      [
        [
          ['key', ['=', true], ['c', 'b', 'a']],
          ['key', ['=', true], ['a', 'c']],
        ],
        'key',
      ],
      [
        [
          ['key', '=', 'a'],
          ['key', '=', 'b'],
        ],
        'key',
      ],
      [
        [
          ['key', '~~', 'a%'],
          ['key', '=', 'a'],
        ],
        'key',
      ],
      [
        [
          ['k', '=', 'x'],
          ['key', '=', 'y'],
        ],
        'k',
      ],
    ];
    await expectLookupAgreement(handPicked);
    // Both sides agree; this pins what they agree on.
    expect(handPicked.map(([triples, keyColumn]) => lookupKeysOf(triples, keyColumn))).toEqual([
      null,
      ['a'],
      [],
      null,
      null,
      ['b', 'a', 'c'],
      null,
      null,
      [],
      [],
      ['a'],
      ['c', 'a'],
      [],
      ['a'],
      ['x'],
    ]);
  });

  it('lookupKeys: random qual lists', async () => {
    const vectors = sample(fc.tuple(qualList, fc.constantFrom('key', 'k')));
    const report = await expectLookupAgreement(vectors);
    expect(report.errors).toBe(0);
    // The sample exercises every outcome: no lookup, an empty intersection, and keys.
    const results = vectors.map(([triples, keyColumn]) => lookupKeysOf(triples, keyColumn));
    expect(results.filter((keys) => keys === null).length).toBeGreaterThan(20);
    expect(results.filter((keys) => keys !== null && keys.length === 0).length).toBeGreaterThan(20);
    expect(results.filter((keys) => keys !== null && keys.length > 1).length).toBeGreaterThan(20);
  });
});
