// src/json-syntax.ts (isJsonText) three ways: Node vs the emitted pymcache_fdw/json_syntax.py under /usr/bin/python3,
// and Node vs PostgreSQL's own json input (json_in), which is what the checker claims to mirror: a value it accepts
// must not then fail in PostgreSQL, and one it refuses must be one PostgreSQL would refuse too.
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isJsonText } from '../../src/json-syntax';
import { connect, createScratchDatabase } from '../rig/postgres';
import { SEED, anyString, sample, wellFormedString } from '../runtime/vectors';
import { expectAgreement } from './agreement';

const JSON_SYNTAX = 'src/json-syntax.ts';

/** Pieces of JSON text, valid and broken, that random concatenation turns into near-JSON. */
const token = fc.constantFrom(
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"a"',
  '"k"',
  '""',
  '"',
  '\\',
  '"\\u00e9"',
  '"\\u0000"',
  '"\\ud83d\\ude00"',
  '"\\ud800"',
  '"\\udc00"',
  '"\\u12"',
  '"\\uZZZZ"',
  '"\\/"',
  '"\\b\\f\\n\\r\\t"',
  '"\\x"',
  '"\\\'"',
  '"a\tb"',
  '"\u0001"',
  '"\u001f"',
  '"\u007f"',
  '"é😀"',
  '0',
  '1',
  '-',
  '-0',
  '01',
  '-01',
  '1.',
  '.5',
  '1.5',
  '1e5',
  '1E+2',
  '1e-2',
  '1e',
  '1e+',
  'e5',
  '+1',
  '00',
  '0x1',
  '123456789012345678901234567890',
  'true',
  'false',
  'null',
  'tru',
  'nul',
  'True',
  'NULL',
  'NaN',
  'Infinity',
  '-Infinity',
  ' ',
  '\t',
  '\n',
  '\r',
  '\f',
  '\v',
  '\u00a0',
  '\u2028',
  '\ufeff',
  'x',
  'é',
  '/*c*/',
  '//',
);
const tokenSoup = fc.array(token, { minLength: 1, maxLength: 10 }).map((tokens) => tokens.join(''));

const whitespace = fc.constantFrom('', ' ', '\t', '\n', '\r', '\r\n  ');
/** Valid JSON as JSON.stringify writes it, sometimes padded with JSON whitespace (and sometimes with other spaces). */
const validJson = fc
  .tuple(
    fc.oneof(
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify(value, null, 1)),
    ),
    whitespace,
    whitespace,
  )
  .map(([text, before, after]) => before + text + after);

/** Valid JSON with one character inserted, removed or replaced: mostly invalid, sometimes still valid. */
const mutatedJson = fc
  .tuple(
    fc.json(),
    fc.nat(),
    fc.constantFrom('insert', 'remove', 'replace'),
    fc.constantFrom(...'{}[],:"\\ 0-.eE+tfnu\u0001x'.split('')),
  )
  .map(([text, at, how, ch]) => {
    const chars = [...text];
    const index = at % (chars.length + 1);
    if (how === 'insert') chars.splice(index, 0, ch);
    else if (how === 'remove') chars.splice(index, 1);
    else chars.splice(index, 1, ch);
    return chars.join('');
  });

const deep = (depth: number, open: string, close: string, inner: string): string =>
  open.repeat(depth) + inner + close.repeat(depth);

/** Hand-picked: whitespace rules, number forms, escapes (\u0000 included), nesting and trailing garbage. */
const handPicked: string[] = [
  '',
  ' ',
  '\n',
  'null',
  ' null ',
  '\tnull\r\n',
  '\u00a0null',
  'null\u00a0',
  '\fnull',
  '\ufeffnull',
  'null\u2028',
  'true',
  'false',
  'nul',
  'nulll',
  'truefalse',
  'true false',
  'True',
  'NULL',
  '0',
  '-0',
  '01',
  '-01',
  '00',
  '1e5',
  '1E5',
  '1e+5',
  '1e-5',
  '1.5e5',
  '1.e5',
  '.5',
  '5.',
  '-',
  '--1',
  '+1',
  '1e',
  '1e+',
  '0.0',
  '-0.0e-0',
  '1 2',
  '1,',
  '123456789012345678901234567890e999999',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '""',
  '"',
  '"a',
  'a"',
  '"\\"',
  '"\\\\"',
  '"\\/"',
  '"\\b\\f\\n\\r\\t"',
  '"\\a"',
  '"\\x41"',
  '"\\\'"',
  '"\\0"',
  '"\\u0000"',
  '"\\u0041"',
  '"\\u00e9"',
  '"\\uD83D\\uDE00"',
  '"\\ud83d"',
  '"\\ude00"',
  '"\\ud83d\\u0041"',
  '"\\ude00\\ud83d"',
  '"\\u12"',
  '"\\u12G4"',
  '"\\U0041"',
  '"\\u"',
  '"a\tb"',
  '"a\nb"',
  '"\u0001"',
  '"\u001f"',
  '"\u007f"',
  '"\u0080"',
  '"é"',
  '"😀"',
  '"\u2028"',
  '"\\ud83d\\ud83d"',
  '"\\uDBFF\\uDFFF"',
  '"x\\ud800"',
  '"\\ud800\\n"',
  '{"\\u0000":1}',
  '["\\ud800"]',
  '[]',
  '{}',
  '[ ]',
  '{ }',
  '[1,]',
  '[,1]',
  '[1,,2]',
  '[1 2]',
  '{"a":1,}',
  '{"a" 1}',
  '{"a":}',
  '{a:1}',
  "{'a':1}",
  '{1:1}',
  '{"a":1 "b":2}',
  '{"a":1,"a":2}',
  '[1]]',
  '[[1]',
  '{"a":[}]',
  '[{]}',
  '{"a":{"b":{"c":[1,2,{"d":null}]}}}',
  '[] []',
  '{} x',
  '[]/*c*/',
  '1//',
  'null\u0000',
  '"x"\u0000',
  deep(100, '[', ']', ''),
  deep(100, '[', ']', '1'),
  deep(100, '{"a":', '}', 'null'),
  deep(100, '[', ']', '').slice(1),
  // Deep, yet within PostgreSQL's default max_stack_depth (2MB). Far deeper nesting (50000) fails in json_in with "stack
  // depth limit exceeded", a resource limit the iterative checker does not model.
  deep(5000, '[', ']', '0'),
  deep(5000, '[', ']', '0') + ']',
];

