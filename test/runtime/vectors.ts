// Shared generators for the runtime and differential tests: random vectors from fast-check, with a seed that a
// failing test reports (set FC_SEED to replay it).
import fc from 'fast-check';

export const RANDOM_RUNS = 1000;

export const SEED: number =
  process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;

let sampleCounter = 0;
/** `count` random values of `arbitrary`; each call uses its own seed derived from SEED, so samples differ. */
export function sample<T>(arbitrary: fc.Arbitrary<T>, count: number = RANDOM_RUNS): T[] {
  sampleCounter += 1;
  return fc.sample(arbitrary, { numRuns: count, seed: SEED + sampleCounter });
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));
const c0Control = fc.integer({ min: 0, max: 0x1f }).map((cp) => String.fromCodePoint(cp));
const c1Control = fc.integer({ min: 0x80, max: 0x9f }).map((cp) => String.fromCodePoint(cp));
const astral = fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp));
const specials = fc.constantFrom(
  ' ',
  '\t',
  '\n',
  '\r',
  '\u007f',
  '\u00a0',
  '\u2028',
  '\u3000',
  'é',
  'ß',
  'İ',
  '\ufeff',
  '\uffff',
  '"',
  '\\',
  ':',
  ',',
  '[',
  ']',
);

/** One code point: mostly ASCII, plus non-ASCII, astral, controls (C0 and C1), whitespace, DEL and specials. */
export const codePointUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: astral },
  { weight: 1, arbitrary: c0Control },
  { weight: 1, arbitrary: c1Control },
  { weight: 2, arbitrary: specials },
);

/** Strings of valid code points (no lone surrogates). */
export function wellFormedString(maxLength = 40): fc.Arbitrary<string> {
  return fc.string({ unit: codePointUnit, maxLength });
}

/** Strings that sometimes hold lone surrogates. */
export function anyString(maxLength = 40): fc.Arbitrary<string> {
  return fc.string({
    unit: fc.oneof({ weight: 12, arbitrary: codePointUnit }, { weight: 1, arbitrary: loneSurrogate }),
    maxLength,
  });
}

/** Integers across the interesting ranges: small, around 2^31/2^32, up to and past 2^53. */
export const interestingInteger: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer(),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.maxSafeInteger(),
  fc.constantFrom(
    2 ** 31 - 1,
    2 ** 31,
    2 ** 31 + 1,
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 1,
    -(2 ** 31),
    -(2 ** 32),
    2 ** 53 - 1,
    2 ** 53,
    -(2 ** 53),
    2 ** 60,
    1e21,
    -1e21,
  ),
);

/** Unsigned 32-bit values. */
export const u32Value: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff),
);
