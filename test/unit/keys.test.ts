// Exact behaviour of src/keys.ts in Node: what memcached's text protocol accepts as a key, the prefix rules, and
// error messages that name the key and the reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidKeyError,
  keyProblem,
  MAX_KEY_BYTES,
  plainFullKey,
  plainFullKeys,
  prefixedKey,
  quoteForMessage,
  stripPrefix,
  validateKey,
} from '../../src/keys';
import { SEED, anyString, codePointUnit } from '../runtime/vectors';

const RULE = 'a key must be 1 to 250 bytes of UTF-8 with no spaces or control characters';

function keyError(action: () => unknown): InvalidKeyError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidKeyError) return error;
    throw error;
  }
  throw new Error('expected an InvalidKeyError');
}

describe('validateKey', () => {
  it('accepts 1 to 250 UTF-8 bytes, counting bytes rather than characters', () => {
    expect(MAX_KEY_BYTES).toBe(250);
    for (const key of ['a', 'x'.repeat(250), 'é'.repeat(125), '😀'.repeat(62) + 'ab', 'user:42', 'naïve-ключ']) {
      expect(() => validateKey(key)).not.toThrow();
    }
    expect(keyError(() => validateKey('é'.repeat(125) + 'x')).reason).toBe('it is 251 bytes long in UTF-8');
    expect(keyError(() => validateKey('😀'.repeat(63))).reason).toBe('it is 252 bytes long in UTF-8');
  });

  it('refuses the empty key, spaces, C0 controls and DEL, naming the character position', () => {
    expect(keyError(() => validateKey('')).message).toBe(`invalid memcached key "": it is empty; ${RULE}`);
    expect(keyError(() => validateKey('a b')).message).toBe(
      `invalid memcached key "a b": it contains a space (character 2); ${RULE}`,
    );
    const newline = keyError(() => validateKey('é\n'));
    expect(newline.key).toBe('é\n');
    expect(newline.reason).toBe('it contains the control character \\x0a (character 2)');
    expect(newline.message).toBe(
      `invalid memcached key "é\\x0a": it contains the control character \\x0a (character 2); ${RULE}`,
    );
    expect(keyError(() => validateKey('\u0000')).reason).toBe('it contains the control character \\x00 (character 1)');
    expect(keyError(() => validateKey('a\u007f')).reason).toBe('it contains the control character \\x7f (character 2)');
  });

  it('accepts C1 controls and non-ASCII spaces, which are bytes >= 0x80 on the wire', () => {
    for (const key of ['\u0080', 'a\u0085b', '\u009f', '\u00a0', '\u2028', '\u3000'])
      expect(() => validateKey(key)).not.toThrow();
  });

  it('refuses lone surrogates, which have no UTF-8 encoding', () => {
    expect(keyError(() => validateKey('ab\ud800')).reason).toBe(
      'it contains the lone surrogate \\ud800 (character 3), which has no UTF-8 encoding',
    );
  });

  it('reports the first offending character before the length', () => {
    expect(keyError(() => validateKey(`${'x'.repeat(300)} `)).reason).toBe('it contains a space (character 301)');
  });

  it('shows long keys elided after 60 characters with their total length', () => {
    const error = keyError(() => validateKey('k'.repeat(300)));
    expect(error.message).toBe(
      `invalid memcached key "${'k'.repeat(60)}…" (300 characters): it is 300 bytes long in UTF-8; ${RULE}`,
    );
    expect(error.key).toBe('k'.repeat(300));
  });
});

describe('quoteForMessage', () => {
  it('escapes quotes, backslashes, controls and lone surrogates, and nothing else', () => {
    expect(quoteForMessage('a"b\\c\td\u007f\udc00é😀\u0085')).toBe('"a\\"b\\\\c\\x09d\\x7f\\udc00é😀\u0085"');
    expect(quoteForMessage('k'.repeat(60))).toBe(`"${'k'.repeat(60)}"`);
    expect(quoteForMessage('😀'.repeat(61))).toBe(`"${'😀'.repeat(60)}…" (61 characters)`);
  });
});

