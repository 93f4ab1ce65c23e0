// Every runtime primitive through the Node binding (src/ports/runtime.ts) and the Python binding (_runtime.py under
// /usr/bin/python3) on the same vectors: >= 1000 random ones per function plus hand-picked edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differential, float, type DifferentialOptions } from '../rig/differential';
import { RANDOM_RUNS, SEED, anyString, interestingInteger, sample, u32Value, wellFormedString } from './vectors';

const RUNTIME = 'src/ports/runtime.ts';

async function expectAgreement(
  fn: string,
  vectors: unknown[][],
  options: DifferentialOptions = {},
): Promise<{ errors: number }> {
  const report = await differential(RUNTIME, fn, vectors, options);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  expect(report.total).toBe(vectors.length);
  return report;
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const randomBytes = fc.uint8Array({ maxLength: 64 });
const utf8Of = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

describe('UTF-8 primitives agree between Node and Python', () => {
  const handPicked = [
    '',
    'a',
    'é',
    '€',
    '😀',
    'a😀b',
    '\ud800',
    'x\udfffy',
    '\ud83d',
    '\ude00\ud83d',
    '\u0000',
    'x'.repeat(250),
    'é'.repeat(125),
    'é'.repeat(126),
    '\u2028',
    '\ufeff',
  ];

  it('utf8Encode: bytes for well-formed text, LoneSurrogateError with the code point index otherwise', async () => {
    const vectors = [...handPicked, ...sample(anyString())].map((s) => [s]);
    const report = await expectAgreement('utf8Encode', vectors);
    expect(report.errors).toBeGreaterThan(0);
  });

  it('utf8ByteLength: UTF-8 length, 250/251 boundaries, refuses lone surrogates', async () => {
    const vectors = [...handPicked, 'a'.repeat(251), '😀'.repeat(63), ...sample(anyString(80))].map((s) => [s]);
    await expectAgreement('utf8ByteLength', vectors);
  });

  it('utf8Decode: strict decoding with the same byte offset and reason for every invalid sequence', async () => {
    const invalid = [
      bytes(0x80),
      bytes(0xc0, 0x80),
      bytes(0xc1, 0xbf),
      bytes(0xc2),
      bytes(0xe2, 0x82),
      bytes(0xe2, 0x28, 0xa1),
      bytes(0xe0, 0x80, 0x80),
      bytes(0xed, 0xa0, 0x80),
      bytes(0xf0, 0x8f, 0xbf, 0xbf),
      bytes(0xf4, 0x90, 0x80, 0x80),
      bytes(0xf5, 0x80, 0x80, 0x80),
      bytes(0xff),
      bytes(0x61, 0x62, 0xf0, 0x9f, 0x98),
      bytes(0x61, 0xf0, 0x9f, 0x41),
    ];
    const valid = ['', 'abc', 'é€😀', '\u0000\u007f\u0080\u07ff\u0800\uffff'].map(utf8Of);
    const randomValid = sample(wellFormedString()).map(utf8Of);
    const randomCorrupted = sample(fc.tuple(wellFormedString(), fc.nat(), fc.integer({ min: 0x80, max: 0xff }))).map(
      ([s, at, byte]) => {
        const encoded = utf8Of(s + 'é😀');
        encoded[at % encoded.length] = byte;
        return encoded;
      },
    );
    const vectors = [...invalid, ...valid, ...randomValid, ...randomCorrupted, ...sample(randomBytes)].map((b) => [b]);
    const report = await expectAgreement('utf8Decode', vectors);
    expect(report.errors).toBeGreaterThan(RANDOM_RUNS / 4);
  });

  it('codePoints: one element per code point, surrogate pairs joined, lone surrogates alone', async () => {
    const vectors = [...handPicked, ...sample(anyString())].map((s) => [s]);
    await expectAgreement('codePoints', vectors);
  });

  it('codePointOf: the code point of exactly one character, ValueError otherwise', async () => {
    const singles = sample(
      fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)),
      ),
    );
    const vectors = [
      ['a'],
      ['😀'],
      ['\ud800'],
      [''],
      ['ab'],
      ['😀😀'],
      ...singles.map((s) => [s]),
      ...sample(anyString(3)).map((s) => [s]),
    ];
    await expectAgreement('codePointOf', vectors);
  });

  it('sortedStrings: code point order (U+FFFF sorts before U+10000, unlike UTF-16 order)', async () => {
    const vectors = [
      [['\uffff', '😀', 'a', '']],
      [['b', 'a', 'B', 'é', 'e']],
      [[]],
      ...sample(fc.array(wellFormedString(6), { maxLength: 8 })).map((items) => [items]),
    ];
    await expectAgreement('sortedStrings', vectors);
  });
});

