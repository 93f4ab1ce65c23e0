// Contract: get_rel_size, get_path_keys (parameterized paths), can_sort and can_limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, explainLines, literal, openHostDatabase, type HostSession } from './helpers';

let session: HostSession;

const ROWS = [
  { k: 'c', n: 3 }, { k: 'a', n: 1 }, { k: 'd', n: 4 }, { k: 'b', n: 2 },
];

beforeAll(async () => {
  session = await openHostDatabase('host_planning');
  await session.client.query(`CREATE SERVER rec FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
  const rows = literal(JSON.stringify(ROWS));
  await session.client.query(`CREATE FOREIGN TABLE sized (k text, n int) SERVER rec
    OPTIONS (rows ${rows}, rel_size '[1234, 56]', tag 'sized')`);
  await session.client.query(`CREATE FOREIGN TABLE keyed (k text, n int) SERVER rec
    OPTIONS (rows ${rows}, rel_size '[1000000, 40]', path_keys '[[["k"], 1]]', tag 'keyed')`);
  await session.client.query(`CREATE FOREIGN TABLE sortable (k text, n int) SERVER rec
    OPTIONS (rows ${rows}, sortable '["k"]', can_limit 'true', tag 'sortable')`);
  await session.client.query(`CREATE FOREIGN TABLE unsortable (k text, n int) SERVER rec
    OPTIONS (rows ${rows}, tag 'unsortable')`);
  await session.client.query('CREATE TABLE wanted (k text)');
  await session.client.query(`INSERT INTO wanted VALUES ('b'), ('d'), ('zz')`);
  await session.client.query('ANALYZE wanted');
});
afterAll(async () => {
  await session.close();
});

describe('get_rel_size', () => {
  it('feeds the row estimate and width, and receives the constant quals and the needed columns as a set', async () => {
    session.takeNotices();
    const lines = await explainLines(session.client, `SELECT k FROM sized WHERE n > 2`, 'COSTS ON');
    expect(lines[0]).toMatch(/^Foreign Scan on sized {2}\(cost=20\.00\.\.\d+\.\d+ rows=1234 width=56\)$/);
    const [size] = events(session.takeJournal(), 'get_rel_size');
    expect(size).toMatchObject({
      columns: ['k', 'n'], columns_type: 'set',
      quals: [{ field: 'n', operator: '>', quantifier: null, value: { type: 'int', repr: '2' } }],
    });
  });
});

describe('get_path_keys', () => {
  it('turns a join on the key into nested-loop lookups, one execute() per outer row with the key as an = qual', async () => {
    const sql = 'SELECT w.k, f.n FROM wanted w JOIN keyed f ON f.k = w.k ORDER BY w.k';
    const plan = await explainLines(session.client, sql);
    expect(plan).toContain('  ->  Nested Loop');
    expect(plan.some((line) => /Foreign Scan on keyed f/.test(line))).toBe(true);
    // The join clause as the query wrote it; explain() gets multicorn2's placeholder for the unevaluated outer value.
    expect(plan).toContain('              Filter: (k = w.k)');
    expect(plan).toContain("              Multicorn: quals: ['k = ?']");
    session.takeNotices();
    const result = await session.client.query(sql);
    expect(result.rows).toEqual([{ k: 'b', n: 2 }, { k: 'd', n: 4 }]);
    const lookups = events(session.takeJournal(), 'execute').map((entry) => entry['quals']);
    expect(lookups).toEqual(['b', 'd', 'zz'].map((key) => [
      { field: 'k', operator: '=', quantifier: null, value: { type: 'str', repr: `'${key}'` } },
    ]));
  });
});

describe('EXPLAIN of a parameterized scan', () => {
  beforeAll(async () => {
    await session.client.query(`CREATE FOREIGN TABLE keyed_by_n (k text, n int) SERVER rec
      OPTIONS (rows ${literal(JSON.stringify(ROWS))}, rel_size '[1000000, 40]', path_keys '[[["n"], 1]]', tag 'keyed_by_n')`);
    await session.client.query('CREATE TABLE wanted_n (n int)');
    await session.client.query('INSERT INTO wanted_n VALUES (2), (4)');
    await session.client.query('ANALYZE wanted_n');
  });

  it('shows multicorn2\'s placeholder for an int outer value: 0 (its conversion of a zero Datum)', async () => {
    const plan = await explainLines(session.client, 'SELECT f.k FROM wanted_n w JOIN keyed_by_n f ON w.n = f.n');
    expect(plan).toEqual([
      'Nested Loop',
      '  ->  Seq Scan on wanted_n w',
      '  ->  Foreign Scan on keyed_by_n f',
      '        Filter: (w.n = n)',
      "        Multicorn: quals: ['n = 0']",
      '        Multicorn: verbose: False',
    ]);
  });

  // Not numeric nor a by-reference type such as uuid: EXPLAIN of those crashes multicorn2 (the host hands None).
  it.each([
    ['c char(3)', "'ab'", 'c = ?'],
    ['v varchar', "'x'", 'v = ?'],
    ['d date', "'2024-02-29'", 'd = 2000-01-01'],
    ['ts timestamp', "'2024-02-29 13:14:15'", 'ts = 2000-01-01 00:00:00'],
    ['b boolean', 'true', 'b = f'],
    ['i8 bigint', '5000000000', 'i8 = 0'],
  ])('shows the placeholder for a %s outer value as multicorn2 does', async (column, value, shown) => {
    const name = column.split(' ')[0] ?? '';
    await session.client.query(`CREATE FOREIGN TABLE keyed_by_${name} (${column}) SERVER rec
      OPTIONS (rel_size '[1000000, 40]', path_keys '[[["${name}"], 1]]')`);
    await session.client.query(`CREATE TABLE wanted_${name} (${column})`);
    await session.client.query(`INSERT INTO wanted_${name} VALUES (${value})`);
    await session.client.query(`ANALYZE wanted_${name}`);
    const plan = await explainLines(session.client,
      `SELECT 1 FROM wanted_${name} w JOIN keyed_by_${name} f ON f.${name} = w.${name}`);
    expect(plan).toContain(`        Multicorn: quals: ['${shown}']`);
  });

  it('a clause it cannot push is warned about at planning, at plan creation and at execution', async () => {
    session.takeNotices();
    const result = await session.client.query(`SELECT f.k FROM wanted_n w JOIN keyed_by_n f ON w.n = f.n WHERE starts_with(f.k, 'd')`);
    expect(result.rows).toEqual([{ k: 'd' }]);
    const warnings = session.takeNotices().filter((notice) => notice.severity === 'WARNING').map((notice) => notice.message);
    expect(warnings).toEqual(Array(3).fill('unsupported expression for extractClauseFrom'));
  });
});

describe('can_sort', () => {
  it('an accepted sort removes the Sort node and reaches execute() as sortkeys', async () => {
    const plan = await explainLines(session.client, 'SELECT k, n FROM sortable ORDER BY k DESC');
    expect(plan).toEqual(['Foreign Scan on sortable', '  Multicorn: quals: []', '  Multicorn: verbose: False']);
    session.takeNotices();
    const result = await session.client.query('SELECT k, n FROM sortable ORDER BY k DESC');
    expect(result.rows.map((row: { k: string }) => row.k)).toEqual(['d', 'c', 'b', 'a']);
    const journal = session.takeJournal();
    expect(events(journal, 'can_sort')[0]?.['sortkeys']).toEqual([
      { attname: 'k', attnum: 1, is_reversed: true, nulls_first: true, collate: null },
    ]);
    expect(events(journal, 'execute')[0]?.['sortkeys']).toEqual([
      { attname: 'k', attnum: 1, is_reversed: true, nulls_first: true, collate: null },
    ]);
  });

  it('a refused sort keeps the Sort node and execute() gets no sortkeys', async () => {
    const plan = await explainLines(session.client, 'SELECT k FROM unsortable ORDER BY n');
    expect(plan[0]).toBe('Sort');
    session.takeNotices();
    const result = await session.client.query('SELECT k FROM unsortable ORDER BY n');
    expect(result.rows.map((row: { k: string }) => row.k)).toEqual(['a', 'b', 'c', 'd']);
    expect(events(session.takeJournal(), 'execute')[0]?.['sortkeys']).toBeNull();
  });
});

describe('can_limit', () => {
  it('an accepted LIMIT/OFFSET disappears from the plan and reaches execute() as limit= and offset=', async () => {
    const sql = 'SELECT k FROM sortable ORDER BY k LIMIT 2 OFFSET 1';
    const plan = await explainLines(session.client, sql);
    expect(plan.some((line) => line.includes('Limit'))).toBe(false);
    session.takeNotices();
    const result = await session.client.query(sql);
    expect(result.rows).toEqual([{ k: 'b' }, { k: 'c' }]);
    const journal = session.takeJournal();
    expect(events(journal, 'can_limit')[0]).toMatchObject({ limit: { type: 'int', repr: '2' }, offset: { type: 'int', repr: '1' } });
    expect(events(journal, 'execute')[0]?.['kwargs']).toEqual({ limit: { type: 'int', repr: '2' }, offset: { type: 'int', repr: '1' } });
  });

  it('a LIMIT without OFFSET is offered as (limit, None) and reaches execute() as limit= alone', async () => {
    session.takeNotices();
    const result = await session.client.query('SELECT k FROM sortable LIMIT 1');
    expect(result.rows).toHaveLength(1);
    const journal = session.takeJournal();
    expect(events(journal, 'can_limit')[0]).toMatchObject({ limit: { type: 'int', repr: '1' }, offset: { type: 'NoneType', repr: 'None' } });
    expect(events(journal, 'execute')[0]?.['kwargs']).toEqual({ limit: { type: 'int', repr: '1' } });
  });

  it('an OFFSET without LIMIT is offered as (None, offset) and reaches execute() as offset= alone', async () => {
    session.takeNotices();
    const result = await session.client.query('SELECT k FROM sortable ORDER BY k OFFSET 3');
    expect(result.rows).toEqual([{ k: 'd' }]);
    const journal = session.takeJournal();
    expect(events(journal, 'can_limit')[0]).toMatchObject({ limit: { type: 'NoneType', repr: 'None' }, offset: { type: 'int', repr: '3' } });
    expect(events(journal, 'execute')[0]?.['kwargs']).toEqual({ offset: { type: 'int', repr: '3' } });
  });

  it('a refused LIMIT stays in the plan and execute() gets no limit', async () => {
    const plan = await explainLines(session.client, 'SELECT k FROM unsortable LIMIT 2');
    expect(plan[0]).toBe('Limit');
    session.takeNotices();
    const result = await session.client.query('SELECT k FROM unsortable LIMIT 2');
    expect(result.rows).toHaveLength(2);
    expect(events(session.takeJournal(), 'execute')[0]?.['kwargs']).toEqual({});
  });

  it('is not asked when a WHERE clause remains above the scan', async () => {
    session.takeNotices();
    const result = await session.client.query(`SELECT k FROM sortable WHERE n > 1 ORDER BY k LIMIT 1`);
    expect(result.rows).toEqual([{ k: 'b' }]);
    const journal = session.takeJournal();
    expect(events(journal, 'can_limit')).toEqual([]);
    expect(events(journal, 'execute')[0]?.['kwargs']).toEqual({});
  });
});