describe('prefixedKey and stripPrefix', () => {
  it('prefixes and validates the whole key: the prefix counts toward 250 bytes', () => {
    expect(prefixedKey('app:', 'user:1')).toBe('app:user:1');
    expect(prefixedKey('', 'k')).toBe('k');
    expect(prefixedKey('x'.repeat(249), 'k')).toBe(`${'x'.repeat(249)}k`);
    const tooLong = keyError(() => prefixedKey('x'.repeat(249), 'é'));
    expect(tooLong.key).toBe(`${'x'.repeat(249)}é`);
    expect(tooLong.reason).toBe('it is 251 bytes long in UTF-8');
    expect(keyError(() => prefixedKey('my app:', 'k')).reason).toBe('it contains a space (character 3)');
  });

  it('refuses an empty key even under a non-empty prefix', () => {
    const error = keyError(() => prefixedKey('app:', ''));
    expect(error.key).toBe('');
    expect(error.reason).toBe('it is empty');
  });

  it('strips the prefix by code points and returns null when the key lacks it', () => {
    expect(stripPrefix('app:', 'app:user')).toBe('user');
    expect(stripPrefix('app:', 'app:')).toBe('');
    expect(stripPrefix('', 'key')).toBe('key');
    expect(stripPrefix('app:', 'other:user')).toBeNull();
    expect(stripPrefix('app:', 'ap')).toBeNull();
    expect(stripPrefix('App:', 'app:x')).toBeNull();
    // A lone high surrogate is not a prefix of the astral character it would start in UTF-16.
    expect(stripPrefix('\ud83d', '😀x')).toBeNull();
  });
});

describe('plainFullKey (the fast check) and keyProblem (the diagnosis)', () => {
  it('agree on hand-picked keys at every boundary of the rule', () => {
    const accepted = [
      'a',
      '!',
      '~',
      'x'.repeat(250),
      'é'.repeat(125),
      '😀'.repeat(62) + 'ab',
      '\u0080',
      '\u009f',
      '\u00a0',
      '\u3000',
    ];
    const refused: Array<[string, string]> = [
      ['', 'it is empty'],
      [' ', 'it contains a space (character 1)'],
      ['\u001f', 'it contains the control character \\x1f (character 1)'],
      ['a\u007f', 'it contains the control character \\x7f (character 2)'],
      ['x'.repeat(251), 'it is 251 bytes long in UTF-8'],
      ['😀'.repeat(62) + 'abc', 'it is 251 bytes long in UTF-8'],
      ['\udc00x', 'it contains the lone surrogate \\udc00 (character 1), which has no UTF-8 encoding'],
    ];
    for (const key of accepted) expect([plainFullKey('', key), keyProblem(key)]).toEqual([key, null]);
    for (const [key, problem] of refused) expect([plainFullKey('', key), keyProblem(key)]).toEqual([null, problem]);
    expect(plainFullKey('app:', 'k')).toBe('app:k');
    expect(plainFullKey('app:', '')).toBeNull();
    expect(plainFullKey('x'.repeat(249), 'é')).toBeNull();
  });

  it('accept exactly the same keys on random keys: astral, controls, lone surrogates, 250 and 251 bytes', () => {
    const clean = fc.constantFrom('a', 'Z', '~', ':', 'é', '€', '😀', '\u0085', '\u00a0');
    // Keys of 246 to 254 bytes of clean characters, some with one character of any kind put in.
    const nearLimit = fc
      .tuple(clean, fc.integer({ min: 246, max: 254 }), fc.option(codePointUnit), fc.nat())
      .map(([unit, bytes, extra, at]) => {
        const characters = Array.from(unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit))));
        while (Buffer.byteLength(characters.join('')) > bytes) characters.pop();
        if (extra !== null) characters.splice(at % (characters.length + 1), 0, extra);
        return characters.join('');
      });
    const key = fc.oneof(
      { weight: 3, arbitrary: anyString(40) },
      { weight: 2, arbitrary: nearLimit },
      { weight: 1, arbitrary: fc.string({ unit: clean, maxLength: 20 }) },
    );
    let acceptedCount = 0;
    let refusedCount = 0;
    let atTheLimit = 0;
    fc.assert(
      fc.property(key, fc.nat(), (fullKey, split) => {
        const problem = keyProblem(fullKey);
        expect(plainFullKey('', fullKey)).toBe(problem === null ? fullKey : null);
        // Split into prefix and key (by code points, as a prefix never ends in half a character).
        const characters = Array.from(fullKey);
        const cut = split % (characters.length + 1);
        const prefix = characters.slice(0, cut).join('');
        const rest = characters.slice(cut).join('');
        expect(plainFullKey(prefix, rest)).toBe(problem === null && rest !== '' ? fullKey : null);
        if (problem === null) acceptedCount += 1;
        else refusedCount += 1;
        if (Buffer.byteLength(fullKey) === MAX_KEY_BYTES || Buffer.byteLength(fullKey) === MAX_KEY_BYTES + 1)
          atTheLimit += 1;
      }),
      { numRuns: 2000, seed: SEED },
    );
    // Both outcomes and both sides of the limit are exercised, not just one of them.
    expect(acceptedCount).toBeGreaterThan(300);
    expect(refusedCount).toBeGreaterThan(300);
    expect(atTheLimit).toBeGreaterThan(50);
  });
});

