// Exact results of the runtime port's Node binding on hand-picked inputs (the differential test then holds the
// Python binding to the same results), plus the one primitive that cannot be compared vector by vector: the clock.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DivisionByZeroError,
  InvalidArgumentError,
  InvalidJsonError,
  InvalidUtf8Error,
  LoneSurrogateError,
  arrayItem,
  bytesToHex,
  codePointOf,
  codePoints,
  crc32,
  formatFloat,
  intDiv,
  intToString,
  jsonParse,
  jsonStringify,
  md5,
  nowSeconds,
  parseDecimalFloat,
  parseDecimalInt,
  sortedStrings,
  u32,
  u32Add,
  u32Mul,
  u32Rotl,
  u32Shl,
  u32Shr,
  u32Xor,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
} from '../../src/ports/runtime';
import { PYTHON, PYTHONPATH, REPO_ROOT } from '../rig/differential';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}

describe('UTF-8', () => {
  it('encodes astral characters as four bytes and counts bytes, not UTF-16 units', () => {
    expect(hex(utf8Encode('a€😀'))).toBe('61e282acf09f9880');
    expect(utf8ByteLength('é'.repeat(125))).toBe(250);
    expect(utf8ByteLength('é'.repeat(125) + 'x')).toBe(251);
  });

  it('refuses lone surrogates with the code point index', () => {
    const error = thrown(() => utf8Encode('a😀\ud800'));
    expect(error).toBeInstanceOf(LoneSurrogateError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as LoneSurrogateError).index).toBe(2);
    expect(() => utf8ByteLength('\udc00')).toThrow(LoneSurrogateError);
  });

  it('decodes strictly and names the byte offset of the first invalid sequence', () => {
    expect(utf8Decode(new Uint8Array([0x61, 0xc3, 0xa9]))).toBe('aé');
    const cases: [number[], number, string][] = [
      [[0x61, 0x62, 0xe2, 0x82], 2, 'unexpected end of data'],
      [[0xed, 0xa0, 0x80], 0, 'invalid continuation byte'],
      [[0x61, 0xc0, 0x80], 1, 'invalid start byte'],
      [[0xf4, 0x90, 0x80, 0x80], 0, 'invalid continuation byte'],
    ];
    for (const [input, offset, reason] of cases) {
      const error = thrown(() => utf8Decode(new Uint8Array(input)));
      expect(error).toBeInstanceOf(InvalidUtf8Error);
      expect((error as InvalidUtf8Error).offset).toBe(offset);
      expect((error as Error).message).toBe(`invalid UTF-8 at byte offset ${offset}: ${reason}`);
    }
  });

  it('splits strings into code points and orders them by code point', () => {
    expect(codePoints('a😀\ud800b')).toEqual(['a', '😀', '\ud800', 'b']);
    expect(codePointOf('😀')).toBe(0x1f600);
    expect(() => codePointOf('ab')).toThrow(InvalidArgumentError);
    expect(sortedStrings(['😀', '\uffff', 'b', 'a'])).toEqual(['a', 'b', '\uffff', '😀']);
  });
});

