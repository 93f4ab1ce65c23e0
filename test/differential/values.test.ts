// src/values.ts in Node vs the emitted pymcache_fdw/values.py under /usr/bin/python3: same results, same errors
// (class, message, hint, detail) on >= 1000 random vectors per function plus hand-picked edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runInNode, runInPython, type Outcome } from '../rig/differential';
import { SEED, anyString, interestingInteger, sample, wellFormedString } from '../runtime/vectors';
import { expectAgreement } from './agreement';

const VALUES = 'src/values.ts';
const MAX_RELATIVE_EXPIRE = 2592000;
const MAX_EXPIRE = 2147483647;
/** memcached's latest absolute expiration (32-bit unix time): 2038-01-19 03:14:07 UTC. */
const LATEST_EXPIRATION = 2147483647;

/** Integer-like text: signs, zeros, digits, trailing spaces (memcached pads decr results), and stray characters. */
const integerFragment = fc.constantFrom(
  '0',
  '00',
  '1',
  '7',
  '9',
  '32767',
  '32768',
  '2147483647',
  '2147483648',
  '9223372036854775807',
  '9223372036854775808',
  '-',
  '+',
  ' ',
  '  ',
  '.',
  'e',
  'x',
  '\t',
  '١',
  '٣',
  '²',
  '\u00a0',
  '_',
);
const integerText = fc.oneof(
  { weight: 4, arbitrary: fc.array(integerFragment, { maxLength: 5 }).map((parts) => parts.join('')) },
  { weight: 3, arbitrary: interestingInteger.map((n) => BigInt(n).toString()) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => n.toString()) },
  { weight: 1, arbitrary: anyString(12) },
);

const handPickedIntegerTexts = [
  '',
  ' ',
  '-',
  '+',
  '0',
  '-0',
  '+0',
  '000',
  '-000',
  '0 ',
  '12  ',
  ' 12',
  '12\t',
  '1 2',
  '+-1',
  '--1',
  '1-',
  '1e3',
  '1.0',
  '32767',
  '32768',
  '-32768',
  '-32769',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '00000000000000000000032767',
  '١٢٣',
  '²',
  '1_000',
  '9'.repeat(400),
];

const INTEGER_KINDS = ['smallint', 'integer', 'bigint'];
const VALUE_KINDS = ['text', 'bytea', 'json', 'jsonb', 'smallint', 'integer', 'bigint'];
const NUMBER_KINDS = ['smallint', 'integer', 'bigint', 'text'];
const keyName = fc.constantFrom('k', 'key with "quotes"', 'é😀', 'x'.repeat(80));

/** An independent model of parseDecimalText: optional sign, ASCII digits, trailing spaces; leading zeros dropped. */
function decimal(text: string): { negative: boolean; digits: string } | null {
  const match = /^([+-]?)([0-9]+) *$/.exec(text);
  if (match === null) return null;
  const digits = match[2]!.replace(/^0+(?=.)/, '');
  return { negative: match[1] === '-' && digits !== '0', digits };
}