describe('plainFullKeys (every key of a lookup checked at once)', () => {
  /** What plainFullKeys must answer: each key's plainFullKey when all are plain, else null. */
  function oneByOne(prefix: string, keys: string[]): string[] | null {
    const fullKeys = keys.map((key) => plainFullKey(prefix, key));
    return fullKeys.every((fullKey) => fullKey !== null) ? (fullKeys as string[]) : null;
  }

  it('answers as plainFullKey key by key on hand-picked lists', () => {
    const lists: Array<[string, string[]]> = [
      ['', []],
      ['', ['a']],
      ['', ['a', 'b']],
      ['', ['a', '']],
      ['p:', ['', 'a']],
      ['', ['a b', 'c']],
      ['', ['a', 'b c']],
      ['', ['a', 'x'.repeat(250)]],
      ['', ['a', 'x'.repeat(251)]],
      ['x'.repeat(249), ['a', 'é']],
      ['', ['a', '\u007f']],
      ['', ['a', '\ud800']],
      ['with space', ['a', 'b']],
      ['', ['é', '😀', '\u00a0']],
      ['', ['a', 'a']],
      ['', ['a\tb', 'c']],
    ];
    for (const [prefix, keys] of lists)
      expect([prefix, keys, plainFullKeys(prefix, keys)]).toEqual([prefix, keys, oneByOne(prefix, keys)]);
  });

  it('answers as plainFullKey key by key on random lists (spaces, controls, lone surrogates, 250 and 251 bytes)', () => {
    const key = fc.oneof(
      { weight: 5, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '😀', ':'), maxLength: 12 }) },
      { weight: 1, arbitrary: anyString(8) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(250), 'x'.repeat(251), '\ud83d', 'a\u0000') },
    );
    let plainLists = 0;
    fc.assert(
      fc.property(fc.constantFrom('', 'app:', 'é'), fc.array(key, { maxLength: 6 }), (prefix, keys) => {
        const expected = oneByOne(prefix, keys);
        expect(plainFullKeys(prefix, keys)).toEqual(expected);
        if (expected !== null) plainLists += 1;
      }),
      { numRuns: 2000, seed: SEED },
    );
    expect(plainLists).toBeGreaterThan(200);
  });
});