describe('json-syntax.ts: Node and emitted Python agree', () => {
  it('isJsonText accepts and refuses the same texts', async () => {
    const vectors = [
      ...handPicked,
      ...sample(validJson),
      ...sample(tokenSoup),
      ...sample(mutatedJson),
      ...sample(anyString(20)),
    ].flatMap((text) => [
      [text, false],
      [text, true],
    ]);
    const report = await expectAgreement(JSON_SYNTAX, 'isJsonText', vectors);
    expect(report.errors).toBe(0);
  });
});

describe.each([false, true])(
  'isJsonText(text, forJsonb = %s) agrees with PostgreSQL json / jsonb input',
  (forJsonb) => {
    let client: pg.Client;

    beforeAll(async () => {
      client = await connect(
        await createScratchDatabase(inject('postgres'), forJsonb ? 'diff_jsonb_syntax' : 'diff_json_syntax'),
      );
      // json_in / jsonb_in refuse by raising (jsonb's \u0000 as untranslatable_character); a PL/pgSQL handler turns
      // that into false so one query checks a whole batch.
      await client.query(`CREATE FUNCTION accepts_json(t text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN PERFORM t::${forJsonb ? 'jsonb' : 'json'}; RETURN true;
      EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN RETURN false;
        WHEN numeric_value_out_of_range THEN RETURN NULL; END $$`);
    });

    afterAll(async () => {
      await client?.end();
    });

    /** Texts where PostgreSQL and isJsonText disagree: [text, what PostgreSQL says]. */
    async function disagreements(texts: string[]): Promise<Array<[string, boolean]>> {
      const result = await client.query<{ n: string; ok: boolean | null }>(
        'SELECT n, accepts_json(t) AS ok FROM unnest($1::text[]) WITH ORDINALITY AS v(t, n) ORDER BY n',
        [texts],
      );
      expect(result.rows).toHaveLength(texts.length);
      const differing: Array<[string, boolean]> = [];
      result.rows.forEach((row, index) => {
        const text = texts[index]!;
        if (row.ok === null) {
          // jsonb reads numbers as numeric, whose range (exponents past about +-16383) the checker does not model: such
          // a value gets PostgreSQL's own "value overflows numeric format". Only huge exponents may land here.
          expect(forJsonb, `json refused ${JSON.stringify(text)} as out of range`).toBe(true);
          expect(text, 'a numeric overflow without a huge exponent').toMatch(/[eE][+-]?0*\d{5,}/);
          return;
        }
        if (row.ok !== isJsonText(text, forJsonb)) differing.push([text, row.ok]);
      });
      return differing;
    }

    it('the database speaks UTF-8, so every text below reaches json_in unchanged', async () => {
      const encoding = await client.query<{ server_encoding: string }>('SHOW server_encoding');
      expect(encoding.rows).toEqual([{ server_encoding: 'UTF8' }]);
    });

    it('on hand-picked texts (PostgreSQL text cannot hold NUL, which the wrapper refuses before this check)', async () => {
      const texts = handPicked.filter((text) => !text.includes('\u0000'));
      const differing = await disagreements(texts);
      expect(differing, `texts (JSON-quoted) where PostgreSQL differs: ${JSON.stringify(differing)}`).toEqual([]);
    });

    it('on random near-JSON and valid JSON', async () => {
      const noNul = (text: string): boolean => !text.includes('\u0000');
      const texts = [
        ...sample(validJson),
        ...sample(tokenSoup),
        ...sample(mutatedJson),
        ...sample(wellFormedString(20)),
      ].filter(noNul);
      expect(texts.length).toBeGreaterThan(3000);
      const differing = await disagreements(texts);
      expect(
        differing.slice(0, 5),
        `PostgreSQL differs (FC_SEED=${SEED}): ${JSON.stringify(differing.slice(0, 5))}`,
      ).toEqual([]);
    });
  },
);