describe('hashes and hex', () => {
  it('md5, crc32 (unsigned) and lowercase hex of known inputs', () => {
    expect(hex(md5(new Uint8Array()))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(crc32(utf8Encode('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(utf8Encode('hello'))).toBe(907060870);
    expect(bytesToHex(new Uint8Array([0, 0xab, 0xff]))).toBe('00abff');
  });
});

describe('u32 arithmetic', () => {
  it('wraps modulo 2^32, including negative and wider integers', () => {
    expect(u32(-1)).toBe(0xffffffff);
    expect(u32(2 ** 32 + 5)).toBe(5);
    expect(u32(2 ** 53 + 2)).toBe(2);
    expect(u32Add(0xffffffff, 2)).toBe(1);
    expect(u32Mul(0xffffffff, 0xffffffff)).toBe(1);
    expect(u32Xor(0x80000000, 0xffffffff)).toBe(0x7fffffff);
    expect(u32Shl(0x80000001, 1)).toBe(2);
    expect(u32Shr(0x80000000, 31)).toBe(1);
    expect(u32Rotl(0x80000001, 1)).toBe(3);
  });

  it('refuses fractions and shift counts outside 0..31 instead of wrapping them', () => {
    expect(() => u32(1.5)).toThrow(new InvalidArgumentError('u32 expects an integer, got 1.5'));
    expect(() => u32Shl(1, 32)).toThrow(new InvalidArgumentError('u32Shl expects a shift count from 0 to 31, got 32'));
  });
});

describe('numbers', () => {
  it('parses strict decimal integers within the safe range', () => {
    expect(parseDecimalInt('-0')).toBe(0);
    expect(Object.is(parseDecimalInt('-0'), -0)).toBe(false);
    expect(parseDecimalInt('+007')).toBe(7);
    expect(parseDecimalInt('9007199254740991')).toBe(2 ** 53 - 1);
    expect(parseDecimalInt('9007199254740992')).toBeNull();
    for (const text of ['', ' 1', '1 ', '1_000', '١', '0x1', '1e3', '1.0']) expect(parseDecimalInt(text)).toBeNull();
  });

  it('parses strict decimal floats, refusing exponents, inf, nan and overflow', () => {
    expect(parseDecimalFloat('.5')).toBe(0.5);
    expect(parseDecimalFloat('5.')).toBe(5);
    expect(Object.is(parseDecimalFloat('-0'), -0)).toBe(true);
    for (const text of ['1e3', 'inf', 'nan', '.', '', ' 1', '1'.repeat(400)])
      expect(parseDecimalFloat(text)).toBeNull();
  });

  it('formats floats exactly like Python repr', () => {
    const expected: [number, string][] = [
      [0, '0.0'],
      [-0, '-0.0'],
      [1, '1.0'],
      [1.5, '1.5'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [1e21, '1e+21'],
      [1e-4, '0.0001'],
      [1e-5, '1e-05'],
      [1e-7, '1e-07'],
      [0.1 + 0.2, '0.30000000000000004'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [123456789.125, '123456789.125'],
    ];
    for (const [value, text] of expected) expect(formatFloat(value)).toBe(text);
    expect(() => formatFloat(Number.NaN)).toThrow(
      new InvalidArgumentError('formatFloat expects a finite number, got nan'),
    );
    expect(() => formatFloat(-Infinity)).toThrow(InvalidArgumentError);
  });

  it('prints only safe integers and divides truncating toward zero', () => {
    expect(intToString(-0)).toBe('0');
    expect(intToString(2 ** 53 - 1)).toBe('9007199254740991');
    expect(() => intToString(2 ** 53)).toThrow(
      new InvalidArgumentError('intToString expects a safe integer, got 9007199254740992'),
    );
    expect(() => intToString(0.5)).toThrow(InvalidArgumentError);
    expect(intDiv(-7, 2)).toBe(-3);
    expect(Object.is(intDiv(-1, 2), 0)).toBe(true);
    expect(() => intDiv(1, 0)).toThrow(DivisionByZeroError);
  });
});

describe('JSON', () => {
  it('stringifies compactly, keeps non-ASCII, escapes lone surrogates and controls, writes undefined as null', () => {
    expect(jsonStringify({ b: [1, 'é😀', null], a: { x: true } })).toBe('{"b":[1,"é😀",null],"a":{"x":true}}');
    expect(jsonStringify('\ud800\u0001\n')).toBe('"\\ud800\\u0001\\n"');
    expect(jsonStringify({ gone: undefined } as unknown as { gone: null })).toBe('{"gone":null}');
    expect(() => jsonStringify(1.5)).toThrow(
      new InvalidArgumentError('jsonStringify accepts only safe integers as numbers, got 1.5'),
    );
  });

  it('parses integers only and keeps a "__proto__" key as data', () => {
    expect(jsonParse('{"a":[1,-0,"x"]}')).toEqual({ a: [1, 0, 'x'] });
    const parsed = jsonParse('{"__proto__":{"polluted":1}}');
    expect(Object.keys(parsed as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    for (const text of ['1.0', '1e2', 'NaN', '9007199254740992', '{', ''])
      expect(() => jsonParse(text)).toThrow(InvalidJsonError);
  });
});

describe('arrayItem and the clock', () => {
  it('never wraps negative indexes', () => {
    expect(arrayItem(['a', 'b'], 1)).toBe('b');
    expect(arrayItem(['a', 'b'], -1)).toBeUndefined();
    expect(arrayItem(['a', 'b'], 2)).toBeUndefined();
  });

  it('nowSeconds is whole Unix seconds in Node and in Python, read between the same two Node readings', () => {
    const before = Math.floor(Date.now() / 1000);
    const nodeNow = nowSeconds();
    const pythonNow = execFileSync(
      PYTHON,
      ['-c', 'from pymcache_fdw._runtime import now_seconds; n = now_seconds(); assert type(n) is int; print(n)'],
      { cwd: REPO_ROOT, env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' }, encoding: 'utf8' },
    );
    const after = Math.floor(Date.now() / 1000);
    expect(Number.isInteger(nodeNow)).toBe(true);
    expect(nodeNow).toBeGreaterThanOrEqual(before);
    expect(nodeNow).toBeLessThanOrEqual(after);
    expect(Number(pythonNow.trim())).toBeGreaterThanOrEqual(before);
    expect(Number(pythonNow.trim())).toBeLessThanOrEqual(after);
  });
});