describe('hashes agree between Node and Python', () => {
  const handPicked = [
    bytes(),
    utf8Of('a'),
    utf8Of('The quick brown fox jumps over the lazy dog'),
    new Uint8Array(1000).fill(0xff),
  ];
  for (const fn of ['md5', 'crc32', 'bytesToHex']) {
    it(`${fn} on hand-picked and random bytes`, async () => {
      await expectAgreement(
        fn,
        [...handPicked, ...sample(randomBytes)].map((b) => [b]),
      );
    });
  }
});

describe('unsigned 32-bit arithmetic agrees between Node and Python', () => {
  it('u32 wraps any integer modulo 2^32 and refuses fractions', async () => {
    const vectors = [[float(0.5)], [float(-1.25)], [float(1e-7)], ...sample(interestingInteger).map((n) => [n])];
    const report = await expectAgreement('u32', [[0], [-1], [2 ** 32], [2 ** 31], [-(2 ** 31)], [2 ** 53], ...vectors]);
    expect(report.errors).toBe(3);
  });

  for (const fn of ['u32Add', 'u32Mul', 'u32Xor', 'u32And', 'u32Or']) {
    it(`${fn} on u32 values and on wider integers`, async () => {
      const vectors = [
        [0xffffffff, 0xffffffff],
        [0x80000000, 2],
        [0, 0],
        [-1, 1],
        [2 ** 53 - 1, 2 ** 53 - 1],
        [2 ** 60, 3],
        ...sample(fc.tuple(u32Value, u32Value)),
        ...sample(fc.tuple(interestingInteger, interestingInteger)),
      ];
      await expectAgreement(fn, vectors);
    });
  }

  for (const fn of ['u32Shl', 'u32Shr', 'u32Rotl']) {
    it(`${fn} with counts 0..31 and refused counts outside`, async () => {
      const vectors = [
        [0x80000001, 0],
        [0x80000001, 1],
        [0x80000001, 31],
        [1, 32],
        [1, -1],
        [0xdeadbeef, 16],
        ...sample(fc.tuple(u32Value, fc.integer({ min: -2, max: 33 }))),
      ];
      const report = await expectAgreement(fn, vectors);
      expect(report.errors).toBeGreaterThan(0);
    });
  }
});

describe('number parsing and formatting agree between Node and Python', () => {
  const numericText = fc.oneof(
    fc.stringMatching(/^[+-]?[0-9]{0,20}(\.[0-9]{0,20})?$/),
    fc.stringMatching(/^[+-]?[0-9]{1,5}([eE][+-]?[0-9]{1,3})?$/),
    fc.integer().map(String),
    fc.double({ noNaN: true }).map(String),
    anyString(8),
  );
  const handPicked = [
    '',
    '0',
    '-0',
    '+0',
    '007',
    '-',
    '+',
    '1_000',
    ' 1',
    '1 ',
    '1\n',
    '١٢',
    '９',
    '0x10',
    '1e3',
    '1.',
    '.5',
    '.',
    '-.5',
    '9007199254740991',
    '9007199254740992',
    '-9007199254740991',
    '-9007199254740992',
    'inf',
    'nan',
    'Infinity',
    'NaN',
    '1'.repeat(400),
    `0.${'0'.repeat(400)}1`,
    '4294967296',
    '2147483648',
    '1.7976931348623157',
    '123456789012345678901234567890',
  ];

  it('parseDecimalInt: optional sign and ASCII digits within ±(2^53-1), null otherwise', async () => {
    await expectAgreement(
      'parseDecimalInt',
      [...handPicked, ...sample(numericText)].map((s) => [s]),
    );
  });

  it('parseDecimalFloat: strict decimal (no exponent, inf or nan), null otherwise; floats on both sides', async () => {
    await expectAgreement(
      'parseDecimalFloat',
      [...handPicked, ...sample(numericText)].map((s) => [s]),
      { floatResult: true },
    );
  });

  it('intToString: decimal text of safe integers, ValueError otherwise', async () => {
    const vectors = [
      [0],
      [-1],
      [2 ** 53 - 1],
      [-(2 ** 53 - 1)],
      [2 ** 53],
      [1e21],
      [float(1.5)],
      [float(Number.NaN)],
      [float(Infinity)],
      ...sample(interestingInteger).map((n) => [n]),
    ];
    await expectAgreement('intToString', vectors);
  });

  it('formatFloat: exactly repr(float) for every finite double, ValueError for NaN and infinities', async () => {
    const handPickedFloats = [
      0,
      -0,
      1,
      -1,
      0.1,
      0.5,
      1.5,
      100,
      1e15,
      1e16,
      123456789012345680,
      1e21,
      1e22,
      1e-4,
      1e-5,
      1e-7,
      0.00012345,
      5e-324,
      2.2250738585072014e-308,
      1.7976931348623157e308,
      2 ** 53,
      2 ** 53 + 2,
      // eslint-disable-next-line no-loss-of-precision -- 2^53 + 1 is the vector: a number Node cannot hold exactly
      9007199254740993,
      0.1 + 0.2,
      1 / 3,
      2 / 3,
      12345.678,
      1e100,
      1.5e-10,
      Number.NaN,
      Infinity,
      -Infinity,
    ];
    const randomFloats = sample(
      fc.oneof(
        fc.double(),
        fc.double({ min: -1e20, max: 1e20 }),
        fc.integer().map((n) => n / 1000),
      ),
    );
    const report = await expectAgreement(
      'formatFloat',
      [...handPickedFloats, ...randomFloats].map((f) => [float(f)]),
    );
    expect(report.errors).toBeGreaterThanOrEqual(3);
  });

  it('intDiv: truncates toward zero (not floor), ZeroDivisionError on zero', async () => {
    const vectors = [
      [7, 2],
      [-7, 2],
      [7, -2],
      [-7, -2],
      [0, 5],
      [-1, 3],
      [5, 0],
      [0, 0],
      [2 ** 53 - 1, 2],
      [-(2 ** 53 - 1), 7],
      ...sample(
        fc.tuple(
          fc.oneof(fc.integer(), fc.maxSafeInteger()),
          fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer()),
        ),
      ),
    ];
    await expectAgreement('intDiv', vectors);
  });
});

