// Contract: what execute() may return and how Python values become PostgreSQL values; end_scan; cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, literal, openHostDatabase, sqlError, type HostSession } from './helpers';

let session: HostSession;

beforeAll(async () => {
  session = await openHostDatabase('host_scan');
  await session.client.query(`CREATE SERVER rows_srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Rows')`);
  await session.client.query(`CREATE SERVER fail_srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Failing')`);
});
afterAll(async () => {
  await session.close();
});

async function tableOf(name: string, columns: string, pythonRows: string): Promise<void> {
  await session.client.query(`CREATE FOREIGN TABLE ${name} (${columns}) SERVER rows_srv OPTIONS (python_rows ${literal(pythonRows)})`);
}

describe('rows from execute()', () => {
  it('may be dicts (a missing key or None is NULL) or sequences in column order', async () => {
    await tableOf('mixed', 'a int, b text', `[{'a': 1, 'b': 'x'}, {'a': 2}, {'a': None, 'b': 'y'}, (4, 'z'), [5, None]]`);
    const result = await session.client.query('SELECT a, b FROM mixed');
    expect(result.rows).toEqual([
      { a: 1, b: 'x' }, { a: 2, b: null }, { a: null, b: 'y' }, { a: 4, b: 'z' }, { a: 5, b: null },
    ]);
  });

  it('None instead of an iterable is no rows; a None row ends the scan', async () => {
    await tableOf('nothing', 'a int', 'None');
    expect((await session.client.query('SELECT * FROM nothing')).rows).toEqual([]);
    await tableOf('stops', 'a int', `[{'a': 1}, None, {'a': 3}]`);
    expect((await session.client.query('SELECT * FROM stops')).rows).toEqual([{ a: 1 }]);
  });

  it('a whole-row reference asks for every column (multicorn2 asks for none: the host differs on purpose)', async () => {
    await tableOf('whole', 'a int, b text', `[{'a': 1, 'b': 'x'}]`);
    session.takeNotices();
    expect((await session.client.query('SELECT w::text AS row FROM whole w')).rows).toEqual([{ row: '(1,x)' }]);
    expect(events(session.takeJournal(), 'execute').map((entry) => entry['columns'])).toEqual([['a', 'b']]);
  });

  it('end_scan() is called once the scan is over', async () => {
    await tableOf('ended', 'a int', `[{'a': 1}, {'a': 2}]`);
    session.takeNotices();
    await session.client.query('SELECT * FROM ended');
    expect(events(session.takeJournal(), 'end_scan')).toHaveLength(1);
  });

  it('a row that is neither a mapping nor a sequence is an ERROR', async () => {
    await session.client.query(`CREATE FOREIGN TABLE bad_row (a int) SERVER fail_srv OPTIONS (mode 'bad_row')`);
    const error = await sqlError(session.client.query('SELECT * FROM bad_row'));
    // multicorn2's message word for word, the missing space included.
    expect(error.message).toBe('Cannot transform anything else than mappings andsequences to rows');
  });
});

describe('Python values into columns (through the column type input function)', () => {
  it('converts numbers, booleans, Decimal, dates and datetimes by their text form', async () => {
    await tableOf('typed', 'i int, big bigint, f float8, num numeric, flag boolean, d date, ts timestamp, t text',
      `[{'i': '42', 'big': 5000000000, 'f': 0.5, 'num': Decimal('1.10'), 'flag': True, 'd': date(2024, 2, 29),
         'ts': datetime(2024, 2, 29, 13, 14, 15, 678000), 't': 7}]`);
    const result = await session.client.query(
      'SELECT i, big::text, f, num::text, flag, d::text, ts::text, t FROM typed');
    expect(result.rows).toEqual([{
      i: 42, big: '5000000000', f: 0.5, num: '1.10', flag: true, d: '2024-02-29', ts: '2024-02-29 13:14:15.678', t: '7',
    }]);
  });

  it('puts bytes straight into bytea, and a str into bytea as its UTF-8 bytes', async () => {
    await tableOf('binaries', 'b bytea, s bytea', `[{'b': b'\\x00\\xff', 's': '\\\\x41é'}]`);
    const result = await session.client.query('SELECT b, s FROM binaries');
    expect(result.rows).toEqual([{ b: Buffer.from([0x00, 0xff]), s: Buffer.from('\\x41é', 'utf8') }]);
  });

  it('writes lists as array literals for array columns, quoting strings', async () => {
    await tableOf('arrays', 'ia int[], ta text[]', `[{'ia': [1, 2, 3], 'ta': ['plain', 'with "quote"', 'back\\\\slash', 'a, b']}]`);
    const result = await session.client.query('SELECT ia, ta FROM arrays');
    expect(result.rows).toEqual([{ ia: [1, 2, 3], ta: ['plain', 'with "quote"', 'back\\slash', 'a, b'] }]);
  });

  it('does not turn dicts and lists into JSON: a dict becomes "k"=>"v" text, a list its repr (json.dumps is the wrapper\'s job)', async () => {
    await tableOf('structured', 'd text, l text, j jsonb', `[{'d': {'k': 'v', 'n': 1}, 'l': ['a', 1], 'j': '{"k": [1, 2]}'}]`);
    const result = await session.client.query('SELECT d, l, j FROM structured');
    expect(result.rows).toEqual([{ d: '"k"=>"v", "n"=>1', l: "['a', 1]", j: { k: [1, 2] } }]);
    await tableOf('json_dict', 'j jsonb', `[{'j': {'k': 'v'}}]`);
    const error = await sqlError(session.client.query('SELECT j FROM json_dict'));
    expect(error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type json' });
  });

  it('takes text and varchar as is (no length check, as multicorn2), char(n) through its input function', async () => {
    await tableOf('lengths', 'v varchar(3), c char(3)', `[{'v': 'abcdef', 'c': 'ab'}]`);
    const result = await session.client.query('SELECT v, c FROM lengths');
    expect(result.rows).toEqual([{ v: 'abcdef', c: 'ab ' }]);
  });

  it('reports a value the input function refuses with its SQLSTATE', async () => {
    await session.client.query(`CREATE FOREIGN TABLE bad_value (a int) SERVER fail_srv OPTIONS (mode 'bad_value')`);
    const error = await sqlError(session.client.query('SELECT * FROM bad_value'));
    expect(error).toMatchObject({ code: '22P02', message: 'invalid input syntax for type integer: "not a number"' });
  });
});

describe('cancellation', () => {
  it('a wrapper that yields forever is cancelled between rows (statement_timeout)', async () => {
    await session.client.query(`CREATE FOREIGN TABLE endless (a int) SERVER fail_srv OPTIONS (mode 'forever')`);
    await session.client.query(`SET statement_timeout = '300ms'`);
    try {
      const error = await sqlError(session.client.query('SELECT count(*) FROM endless'));
      expect(error).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    } finally {
      await session.client.query('RESET statement_timeout');
    }
    expect((await session.client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });

  it('a wrapper busy inside execute() is cancelled at check_interrupts(), with the PostgreSQL error kept', async () => {
    await session.client.query(`CREATE FOREIGN TABLE busy (a int) SERVER fail_srv OPTIONS (mode 'busy')`);
    await session.client.query(`SET statement_timeout = '300ms'`);
    try {
      const error = await sqlError(session.client.query('SELECT * FROM busy'));
      expect(error).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
    } finally {
      await session.client.query('RESET statement_timeout');
    }
    expect((await session.client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });
});
