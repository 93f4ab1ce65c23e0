// The bytes primitives of the runtime port (used by src/memcache/) through the Node binding and through _runtime.py
// under /usr/bin/python3 on the same vectors: >= 1000 random ones per function plus hand-picked edge cases. The
// inline ones must agree with Python's own bytes methods for every integer start, negative and past the end included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differential, float, type DifferentialOptions } from '../rig/differential';
import { SEED, interestingInteger, sample } from './vectors';

const RUNTIME = 'src/ports/runtime.ts';

async function expectAgreement(
  fn: string,
  vectors: unknown[][],
  options: DifferentialOptions = {},
): Promise<{ total: number; errors: number }> {
  const report = await differential(RUNTIME, fn, vectors, options);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  expect(report.total).toBe(vectors.length);
  return report;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
/** Bytes over a small alphabet, so that searches and splits find something often. */
const smallAlphabet = fc
  .uint8Array({ min: 0x0a, max: 0x0e, maxLength: 24 })
  .map((b) => b.map((x) => [0x0d, 0x0a, 0x20, 0x61, 0x62][x - 0x0a]!));
const anyBytes = fc.uint8Array({ maxLength: 40 });
const someBytes = fc.oneof(smallAlphabet, anyBytes);

describe('searching bytes agrees between Node and Python', () => {
  const handPicked: [string, string, number][] = [
    ['', '', 0],
    ['', '', 1],
    ['', '', -1],
    ['abc', '', 3],
    ['abc', '', 4],
    ['abc', '', -1],
    ['abc', '', -10],
    ['abc', 'c', -1],
    ['abc', 'a', -10],
    ['abc', 'abcd', 0],
    ['a\r\nb\r\n', '\r\n', 0],
    ['a\r\nb\r\n', '\r\n', 2],
    ['a\r\nb\r\n', '\r\n', 3],
    ['aaa', 'aa', 1],
  ];

  it('bytesFind is haystack.find(needle, start): negative starts count from the end, past the end is -1', async () => {
    const random = sample(
      fc.tuple(
        someBytes,
        fc.oneof(
          smallAlphabet.map((b) => b.slice(0, 3)),
          fc.constant(new Uint8Array()),
        ),
        fc.integer({ min: -30, max: 30 }),
      ),
    );
    const vectors = [...handPicked.map(([h, n, s]) => [bytes(h), bytes(n), s]), ...random];
    await expectAgreement('bytesFind', vectors);
  });

  it('bytesStartsWith is data.startswith(prefix, position), with the same reading of the position', async () => {
    const random = sample(
      fc.tuple(
        someBytes,
        smallAlphabet.map((b) => b.slice(0, 3)),
        fc.integer({ min: -30, max: 30 }),
      ),
    );
    const vectors = [...handPicked.map(([h, n, s]) => [bytes(h), bytes(n), s]), ...random];
    await expectAgreement('bytesStartsWith', vectors);
  });
});

describe('building and comparing bytes agrees between Node and Python', () => {
  it('bytesConcat joins the parts in order (no parts, empty parts, large parts)', async () => {
    const vectors = [
      [[]],
      [[new Uint8Array()]],
      [[bytes('a'), new Uint8Array(), bytes('\r\n')]],
      [[new Uint8Array(70000).fill(7), bytes('x')]],
      ...sample(fc.array(someBytes, { maxLength: 6 })).map((parts) => [parts]),
    ];
    await expectAgreement('bytesConcat', vectors);
  });

  it('bytesJoin puts the separator between each two parts (no parts, one part, empty parts and separators)', async () => {
    const vectors = [
      [[], bytes(' ')],
      [[bytes('a')], bytes(' ')],
      [[bytes('a'), new Uint8Array(), bytes('b')], bytes(' ')],
      [[bytes('a'), bytes('b')], new Uint8Array()],
      ...sample(fc.tuple(fc.array(someBytes, { maxLength: 6 }), someBytes)).map(([parts, separator]) => [
        parts,
        separator,
      ]),
    ];
    await expectAgreement('bytesJoin', vectors);
  });

  it('bytesEqual compares contents, not identity', async () => {
    const equalPairs = sample(someBytes, 300).map((b) => [b, Uint8Array.from(b)]);
    const vectors = [
      [new Uint8Array(), new Uint8Array()],
      [bytes('a'), bytes('b')],
      [bytes('ab'), bytes('a')],
      ...equalPairs,
      ...sample(fc.tuple(someBytes, someBytes), 1000),
    ];
    await expectAgreement('bytesEqual', vectors);
  });

  it('bytesCompare orders bytes as Python does (byte by byte, a prefix first)', async () => {
    const equalPairs = sample(someBytes, 100).map((b) => [b, Uint8Array.from(b)]);
    const prefixes = sample(someBytes, 100).map((b) => [b, Uint8Array.from([...b, 0])]);
    const vectors = [
      [new Uint8Array(), new Uint8Array()],
      [bytes('a'), bytes('b')],
      [bytes('ab'), bytes('a')],
      [bytes('\u00ff'), bytes('z')],
      ...equalPairs,
      ...prefixes,
      ...sample(fc.tuple(someBytes, someBytes), 1000),
    ];
    await expectAgreement('bytesCompare', vectors);
  });

  it('bytesSplit is data.split(separator): empty pieces kept, multi-byte separators, InvalidArgumentError for an empty one', async () => {
    const handPicked = [
      [bytes(''), bytes(' ')],
      [bytes(' a  b '), bytes(' ')],
      [bytes('aaa'), bytes('aa')],
      [bytes('VALUE k 0 5'), bytes(' ')],
      [bytes('x'), new Uint8Array()],
    ];
    const random = sample(
      fc.tuple(
        someBytes,
        fc.oneof(
          smallAlphabet.map((b) => b.slice(0, 2)),
          fc.constant(bytes(' ')),
        ),
      ),
    );
    const report = await expectAgreement('bytesSplit', [...handPicked, ...random]);
    expect(report.errors).toBeGreaterThanOrEqual(1);
  });

  it('bytesOf builds bytes from values 0 to 255 and refuses anything else', async () => {
    const values = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -3, max: 300 })), {
      maxLength: 8,
    });
    const vectors = [
      [[]],
      [[0, 255]],
      [[256]],
      [[-1]],
      [[float(1.5)]],
      [[float(Number.NaN)]],
      ...sample(values).map((v) => [v]),
    ];
    const report = await expectAgreement('bytesOf', vectors);
    expect(report.errors).toBeGreaterThan(4);
  });
});