describe('JSON agrees between Node and Python', () => {
  const key = fc.oneof(
    fc.constantFrom('a', 'b', 'key', 'é', '😀', 'with space', '', '__proto__'),
    // Integer-like keys are left out on purpose: JS objects order them first (see runtime.ts).
    wellFormedString(6).map((s) => `k${s}`),
  );
  const jsonLeaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer(), fc.maxSafeInteger()),
    anyString(12),
  );
  const jsonTree = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, jsonLeaf, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  })).value;

  it('jsonStringify: compact, non-ASCII kept, lone surrogates escaped, insertion order; floats refused', async () => {
    const vectors = [
      [null],
      [true],
      [0],
      [-(2 ** 53 - 1)],
      [''],
      ['\u0000\u001f\u007f\u2028\ud800"\\/é😀'],
      [[1, 'a', null]],
      [{ b: 1, a: [{}] }],
      [float(1.5)],
      [float(1e-7)],
      [2 ** 53],
      [[float(0.5)]],
      ...sample(jsonTree).map((v) => [v]),
    ];
    const report = await expectAgreement('jsonStringify', vectors);
    expect(report.errors).toBe(4);
  });

  it('jsonParse: standard JSON with integers only; errors are InvalidJsonError on both sides (messages differ)', async () => {
    const documents = sample(jsonTree).map((v) => JSON.stringify(v));
    const withFloats = sample(fc.double({ noNaN: true, noDefaultInfinity: true })).map((d) => JSON.stringify([d]));
    const mutated = sample(
      fc.tuple(jsonTree, fc.nat(), fc.constantFrom('', '"', ',', ']', '}', '{', 'x', '1.5', ' ', '\u0000')),
    ).map(([v, at, insert]) => {
      const text = JSON.stringify(v);
      const cut = at % (text.length + 1);
      return text.slice(0, cut) + insert + text.slice(cut);
    });
    const handPicked = [
      '',
      ' ',
      '0',
      '-0',
      '[-0]',
      '1.0',
      '1e5',
      '-',
      '01',
      'NaN',
      'Infinity',
      '-Infinity',
      '9007199254740991',
      '9007199254740992',
      '[9007199254740993]',
      ' [1] ',
      '{"a":1,"a":2}',
      '"\\ud800"',
      '"\\ud83d\\ude00"',
      'true',
      'nul',
      '"\u0001"',
      '{"a" : [ 1 , 2 ] }',
      '\ufeff1',
      '1 2',
      '{"x":"1.5"}',
      '"e1.5"',
    ];
    const vectors = [...handPicked, ...documents, ...withFloats, ...mutated].map((s) => [s]);
    const report = await expectAgreement('jsonParse', vectors, { compareMessages: false });
    expect(report.errors).toBeGreaterThan(RANDOM_RUNS / 2);
  });
});

describe('arrayItem agrees between Node and Python', () => {
  it('returns the element for 0 <= i < length and null (undefined/None) outside, never wrapping', async () => {
    const vectors = [
      [[], 0],
      [['a'], 0],
      [['a'], 1],
      [['a'], -1],
      [['a', 'b'], -2],
      [[1, 2, 3], 2],
      [[null, 1], 0],
      ...sample(fc.tuple(fc.array(fc.integer(), { maxLength: 5 }), fc.integer({ min: -7, max: 7 }))),
    ];
    await expectAgreement('arrayItem', vectors);
  });
});
