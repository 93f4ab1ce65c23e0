// Contract: the `wrapper` option, the options and columns a wrapper receives, and instance lifetime.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, openHostDatabase, openSession, sqlError, type HostSession } from './helpers';

let session: HostSession;

beforeAll(async () => {
  session = await openHostDatabase('host_loading');
});
afterAll(async () => {
  await session.close();
});

describe('the wrapper option', () => {
  it('is resolved by import: the class the server names produces the rows', async () => {
    await session.client.query(`CREATE SERVER rows_srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Rows')`);
    await session.client.query(`CREATE FOREIGN TABLE two_rows (a int, b text) SERVER rows_srv
      OPTIONS (python_rows '[{"a": 1, "b": "one"}, (2, "two")]')`);
    const result = await session.client.query('SELECT a, b FROM two_rows');
    expect(result.rows).toEqual([{ a: 1, b: 'one' }, { a: 2, b: 'two' }]);
  });

  it('naming a missing module fails CREATE SERVER with the module named', async () => {
    const error = await sqlError(session.client.query(
      `CREATE SERVER no_module FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'no_such_module.Wrapper')`));
    expect(error).toMatchObject({
      message: 'Error in python: ModuleNotFoundError', detail: "No module named 'no_such_module'", code: 'XX000',
    });
  });

  it('naming a missing class fails CREATE SERVER with the class named', async () => {
    const error = await sqlError(session.client.query(
      `CREATE SERVER no_class FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.NoSuchClass')`));
    expect(error).toMatchObject({
      message: 'Error in python: AttributeError', detail: "module 'host_contract' has no attribute 'NoSuchClass'",
    });
  });

  it('is mandatory on the server and refused on a table', async () => {
    const missing = await sqlError(session.client.query('CREATE SERVER no_wrapper FOREIGN DATA WRAPPER multicorn'));
    expect(missing.message).toBe('The wrapper parameter is mandatory, specify a valid class name');
    const onTable = await sqlError(session.client.query(
      `CREATE FOREIGN TABLE sneaky (a int) SERVER rows_srv OPTIONS (wrapper 'host_contract.Failing')`));
    expect(onTable).toMatchObject({ message: 'Cannot set the wrapper class on the table', hint: 'Set it on the server' });
  });
});

describe('options and columns', () => {
  beforeAll(async () => {
    await session.client.query(`CREATE SERVER rec_srv FOREIGN DATA WRAPPER multicorn
      OPTIONS (wrapper 'host_contract.Recorder', shared 'from server', server_only 's')`);
    await session.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER rec_srv
      OPTIONS (shared 'from mapping', mapping_only 'm')`);
    await session.client.query(`CREATE FOREIGN TABLE described (
        key varchar(250) OPTIONS (role 'key'),
        value bytea,
        "Mixed Case" numeric(10,2),
        tags text[]
      ) SERVER rec_srv OPTIONS (shared 'from table', table_only 't', tag 'described')`);
  });

  it('merges table, server and user mapping options into one dict of strings, later ones winning, without wrapper', async () => {
    session.takeNotices();
    await session.client.query('SELECT * FROM described');
    const [init] = events(session.takeJournal(), 'init');
    expect(init?.['options']).toEqual({
      type: 'dict',
      items: {
        shared: { type: 'str', repr: "'from mapping'" },
        mapping_only: { type: 'str', repr: "'m'" },
        server_only: { type: 'str', repr: "'s'" },
        table_only: { type: 'str', repr: "'t'" },
        tag: { type: 'str', repr: "'described'" },
      },
    });
  });

  it('passes columns as an OrderedDict name -> ColumnDefinition(name, type oid, typmod, type name, base type, options)', async () => {
    await session.client.query(`ALTER FOREIGN TABLE described OPTIONS (ADD rebuild '1')`);
    session.takeNotices();
    await session.client.query('SELECT * FROM described');
    const [init] = events(session.takeJournal(), 'init');
    expect(init?.['columns_type']).toBe('OrderedDict');
    expect(init?.['columns']).toEqual([
      ['key', 1043, 254, 'character varying(250)', 'character varying', { role: 'key' }],
      ['value', 17, -1, 'bytea', 'bytea', {}],
      ['Mixed Case', 1700, 655366, 'numeric(10,2)', 'numeric', {}],
      ['tags', 1009, -1, 'text[]', 'text[]', {}],
    ]);
  });
});

describe('instances', () => {
  beforeAll(async () => {
    await session.client.query(`CREATE SERVER life_srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
    await session.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER life_srv OPTIONS (who 'me')`);
    await session.client.query(`CREATE FOREIGN TABLE life (a int) SERVER life_srv OPTIONS (tag 'life')`);
    await session.client.query(`CREATE FOREIGN TABLE other_life (a int) SERVER life_srv OPTIONS (tag 'other')`);
  });

  async function initsDuring(sql: string, on: HostSession = session): Promise<number> {
    on.takeNotices();
    await on.client.query(sql);
    return events(on.takeJournal(), 'init').length;
  }

  it('is one per foreign table per backend', async () => {
    expect(await initsDuring('SELECT * FROM life')).toBe(1);
    expect(await initsDuring('SELECT * FROM life')).toBe(0);
    expect(await initsDuring('SELECT * FROM other_life')).toBe(1);
    expect(await initsDuring('SELECT * FROM life, other_life')).toBe(0);
    const second = await openSession(session.connection);
    try {
      expect(await initsDuring('SELECT * FROM life', second)).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('is rebuilt after ALTER of the table, the server, the user mapping or the columns', async () => {
    await session.client.query('SELECT * FROM life');
    await session.client.query(`ALTER FOREIGN TABLE life OPTIONS (ADD extra 'x')`);
    expect(await initsDuring('SELECT * FROM life')).toBe(1);
    await session.client.query(`ALTER SERVER life_srv OPTIONS (ADD level 'server')`);
    expect(await initsDuring('SELECT * FROM life')).toBe(1);
    await session.client.query(`ALTER USER MAPPING FOR CURRENT_USER SERVER life_srv OPTIONS (SET who 'you')`);
    expect(await initsDuring('SELECT * FROM life')).toBe(1);
    await session.client.query('ALTER FOREIGN TABLE life ADD COLUMN b text');
    expect(await initsDuring('SELECT * FROM life')).toBe(1);
    expect(await initsDuring('SELECT * FROM life')).toBe(0);
  });
});