describe('reading numbers and text from bytes agrees between Node and Python', () => {
  const digitText = fc.oneof(
    fc.stringMatching(/^[0-9]{0,22}$/),
    fc.stringMatching(/^[+-]?[0-9 _]{0,6}$/),
    fc.integer({ min: 0 }).map(String),
    fc.maxSafeInteger().map(String),
  );
  const handPicked = [
    '',
    '0',
    '00',
    '007',
    '1',
    '123456789012345',
    '999999999999999',
    '1234567890123456',
    '9007199254740991',
    '-1',
    '+1',
    ' 1',
    '1 ',
    '1_000',
    '1\n',
    '0x10',
    '1e3',
    '18446744073709551615',
    '18446744073709551616',
  ];
  const textVectors = (): Uint8Array[] => [
    ...handPicked.map(bytes),
    new Uint8Array(Buffer.from('١٢', 'utf8')),
    new Uint8Array(Buffer.from('９', 'utf8')),
    new Uint8Array([0x31, 0xb2]),
    ...sample(digitText).map(bytes),
    ...sample(anyBytes, 300),
  ];

  it('isAsciiDigits is b.isdigit(): one or more of 0-9 only (no Unicode digits, no signs, no spaces)', async () => {
    await expectAgreement(
      'isAsciiDigits',
      textVectors().map((b) => [b]),
    );
  });

  it('parseAsciiDigits reads 1 to 15 ASCII digits and answers -1 for everything else', async () => {
    await expectAgreement(
      'parseAsciiDigits',
      textVectors().map((b) => [b]),
    );
  });

  it('latin1Decode maps each byte to the code point of the same value', async () => {
    const everyByte = new Uint8Array(256).map((_, i) => i);
    await expectAgreement('latin1Decode', [[new Uint8Array()], [everyByte], ...sample(anyBytes).map((b) => [b])]);
  });

  it('intToAscii writes the decimal ASCII of safe integers and refuses fractions, NaN and unsafe integers', async () => {
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
    const report = await expectAgreement('intToAscii', vectors);
    expect(report.errors).toBeGreaterThanOrEqual(5);
  });

  it('hasSpaceOrControl finds bytes 0x00-0x20 and 0x7f, and nothing else (0x80-0xff are key bytes)', async () => {
    const everyByte = Array.from({ length: 256 }, (_, i) => [new Uint8Array([0x61, i])]);
    const report = await expectAgreement('hasSpaceOrControl', [
      [new Uint8Array()],
      ...everyByte,
      ...sample(anyBytes).map((b) => [b]),
    ]);
    expect(report.total).toBeGreaterThan(1000);
  });
});
