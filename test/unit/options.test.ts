// Exact behaviour of src/options.ts in Node: accepted spellings and error messages that name the option, the
// rejected value and the accepted values.
import { describe, expect, it } from 'vitest';
import {
  OptionError,
  parseBooleanOption,
  parseEnumOption,
  parseIntegerOption,
  parseSecondsOption,
  parseServerList,
  rejectUnknownOptions,
} from '../../src/options';

function optionError(action: () => unknown): OptionError {
  try {
    action();
  } catch (error) {
    if (error instanceof OptionError) return error;
    throw error;
  }
  throw new Error('expected an OptionError');
}

const SERVER_FORMAT =
  'expected a comma-separated list of host:port or host:port:weight (IPv6 hosts in brackets, e.g. [::1]:11211), ports from 1 to 65535, weights from 1 to 1000000';

describe('parseIntegerOption', () => {
  it('accepts decimal integers within the bounds, inclusive', () => {
    expect(parseIntegerOption('port', '1', 1, 65535)).toBe(1);
    expect(parseIntegerOption('port', '65535', 1, 65535)).toBe(65535);
    expect(parseIntegerOption('delta', '-5', -10, 10)).toBe(-5);
    expect(parseIntegerOption('delta', '+007', -10, 10)).toBe(7);
  });

  it('refuses out-of-range and non-decimal text, naming the option, the value and the range', () => {
    const error = optionError(() => parseIntegerOption('port', '65536', 1, 65535));
    expect(error.option).toBe('port');
    expect(error.message).toBe('invalid value "65536" for option "port": expected an integer from 1 to 65535');
    for (const raw of ['', ' 1', '1.0', '1e3', '0x10', '١'])
      expect(() => parseIntegerOption('port', raw, 1, 65535)).toThrow(OptionError);
  });
});

describe('parseBooleanOption', () => {
  it('accepts what PostgreSQL accepts: unique prefixes of true/false/yes/no, on/off, 1/0, any ASCII case', () => {
    for (const raw of ['true', 'TRUE', 'tr', 't', 'yes', 'Y', 'on', 'ON', '1'])
      expect(parseBooleanOption('f', raw)).toBe(true);
    for (const raw of ['false', 'F', 'fal', 'no', 'N', 'off', 'of', 'OFF', '0'])
      expect(parseBooleanOption('f', raw)).toBe(false);
  });

  it('refuses ambiguous or unknown spellings', () => {
    for (const raw of ['', 'o', 'onn', 'offf', 'truex', ' true', '01', '2', 'İ']) {
      expect(optionError(() => parseBooleanOption('noreply', raw)).message).toBe(
        `invalid value "${raw}" for option "noreply": expected a boolean: true, false, on, off, yes, no, 1 or 0`,
      );
    }
  });
});

describe('parseSecondsOption', () => {
  it('accepts non-negative decimal seconds', () => {
    expect(parseSecondsOption('timeout', '0.5')).toBe(0.5);
    expect(parseSecondsOption('timeout', '2')).toBe(2);
    expect(parseSecondsOption('timeout', '.25')).toBe(0.25);
    expect(parseSecondsOption('timeout', '0')).toBe(0);
  });

  it('refuses signs, exponents, inf and nan', () => {
    for (const raw of ['-1', '-0', '+1', '1e3', 'inf', 'nan', '', ' 1']) {
      expect(optionError(() => parseSecondsOption('timeout', raw)).message).toBe(
        `invalid value "${raw}" for option "timeout": expected a non-negative number of seconds written in decimal, such as 0.5 or 2`,
      );
    }
  });
});

describe('parseEnumOption', () => {
  it('matches ASCII case-insensitively and returns the canonical spelling', () => {
    expect(parseEnumOption('format', 'JSON', ['text', 'json'] as const)).toBe('json');
    expect(parseEnumOption('format', 'text', ['text', 'json'] as const)).toBe('text');
  });

  it('lists the accepted values in their order', () => {
    expect(optionError(() => parseEnumOption('format', 'xml', ['text', 'json'])).message).toBe(
      'invalid value "xml" for option "format": expected one of text, json',
    );
  });
});

describe('parseServerList', () => {
  it('parses host:port[:weight] lists with IPv6 in brackets and spaces around entries', () => {
    expect(parseServerList('servers', '127.0.0.1:11211, cache.example:11212:3 ,[::1]:11213:2')).toEqual([
      { host: '127.0.0.1', port: 11211, weight: 1 },
      { host: 'cache.example', port: 11212, weight: 3 },
      { host: '::1', port: 11213, weight: 2 },
    ]);
  });

  it('names the bad entry and says what is wrong with it', () => {
    const cases: [string, string][] = [
      ['', 'server 1 is empty'],
      ['a:1,,b:2', 'server 2 is empty'],
      ['host', 'server 1 ("host") is not host:port or host:port:weight'],
      ['host:0', 'server 1 ("host:0") has an invalid port'],
      ['host:65536', 'server 1 ("host:65536") has an invalid port'],
      ['host:+1', 'server 1 ("host:+1") has an invalid port'],
      ['host:1:0', 'server 1 ("host:1:0") has an invalid weight'],
      ['host:1:2:3', 'server 1 ("host:1:2:3") is not host:port or host:port:weight'],
      ['::1:11211', 'server 1 ("::1:11211") has no usable host'],
      ['[::1]11211', 'server 1 ("[::1]11211") has an unclosed or misplaced bracket'],
      ['a:1,A:1', 'server 2 ("A:1") is listed twice'],
    ];
    for (const [raw, problem] of cases) {
      const error = optionError(() => parseServerList('servers', raw));
      expect(error.option).toBe('servers');
      expect(error.message).toBe(`invalid value "${raw}" for option "servers": ${problem}; ${SERVER_FORMAT}`);
    }
  });
});

describe('rejectUnknownOptions', () => {
  it('passes when every option is known', () => {
    expect(() => rejectUnknownOptions({ servers: 'a:1', prefix: 'p' }, ['servers', 'prefix', 'expire'])).not.toThrow();
  });

  it('names every unknown option and lists the valid ones, both sorted', () => {
    const error = optionError(() =>
      rejectUnknownOptions({ zed: '1', abc: '2', prefix: 'p' }, ['servers', 'prefix', 'expire']),
    );
    expect(error.option).toBe('abc');
    expect(error.message).toBe('unknown options "abc", "zed"; valid options are: expire, prefix, servers');
    expect(optionError(() => rejectUnknownOptions({ sever: 'x' }, ['servers'])).message).toBe(
      'unknown option "sever"; valid options are: servers',
    );
  });
});
