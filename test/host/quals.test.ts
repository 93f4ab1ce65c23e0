// Contract: which restrictions reach execute() as Qual objects, their operators, and the Python values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, literal, openHostDatabase, type HostSession, type JournalEntry } from './helpers';

let session: HostSession;

const ROWS = [
  { k: 'a', n: 1, t: 'x' },
  { k: 'b', n: 2, t: null },
  { k: 'c', n: 3, t: 'z' },
];

beforeAll(async () => {
  session = await openHostDatabase('host_quals');
  await session.client.query(`CREATE SERVER rec FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
  await session.client.query(`CREATE FOREIGN TABLE items (k text, n int, t text) SERVER rec
    OPTIONS (rows ${literal(JSON.stringify(ROWS))})`);
});
afterAll(async () => {
  await session.close();
});

async function executeCall(sql: string, params: unknown[] = []): Promise<{ rows: unknown[]; execute: JournalEntry; journal: JournalEntry[] }> {
  session.takeNotices();
  const result = await session.client.query(sql, params);
  const journal = session.takeJournal();
  const [execute] = events(journal, 'execute');
  if (execute === undefined) throw new Error(`execute() was not called for ${sql}`);
  return { rows: result.rows, execute, journal };
}

describe('quals', () => {
  it.each([
    ['n = 2', '='], ['n <> 2', '<>'], ['n < 2', '<'], ['n > 2', '>'], ['n <= 2', '<='], ['n >= 2', '>='],
  ])('%s reaches execute() as Qual(n, %s, 2)', async (where, operator) => {
    const { execute } = await executeCall(`SELECT k FROM items WHERE ${where}`);
    expect(execute['quals']).toEqual([{ field: 'n', operator, quantifier: null, value: { type: 'int', repr: '2' } }]);
  });

  it('LIKE and ILIKE arrive under their operator names ~~ and ~~*', async () => {
    const { execute } = await executeCall(`SELECT k FROM items WHERE k LIKE 'a%' AND t ILIKE 'X'`);
    expect(execute['quals']).toEqual([
      { field: 'k', operator: '~~', quantifier: null, value: { type: 'str', repr: "'a%'" } },
      { field: 't', operator: '~~*', quantifier: null, value: { type: 'str', repr: "'X'" } },
    ]);
  });

  it('const op col is commuted to col op const', async () => {
    const { execute, rows } = await executeCall(`SELECT k FROM items WHERE 2 < n`);
    expect(execute['quals']).toEqual([{ field: 'n', operator: '>', quantifier: null, value: { type: 'int', repr: '2' } }]);
    expect(rows).toEqual([{ k: 'c' }]);
  });

  it('col = ANY(array) and IN (...) arrive with the operator as a tuple (op, True) and the elements as a list', async () => {
    const { execute } = await executeCall(`SELECT k FROM items WHERE k IN ('a', 'c') AND n = ANY(ARRAY[1, 3])`);
    expect(execute['quals']).toEqual([
      { field: 'k', operator: ['=', true], quantifier: 'ANY',
        value: { type: 'list', items: [{ type: 'str', repr: "'a'" }, { type: 'str', repr: "'c'" }] } },
      { field: 'n', operator: ['=', true], quantifier: 'ANY',
        value: { type: 'list', items: [{ type: 'int', repr: '1' }, { type: 'int', repr: '3' }] } },
    ]);
  });

  it('col <> ALL(array) arrives as (op, False)', async () => {
    const { execute, rows } = await executeCall(`SELECT k FROM items WHERE k <> ALL(ARRAY['a', 'b'])`);
    expect(execute['quals']).toEqual([{ field: 'k', operator: ['<>', false], quantifier: 'ALL',
      value: { type: 'list', items: [{ type: 'str', repr: "'a'" }, { type: 'str', repr: "'b'" }] } }]);
    expect(rows).toEqual([{ k: 'c' }]);
  });

  it('IS NULL and IS NOT NULL arrive as = None and <> None', async () => {
    const isNull = await executeCall('SELECT k FROM items WHERE t IS NULL');
    expect(isNull.execute['quals']).toEqual([{ field: 't', operator: '=', quantifier: null, value: { type: 'NoneType', repr: 'None' } }]);
    expect(isNull.rows).toEqual([{ k: 'b' }]);
    const notNull = await executeCall('SELECT k FROM items WHERE t IS NOT NULL');
    expect(notNull.execute['quals']).toEqual([{ field: 't', operator: '<>', quantifier: null, value: { type: 'NoneType', repr: 'None' } }]);
  });

  it('Params of a generic plan are evaluated at execution; planning saw no value', async () => {
    await session.client.query('SET plan_cache_mode = force_generic_plan');
    try {
      await session.client.query('PREPARE by_key(text) AS SELECT n FROM items WHERE k = $1');
      const { execute, journal, rows } = await executeCall(`EXECUTE by_key('c')`);
      expect(execute['quals']).toEqual([{ field: 'k', operator: '=', quantifier: null, value: { type: 'str', repr: "'c'" } }]);
      expect(rows).toEqual([{ n: 3 }]);
      // The generic plan was built at the first EXECUTE; get_rel_size saw no constant qual.
      expect(events(journal, 'get_rel_size').map((entry) => entry['quals'])).toEqual([[]]);
      const again = await executeCall(`EXECUTE by_key('a')`);
      expect(again.execute['quals']).toEqual([{ field: 'k', operator: '=', quantifier: null, value: { type: 'str', repr: "'a'" } }]);
      expect(events(again.journal, 'get_rel_size')).toEqual([]);
    } finally {
      await session.client.query('DEALLOCATE by_key');
      await session.client.query('RESET plan_cache_mode');
    }
  });

  it('stable expressions are evaluated at execution', async () => {
    const { execute } = await executeCall(`SELECT k FROM items WHERE k = current_user`);
    expect(execute['quals']).toEqual([{ field: 'k', operator: '=', quantifier: null, value: { type: 'str', repr: "'postgres'" } }]);
  });

  it('PostgreSQL rechecks every qual: a wrapper returning everything still gives the right rows', async () => {
    const { rows } = await executeCall(`SELECT k FROM items WHERE n >= 2 AND k LIKE '%c' ORDER BY k`);
    expect(rows).toEqual([{ k: 'c' }]);
  });

  it('a clause multicorn cannot express (OR) is not pushed, with a WARNING, and still filters', async () => {
    session.takeNotices();
    const result = await session.client.query(`SELECT k FROM items WHERE n = 1 OR n = 3 ORDER BY k`);
    const notices = session.takeNotices();
    expect(result.rows).toEqual([{ k: 'a' }, { k: 'c' }]);
    const warnings = notices.filter((notice) => notice.severity === 'WARNING');
    // One from planning (GetForeignRelSize) and one from execution (BeginForeignScan), as multicorn2 extracts the
    // restrictions at both; the DETAIL is PostgreSQL 15's nodeToString of the clause.
    const comparison = (value: number, varLocation: number): string =>
      '{OPEXPR :opno 96 :opfuncid 65 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args (' +
      `{VAR :varno 1 :varattno 2 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn 2 :location ${varLocation}} ` +
      `{CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location ${varLocation + 4} ` +
      `:constvalue 4 [ ${value} 0 0 0 0 0 0 0 ]}) :location ${varLocation + 2}}`;
    const warning = {
      severity: 'WARNING',
      code: '01000',
      message: 'unsupported expression for extractClauseFrom',
      detail: `{BOOLEXPR :boolop or :args (${comparison(1, 26)} ${comparison(3, 35)}) :location -1}`,
    };
    expect(warnings).toEqual([warning, warning]);
    const execute = notices.find((notice) => notice.message.includes('"event": "execute"'));
    expect(execute?.message).toContain('"quals": []');
  });
});

describe('values handed to Python (multicorn2 conversions)', () => {
  beforeAll(async () => {
    await session.client.query(`CREATE FOREIGN TABLE typed (
      t text, v varchar(10), c char(5), b bytea, i2 smallint, i4 int, i8 bigint, num numeric, f8 float8,
      bool boolean, d date, ts timestamp, tstz timestamptz, ia int[], ta text[], j json, jb jsonb
    ) SERVER rec`);
  });

  it.each([
    ['t', `'hé'`, 'str', "'hé'"],
    ['v', `'abc'`, 'str', "'abc'"],
    ['c', `'ab'`, 'str', "'ab'"],
    ['b', `'\\x00ff'::bytea`, 'bytes', "b'\\x00\\xff'"],
    ['i4', '7', 'int', '7'],
    ['i2', `7::smallint`, 'str', "'7'"],
    ['i8', `5000000000`, 'str', "'5000000000'"],
    ['num', `1.50`, 'float', '1.5'],
    ['f8', `2.5::float8`, 'str', "'2.5'"],
    ['d', `'2024-02-29'::date`, 'date', 'datetime.date(2024, 2, 29)'],
    ['ts', `'2024-02-29 13:14:15.678'::timestamp`, 'datetime', 'datetime.datetime(2024, 2, 29, 13, 14, 15)'],
    ['tstz', `'2024-02-29 13:14:15+00'::timestamptz`, 'str', "'2024-02-29 13:14:15+00'"],
    ['jb', `'{"a": 1}'::jsonb`, 'str', `'{"a": 1}'`],
  ])('%s = %s arrives as %s %s', async (column, value, type, repr) => {
    const { execute } = await executeCall(`SELECT 1 FROM typed WHERE ${column} = ${value}`);
    expect(execute['quals']).toEqual([{ field: column, operator: '=', quantifier: null, value: { type, repr } }]);
  });

  it('arrays arrive as lists of converted elements, NULL elements as None', async () => {
    const { execute } = await executeCall(`SELECT 1 FROM typed WHERE ia = ARRAY[1, NULL, 3] AND ta = ARRAY['x', 'y']`);
    expect(execute['quals']).toEqual([
      { field: 'ia', operator: '=', quantifier: null, value: { type: 'list', items: [
        { type: 'int', repr: '1' }, { type: 'NoneType', repr: 'None' }, { type: 'int', repr: '3' }] } },
      { field: 'ta', operator: '=', quantifier: null, value: { type: 'list', items: [
        { type: 'str', repr: "'x'" }, { type: 'str', repr: "'y'" }] } },
    ]);
  });

  it('a boolean parameter (generic plan) arrives as its text output', async () => {
    await session.client.query('SET plan_cache_mode = force_generic_plan');
    try {
      await session.client.query('PREPARE by_flag(boolean) AS SELECT 1 FROM typed WHERE bool = $1');
      const { execute } = await executeCall('EXECUTE by_flag(true)');
      expect(execute['quals']).toEqual([{ field: 'bool', operator: '=', quantifier: null, value: { type: 'str', repr: "'t'" } }]);
    } finally {
      await session.client.query('DEALLOCATE by_flag');
      await session.client.query('RESET plan_cache_mode');
    }
  });
});
