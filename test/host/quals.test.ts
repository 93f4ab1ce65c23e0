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

  it('an OR is not pushed, silently (multicorn2 3.2 skips every AND/OR/NOT it cannot push), and still filters', async () => {
    session.takeNotices();
    const result = await session.client.query(`SELECT k FROM items WHERE n = 1 OR n = 3 ORDER BY k`);
    const notices = session.takeNotices();
    expect(result.rows).toEqual([{ k: 'a' }, { k: 'c' }]);
    expect(notices.filter((notice) => notice.severity === 'WARNING')).toEqual([]);
    const execute = notices.find((notice) => notice.message.includes('"event": "execute"'));
    expect(execute?.message).toContain('"quals": []');
  });

  it('a clause of another kind (a function of the column) is not pushed, with a WARNING, and still filters', async () => {
    session.takeNotices();
    const result = await session.client.query(`SELECT k FROM items WHERE starts_with(k, 'b')`);
    const notices = session.takeNotices();
    expect(result.rows).toEqual([{ k: 'b' }]);
    const warnings = notices.filter((notice) => notice.severity === 'WARNING');
    // One from planning (GetForeignRelSize) and one from execution (BeginForeignScan), as multicorn2 extracts the
    // restrictions at both; the DETAIL is PostgreSQL 15's nodeToString of the clause.
    const warning = {
      severity: 'WARNING',
      code: '01000',
      message: 'unsupported expression for extractClauseFrom',
      detail: '{FUNCEXPR :funcid 3696 :funcresulttype 16 :funcretset false :funcvariadic false :funcformat 0 ' +
        ':funccollid 0 :inputcollid 100 :args ({VAR :varno 1 :varattno 1 :vartype 25 :vartypmod -1 :varcollid 100 ' +
        ':varlevelsup 0 :varnosyn 1 :varattnosyn 1 :location 38} {CONST :consttype 25 :consttypmod -1 :constcollid 100 ' +
        ':constlen -1 :constbyval false :constisnull false :location 41 :constvalue 5 [ 20 0 0 0 98 ]}) :location 26}',
    };
    expect(warnings).toEqual([warning, warning]);
    const execute = notices.find((notice) => notice.message.includes('"event": "execute"'));
    expect(execute?.message).toContain('"quals": []');
  });
});

describe('boolean columns (multicorn2 3.2)', () => {
  beforeAll(async () => {
    const rows = [{ k: 'yes', flag: true }, { k: 'no', flag: false }, { k: 'unknown', flag: null }];
    await session.client.query(`CREATE FOREIGN TABLE flags (k text, flag boolean) SERVER rec
      OPTIONS (rows ${literal(JSON.stringify(rows))})`);
  });

  const asText = (repr: string): { type: string; repr: string } => ({ type: 'str', repr });
  const none = { type: 'NoneType', repr: 'None' };

  it.each([
    ['flag', '=', asText("'t'"), ['yes']],
    ['NOT flag', '<>', asText("'t'"), ['no']],
    ['flag = false', '<>', asText("'t'"), ['no']],
    ['flag IS TRUE', 'IS', asText("'t'"), ['yes']],
    ['flag IS NOT TRUE', 'IS NOT', asText("'t'"), ['no', 'unknown']],
    ['flag IS FALSE', 'IS', asText("'f'"), ['no']],
    ['flag IS NOT FALSE', 'IS NOT', asText("'f'"), ['unknown', 'yes']],
    ['flag IS UNKNOWN', 'IS', none, ['unknown']],
    ['flag IS NOT UNKNOWN', 'IS NOT', none, ['no', 'yes']],
  ])('WHERE %s reaches execute() as Qual(flag, %s, %o), without a WARNING', async (where, operator, value, keys) => {
    session.takeNotices();
    const result = await session.client.query<{ k: string }>(`SELECT k FROM flags WHERE ${where} ORDER BY k`);
    const notices = session.takeNotices();
    expect(result.rows.map((row) => row.k)).toEqual(keys);
    expect(notices.filter((notice) => notice.severity === 'WARNING')).toEqual([]);
    const [execute] = events(notices
      .filter((notice) => notice.message.startsWith('JOURNAL '))
      .map((notice) => JSON.parse(notice.message.slice('JOURNAL '.length)) as JournalEntry), 'execute');
    expect(execute?.['quals']).toEqual([{ field: 'flag', operator, quantifier: null, value }]);
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
