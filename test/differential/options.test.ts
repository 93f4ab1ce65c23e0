// src/options.ts in Node vs the emitted pymcache_fdw/options.py under /usr/bin/python3: same results, same errors
// (class, message, option) on >= 1000 random vectors per function plus hand-picked edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differential, type DifferentialOptions } from '../rig/differential';
import { SEED, anyString, interestingInteger, sample } from '../runtime/vectors';

const OPTIONS = 'src/options.ts';

async function expectAgreement(
  fn: string,
  vectors: unknown[][],
  options: DifferentialOptions = {},
): Promise<{ errors: number; total: number }> {
  const report = await differential(OPTIONS, fn, vectors, options);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  return report;
}

/** Option text: mostly plausible spellings, sometimes anything. */
const fragments = fc.constantFrom(
  '0',
  '1',
  '7',
  '10',
  '65535',
  '65536',
  '-',
  '+',
  '.',
  ' ',
  ':',
  ',',
  '[',
  ']',
  '::1',
  'e',
  'x',
  'on',
  'of',
  'f',
  'T',
  'yes',
  'NO',
  'é',
  '\u0130',
  '\t',
);
const optionText = fc.oneof(
  { weight: 3, arbitrary: fc.array(fragments, { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: anyString(12) },
  { weight: 1, arbitrary: interestingInteger.map(String) },
);

describe('options.ts: Node and emitted Python agree', () => {
  it('parseIntegerOption', async () => {
    const vectors = [
      ['port', '11211', 1, 65535],
      ['port', '0', 1, 65535],
      ['port', '65536', 1, 65535],
      ['port', ' 1', 1, 65535],
      ['n', '-0', 0, 5],
      ['n', '9007199254740992', 0, 2 ** 53 - 1],
      ['n', '+5', 0, 10],
      ['n', '', 0, 1],
      ['n', '١', 0, 9],
      ...sample(
        fc.tuple(
          fc.constantFrom('port', 'timeout', 'é'),
          optionText,
          fc.integer({ min: -100, max: 10 }),
          fc.integer({ min: 10, max: 70000 }),
        ),
      ),
    ];
    await expectAgreement('parseIntegerOption', vectors);
  });

  it('parseBooleanOption', async () => {
    const spellings = [
      'true',
      'TRUE',
      'tR',
      't',
      'false',
      'Fa',
      'yes',
      'Y',
      'no',
      'N',
      'on',
      'ON',
      'o',
      'of',
      'off',
      'OFF',
      'offf',
      '1',
      '0',
      '01',
      '',
      ' true',
      'truex',
      'İ',
      'ı',
    ];
    const vectors = [...spellings.map((raw) => ['flag', raw]), ...sample(fc.tuple(fc.constant('flag'), optionText))];
    await expectAgreement('parseBooleanOption', vectors);
  });

  it('parseSecondsOption returns floats on both sides', async () => {
    const spellings = [
      '0',
      '0.5',
      '.5',
      '5.',
      '2',
      '-1',
      '-0',
      '+1',
      '1e3',
      'inf',
      'nan',
      '',
      ' 1',
      '1'.repeat(400),
      '0.000001',
      '86400',
    ];
    const vectors = [
      ...spellings.map((raw) => ['timeout', raw]),
      ...sample(
        fc.tuple(
          fc.constant('timeout'),
          fc.oneof(optionText, fc.double({ min: 0, max: 1e6, noNaN: true }).map(String)),
        ),
      ),
    ];
    await expectAgreement('parseSecondsOption', vectors, { floatResult: true });
  });

  it('parseEnumOption', async () => {
    const allowed = ['text', 'json', 'bytea'];
    const vectors = [
      ['format', 'text', allowed],
      ['format', 'JSON', allowed],
      ['format', 'Json ', allowed],
      ['format', '', allowed],
      ['format', 'x', []],
      ['format', 'TEXT', ['TEXT', 'text']],
      ['format', 'İ', ['i']],
      ...sample(
        fc.tuple(
          fc.constant('format'),
          fc.oneof(fc.constantFrom(...allowed, 'TeXt', 'BYTEA'), optionText),
          fc.constant(allowed),
        ),
      ),
    ];
    await expectAgreement('parseEnumOption', vectors);
  });

  it('parseServerList', async () => {
    const host = fc.constantFrom(
      '127.0.0.1',
      'localhost',
      'cache-1.example',
      '[::1]',
      '[fe80::1%eth0]',
      '::1',
      '',
      '[',
      'a b',
      'é',
    );
    const port = fc.constantFrom('11211', '1', '65535', '0', '65536', '+1', '', 'x', '-5');
    const weight = fc.constantFrom('', ':1', ':3', ':0', ':1000000', ':1000001', ':x', ':2:3');
    const entry = fc
      .tuple(fc.constantFrom('', ' ', '\t'), host, fc.constantFrom(':', ''), port, weight, fc.constantFrom('', ' '))
      .map((parts) => parts.join(''));
    const list = fc.array(entry, { minLength: 1, maxLength: 4 }).map((entries) => entries.join(','));
    const handPicked = [
      '127.0.0.1:11211',
      '127.0.0.1:11211,127.0.0.1:11212:2',
      '[::1]:11211:5',
      'a:1, b:2 ,c:3',
      'a:1,A:1',
      'a:1,,b:2',
      '',
      '[::1]11211',
      '[::1:11211',
      'host',
      'host:',
      'h:1:2:3',
      '[]:1',
    ];
    const vectors = [
      ...handPicked.map((raw) => ['servers', raw]),
      ...sample(
        fc.tuple(
          fc.constant('servers'),
          fc.oneof({ weight: 4, arbitrary: list }, { weight: 1, arbitrary: optionText }),
        ),
      ),
    ];
    const report = await expectAgreement('parseServerList', vectors);
    expect(report.errors).toBeLessThan(report.total);
  });

  it('rejectUnknownOptions', async () => {
    const known = ['servers', 'prefix', 'expire', 'timeout'];
    const name = fc.constantFrom(
      'servers',
      'prefix',
      'expire',
      'timeout',
      'Servers',
      'zzz',
      'aaa',
      'é',
      '😀',
      '\uffff',
      '',
    );
    const vectors = [
      [{}, known],
      [{ servers: 'x' }, known],
      [{ zed: '1', abc: '2', prefix: 'p' }, known],
      [{ x: '1' }, []],
      ...sample(fc.tuple(fc.dictionary(name, fc.string({ maxLength: 3 }), { maxKeys: 5 }), fc.constant(known))),
    ];
    await expectAgreement('rejectUnknownOptions', vectors);
  });
});
