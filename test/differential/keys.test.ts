// src/keys.ts in Node vs the emitted pymcache_fdw/keys.py under /usr/bin/python3: same results, same errors
// (class, message, key and reason) on >= 1000 random vectors per function plus hand-picked edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differential } from '../rig/differential';
import { SEED, anyString, codePointUnit, sample, wellFormedString } from '../runtime/vectors';

const KEYS = 'src/keys.ts';

async function expectAgreement(fn: string, vectors: unknown[][]): Promise<{ errors: number; total: number }> {
  const report = await differential(KEYS, fn, vectors);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  return report;
}

/** Keys whose UTF-8 length lands on and around the 250-byte limit, built from 1-, 2-, 3- and 4-byte characters. */
const nearLimitKey = fc
  .tuple(fc.constantFrom('a', 'é', '€', '😀'), fc.integer({ min: 240, max: 260 }), wellFormedString(3))
  .map(([unit, bytes, tail]) => unit.repeat(Math.floor(bytes / Buffer.byteLength(unit))) + tail);

const keyLike = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
  { weight: 4, arbitrary: anyString(30) },
  { weight: 2, arbitrary: nearLimitKey },
  { weight: 1, arbitrary: fc.string({ unit: codePointUnit, minLength: 55, maxLength: 70 }) },
);

const handPicked = [
  '',
  'a',
  ' ',
  'a b',
  'a\tb',
  'a\nb',
  '\r',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009f',
  '\u00a0',
  '\u2028',
  'é',
  '😀',
  '\ud800',
  'a\udfff',
  'x'.repeat(250),
  'x'.repeat(251),
  'é'.repeat(125),
  'é'.repeat(125) + 'x',
  '😀'.repeat(62) + 'ab',
  '😀'.repeat(63),
  'q"\\',
  'k'.repeat(60),
  'k'.repeat(61),
  'key:with:colons',
  'UPPER',
  'tab\tin\tkey'.repeat(30),
];

describe('keys.ts: Node and emitted Python agree', () => {
  it('validateKey accepts and refuses the same keys with the same error', async () => {
    const report = await expectAgreement(
      'validateKey',
      [...handPicked, ...sample(keyLike)].map((key) => [key]),
    );
    expect(report.errors).toBeGreaterThan(100);
    expect(report.errors).toBeLessThan(report.total - 100);
  });

  it('prefixedKey joins and validates the same way', async () => {
    const prefixes = ['', 'app:', 'é:', 'x'.repeat(249), 'with space:', '😀'];
    const vectors = [
      ...prefixes.flatMap((prefix) => handPicked.map((key) => [prefix, key])),
      // Prefixes are well-formed: a prefix ending in a lone high surrogate before a key starting with a lone low one
      // makes a pair in JS (UTF-16) but two lone code points in Python. PostgreSQL text never holds lone surrogates,
      // so that case cannot reach the wrapper.
      ...sample(fc.tuple(fc.oneof(fc.constantFrom(...prefixes), wellFormedString(10)), keyLike)),
    ];
    await expectAgreement('prefixedKey', vectors);
  });

  it('plainFullKey (the fast check) accepts and refuses the same keys, with and without a prefix', async () => {
    const prefixes = ['', 'app:', 'é:', 'x'.repeat(249), 'with space:', '😀'];
    const vectors = [
      ...prefixes.flatMap((prefix) => handPicked.map((key) => [prefix, key])),
      // Well-formed prefixes, for the reason given in the prefixedKey test.
      ...sample(fc.tuple(fc.oneof(fc.constantFrom(...prefixes), wellFormedString(10)), keyLike)),
    ];
    const report = await expectAgreement('plainFullKey', vectors);
    expect(report.errors).toBe(0);
  });

  it('plainFullKeys (the keys of a lookup checked at once) accepts and refuses the same lists', async () => {
    const lists = fc.array(
      fc.oneof(
        { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '😀'), maxLength: 8 }) },
        { weight: 1, arbitrary: keyLike },
      ),
      { maxLength: 5 },
    );
    const vectors = [
      ['', []],
      ['', ['a', 'b']],
      ['', ['a', 'b c']],
      ['p:', ['a', '']],
      ['', ['a', '\ud800']],
      ['', ['a', 'x'.repeat(251)]],
      ...sample(fc.tuple(fc.constantFrom('', 'app:', 'é:'), lists)),
    ];
    const report = await expectAgreement('plainFullKeys', vectors);
    expect(report.errors).toBe(0);
  });

  it('keyProblem names the same problem, or none, for the same keys', async () => {
    await expectAgreement(
      'keyProblem',
      [...handPicked, ...sample(keyLike)].map((key) => [key]),
    );
  });

  it('stripPrefix removes the same prefixes and returns null for the same misses', async () => {
    const vectors = [
      ['app:', 'app:key'],
      ['app:', 'app:'],
      ['app:', 'ap'],
      ['', 'key'],
      ['\ud83d', '😀'],
      ['😀', '😀x'],
      ['a', 'A'],
      ...sample(fc.tuple(anyString(6), anyString(12)).map(([prefix, rest]) => [prefix, prefix + rest])),
      ...sample(fc.tuple(anyString(6), anyString(12))),
    ];
    await expectAgreement('stripPrefix', vectors);
  });

  it('quoteForMessage escapes and elides the same way', async () => {
    await expectAgreement(
      'quoteForMessage',
      [...handPicked, ...sample(keyLike)].map((text) => [text]),
    );
  });
});