describe('values.ts: Node and emitted Python agree', () => {
  it('parseDecimalText reads the same integers and refuses the same texts', async () => {
    const texts = [...handPickedIntegerTexts, ...sample(integerText)];
    const report = await expectAgreement(
      VALUES,
      'parseDecimalText',
      texts.map((text) => [text]),
    );
    expect(report.errors).toBe(0);
    // Both sides agree; this pins what they agree on for the hand-picked texts.
    const { parseDecimalText } = await import('../../src/values');
    expect(handPickedIntegerTexts.map((text) => parseDecimalText(text))).toEqual(handPickedIntegerTexts.map(decimal));
  });

  it('decimalText and fitsIntegerType', async () => {
    const parsed = [...handPickedIntegerTexts, ...sample(integerText)].map(decimal).filter((value) => value !== null);
    expect(parsed.length).toBeGreaterThan(500);
    await expectAgreement(
      VALUES,
      'decimalText',
      parsed.map((value) => [value]),
    );
    const kinds = [...INTEGER_KINDS, 'text', 'json', ''];
    const vectors = parsed.flatMap((value, index) => [
      [value, kinds[index % kinds.length]!],
      [value, INTEGER_KINDS[index % 3]!],
    ]);
    await expectAgreement(VALUES, 'fitsIntegerType', vectors);
  });

  it('encodeValue stores the same bytes and refuses the same values', async () => {
    const value = fc.oneof(
      integerText,
      anyString(20),
      interestingInteger,
      fc.uint8Array({ maxLength: 12 }),
      fc.constant(null),
      fc.boolean(),
    );
    const vectors = [
      ['12', 'integer', 'k'],
      [12, 'bigint', 'k'],
      [-0, 'smallint', 'k'],
      ['  7  ', 'integer', 'k'],
      ['007 ', 'bigint', 'k'],
      ['é', 'text', 'k'],
      ['\ud800', 'text', 'k'],
      ['{"a":1}', 'json', 'k'],
      ['not json', 'jsonb', 'k'],
      [null, 'text', 'k'],
      [5, 'text', 'k'],
      [new Uint8Array([0, 255]), 'bytea', 'k'],
      ['x', 'integer', 'key "q"'],
      [null, 'bigint', 'k'],
      ...sample(fc.tuple(value, fc.constantFrom(...VALUE_KINDS.filter((kind) => kind !== 'bytea')), keyName)),
      // Multicorn hands a bytea column's value over as bytes; nothing else reaches encodeValue for bytea.
      ...sample(fc.tuple(fc.uint8Array({ maxLength: 20 }), fc.constant('bytea'), keyName), 200),
    ];
    const report = await expectAgreement(VALUES, 'encodeValue', vectors);
    expect(report.errors).toBeGreaterThan(100);
    expect(report.errors).toBeLessThan(report.total - 100);
  });

  it('decodeValue reads the same SQL values and refuses the same stored bytes', async () => {
    const utf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
    const stored = fc.oneof(
      { weight: 3, arbitrary: integerText.map(utf8) },
      { weight: 2, arbitrary: wellFormedString(20).map(utf8) },
      { weight: 2, arbitrary: fc.oneof(fc.json(), fc.constantFrom('{"a":', '[1,]', '"\\u0000"', ' null ')).map(utf8) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
      // Truncated, overlong and surrogate encodings, and NUL: invalid or unreadable as text.
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            [0xc3],
            [0xc0, 0x80],
            [0xed, 0xa0, 0x80],
            [0xf4, 0x90, 0x80, 0x80],
            [0x61, 0x00, 0x62],
            [0xe2, 0x82],
          )
          .map((bytes) => new Uint8Array(bytes)),
      },
    );
    const vectors = [
      [utf8('32767'), 'smallint', 'k'],
      [utf8('32768'), 'smallint', 'k'],
      [utf8('12   '), 'integer', 'k'],
      [utf8('-0'), 'bigint', 'k'],
      [utf8('9223372036854775808'), 'bigint', 'k'],
      [utf8('{"a":[1,2]}'), 'jsonb', 'k'],
      [utf8('{"a":'), 'json', 'k'],
      [new Uint8Array([0xff]), 'text', 'k'],
      [new Uint8Array([0x61, 0x00]), 'text', 'k'],
      [new Uint8Array([0xff, 0x00]), 'bytea', 'k'],
      [utf8('x'.repeat(100)), 'integer', 'long value'],
      ...sample(fc.tuple(stored, fc.constantFrom(...VALUE_KINDS), keyName)),
    ];
    const report = await expectAgreement(VALUES, 'decodeValue', vectors);
    expect(report.errors).toBeGreaterThan(100);
    expect(report.errors).toBeLessThan(report.total - 100);
  });

  it('integerColumnValue', async () => {
    const vectors = [
      [null, 'integer', 'expire', 'k'],
      [600, 'integer', 'expire', 'k'],
      ['600', 'text', 'expire', 'k'],
      ['999999999999999', 'bigint', 'flags', 'k'],
      ['1000000000000000', 'bigint', 'flags', 'k'],
      ['-5 ', 'text', 'expire', 'k'],
      ['soon', 'text', 'expire', 'k'],
      [true, 'integer', 'expire', 'k'],
      ...sample(
        fc.tuple(
          fc.oneof(integerText, interestingInteger, fc.constant(null)),
          fc.constantFrom(...NUMBER_KINDS),
          fc.constantFrom('expire', 'flags'),
          keyName,
        ),
      ),
    ];
    const report = await expectAgreement(VALUES, 'integerColumnValue', vectors);
    expect(report.errors).toBeGreaterThan(100);
    expect(report.errors).toBeLessThan(report.total - 100);
  });

  it('checkedFlags and flagsColumnValue', async () => {
    const flags = fc.oneof(
      interestingInteger,
      fc.integer({ min: 0, max: 4294967295 }),
      fc.constantFrom(0, 32767, 32768, 2147483647, 2147483648, 4294967295, 4294967296, -1),
    );
    const checked = await expectAgreement(VALUES, 'checkedFlags', sample(fc.tuple(flags, keyName)));
    expect(checked.errors).toBeGreaterThan(50);
    const shown = await expectAgreement(
      VALUES,
      'flagsColumnValue',
      sample(
        fc.tuple(
          fc.oneof(
            fc.integer({ min: 0, max: 4294967295 }),
            fc.constantFrom(32767, 32768, 2147483647, 2147483648, 4294967295),
          ),
          fc.constantFrom(...NUMBER_KINDS),
          keyName,
        ),
      ),
    );
    expect(shown.errors).toBeGreaterThan(50);
  });

  it('memcachedExpire: up to 30 days as is, out of range refused, the same on both sides', async () => {
    const seconds = fc.oneof(
      fc.integer({ min: 0, max: MAX_RELATIVE_EXPIRE }),
      fc.integer({ min: -(2 ** 40), max: -1 }),
      fc.integer({ min: MAX_EXPIRE + 1, max: 2 ** 52 }),
      fc.constantFrom(0, 1, MAX_RELATIVE_EXPIRE, -1, MAX_EXPIRE + 1, -(2 ** 31)),
    );
    const report = await expectAgreement(VALUES, 'memcachedExpire', sample(fc.tuple(seconds, keyName)));
    expect(report.errors).toBeGreaterThan(100);
    expect(report.errors).toBeLessThan(report.total - 100);
  });

  it("memcachedExpire: beyond 30 days both send now + seconds, and both refuse what ends after 2038-01-19 (now read from each side's clock)", async () => {
    // Time-dependent: the result is checked against the clock around the run instead of compared exactly.
    const vectors = [
      [MAX_RELATIVE_EXPIRE + 1, 'k'],
      [MAX_EXPIRE, 'k'],
      ...sample(fc.tuple(fc.integer({ min: MAX_RELATIVE_EXPIRE + 1, max: MAX_EXPIRE }), keyName), 1000),
    ];
    const before = Math.floor(Date.now() / 1000);
    const node: Outcome[] = await runInNode(VALUES, 'memcachedExpire', vectors);
    const python: Outcome[] = await runInPython('pymcache_fdw.values', 'memcached_expire', vectors);
    const after = Math.floor(Date.now() / 1000);
    const nowUsed = (outcome: Outcome, seconds: number): number | string => {
      if (!('ok' in outcome) || outcome.ok === null || typeof outcome.ok !== 'object' || !('int' in outcome.ok))
        return JSON.stringify(outcome);
      return Number(outcome.ok.int) - seconds;
    };
    const refusal = (seconds: number): RegExp =>
      new RegExp(
        `^expire of key .* is ${seconds} seconds, which ends after 2038-01-19 03:14:07 UTC, the latest expiration memcached can hold$`,
      );
    let refused = 0;
    const wrong = vectors.flatMap((vector, index): Array<Record<string, unknown>> => {
      const seconds = vector[0] as number;
      if (before + seconds > LATEST_EXPIRATION) {
        refused += 1;
        const messages = [node[index]!, python[index]!].map((outcome) =>
          'error' in outcome ? (outcome.error.attributes['message'] ?? outcome.error.message) : JSON.stringify(outcome),
        );
        const agree =
          messages[0] === messages[1] && typeof messages[0] === 'string' && refusal(seconds).test(messages[0]);
        return agree ? [] : [{ seconds, messages }];
      }
      if (after + seconds > LATEST_EXPIRATION) return [];
      const fromNode = nowUsed(node[index]!, seconds);
      const fromPython = nowUsed(python[index]!, seconds);
      const inWindow = (now: number | string): boolean => typeof now === 'number' && now >= before && now <= after;
      return inWindow(fromNode) && inWindow(fromPython) ? [] : [{ seconds, fromNode, fromPython }];
    });
    expect(
      wrong.slice(0, 3),
      `now + seconds outside [${before}, ${after}], or not refused past 2038 (FC_SEED=${SEED})`,
    ).toEqual([]);
    expect(refused).toBeGreaterThan(100);
    expect(refused).toBeLessThan(vectors.length - 100);
  });
});
