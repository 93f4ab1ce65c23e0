// Contract: INSERT / UPDATE / DELETE, rowid_column, oldvalues (multicorn2 3.x), batches, end_modify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, literal, openHostDatabase, sqlError, type HostSession } from './helpers';

let session: HostSession;

const ROWS = [{ id: 1, name: 'one', size: 10 }, { id: 2, name: 'two', size: 20 }];

beforeAll(async () => {
  session = await openHostDatabase('host_modify');
  await session.client.query(`CREATE SERVER rec FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
  const rows = literal(JSON.stringify(ROWS));
  await session.client.query(`CREATE FOREIGN TABLE writable (id int, name text, size int) SERVER rec
    OPTIONS (rows ${rows}, rowid 'id', tag 'w')`);
  await session.client.query(`CREATE FOREIGN TABLE shouting (id int, name text, size int) SERVER rec
    OPTIONS (rows ${rows}, rowid 'id', returning 'upper', tag 's')`);
  await session.client.query(`CREATE FOREIGN TABLE read_only (id int, name text) SERVER rec OPTIONS (rows ${rows})`);
  await session.client.query(`CREATE FOREIGN TABLE lost_rowid (id int) SERVER rec OPTIONS (rows ${rows}, rowid 'nope')`);
  await session.client.query(`CREATE FOREIGN TABLE batched (id int, name text) SERVER rec OPTIONS (rowid 'id', batch '3', tag 'b')`);
  await session.client.query(`CREATE FOREIGN TABLE batched_shouting (id int, name text) SERVER rec
    OPTIONS (rowid 'id', batch '2', returning 'upper', tag 'bs')`);
});
afterAll(async () => {
  await session.close();
});

const int = (n: number): { type: string; repr: string } => ({ type: 'int', repr: String(n) });
const str = (s: string): { type: string; repr: string } => ({ type: 'str', repr: `'${s}'` });
const none = { type: 'NoneType', repr: 'None' };

describe('INSERT', () => {
  it('insert(values) gets every column (None for the missing ones); end_modify follows', async () => {
    session.takeNotices();
    const result = await session.client.query(`INSERT INTO writable (id, name) VALUES (3, 'three')`);
    expect(result.rowCount).toBe(1);
    const journal = session.takeJournal();
    expect(events(journal, 'insert', 'end_modify').map((entry) => [entry.event, entry['values']])).toEqual([
      ['insert', { type: 'dict', items: { id: int(3), name: str('three'), size: none } }],
      ['end_modify', undefined],
    ]);
  });

  it('RETURNING sees the row insert() returned', async () => {
    const result = await session.client.query(`INSERT INTO shouting VALUES (4, 'four', 40) RETURNING name, size`);
    expect(result.rows).toEqual([{ name: 'FOUR', size: 40 }]);
  });

  it('modify_batch_size > 1 sends the rows to bulk_insert in batches, never to insert()', async () => {
    session.takeNotices();
    const result = await session.client.query(`INSERT INTO batched SELECT g, 'n' || g FROM generate_series(1, 7) g`);
    expect(result.rowCount).toBe(7);
    const journal = session.takeJournal();
    expect(events(journal, 'insert')).toEqual([]);
    const batches = events(journal, 'bulk_insert').map((entry) =>
      ((entry['rows'] as { items: { items: { id: { repr: string } } }[] }).items).map((row) => Number(row.items.id.repr)));
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  // multicorn2 3.2's GetForeignModifyBatchSize returns modify_batch_size as is: unlike postgres_fdw it does not fall
  // back to 1 for RETURNING, so PostgreSQL batches and never projects RETURNING (multicorn2's write_batch_test).
  it('INSERT ... RETURNING with modify_batch_size > 1 still batches, and returns no rows even when bulk_insert returns them', async () => {
    session.takeNotices();
    const result = await session.client.query(`INSERT INTO batched_shouting VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e') RETURNING id, name`);
    expect(result.rows).toEqual([]);
    // PostgreSQL 15 counts the RETURNING rows it projected in the command tag: none, though all 5 were inserted.
    expect(result.rowCount).toBe(0);
    const journal = session.takeJournal();
    expect(events(journal, 'insert')).toEqual([]);
    const batches = events(journal, 'bulk_insert').map((entry) =>
      ((entry['rows'] as { items: { items: { id: { repr: string } } }[] }).items).map((row) => Number(row.items.id.repr)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('a wrapper without rowid_column cannot be written to (NotImplementedError)', async () => {
    const error = await sqlError(session.client.query(`INSERT INTO read_only VALUES (9, 'nine')`));
    expect(error).toMatchObject({
      message: 'Error in python: NotImplementedError', detail: 'This FDW does not support the writable API', code: 'XX000',
    });
  });
});

describe('UPDATE', () => {
  it('update(oldvalues, newvalues): oldvalues is the rowid value, newvalues every column of the new row', async () => {
    session.takeNotices();
    const result = await session.client.query(`UPDATE writable SET size = size + 1 WHERE name = 'two'`);
    expect(result.rowCount).toBe(1);
    const updates = events(session.takeJournal(), 'update');
    expect(updates.map((entry) => [entry['oldvalues'], entry['newvalues']])).toEqual([
      [int(2), { type: 'dict', items: { id: int(2), name: str('two'), size: int(21) } }],
    ]);
  });

  it('scans every column for UPDATE, and RETURNING sees what update() returned', async () => {
    session.takeNotices();
    const result = await session.client.query(`UPDATE shouting SET name = 'uno' WHERE id = 1 RETURNING id, name`);
    expect(result.rows).toEqual([{ id: 1, name: 'UNO' }]);
    const [execute] = events(session.takeJournal(), 'execute');
    expect(execute?.['columns']).toEqual(['id', 'name', 'size']);
  });
});

describe('COPY', () => {
  it('COPY FROM into a foreign table goes through insert()', async () => {
    session.takeNotices();
    await session.client.query(`COPY writable (id, name, size) FROM PROGRAM 'printf "7\\tseven\\t70\\n"'`);
    expect(events(session.takeJournal(), 'insert').map((entry) => entry['values'])).toEqual([
      { type: 'dict', items: { id: int(7), name: str('seven'), size: int(70) } },
    ]);
  });
});

describe('DELETE', () => {
  it('delete(oldvalues) gets the rowid value; only the rowid column is scanned', async () => {
    session.takeNotices();
    const result = await session.client.query(`DELETE FROM writable WHERE id >= 1`);
    expect(result.rowCount).toBe(2);
    const journal = session.takeJournal();
    expect(events(journal, 'execute')[0]?.['columns']).toEqual(['id']);
    expect(events(journal, 'delete').map((entry) => entry['oldvalues'])).toEqual([int(1), int(2)]);
  });

  it('DELETE ... RETURNING returns the scanned values', async () => {
    const result = await session.client.query(`DELETE FROM writable WHERE id = 2 RETURNING name, size`);
    expect(result.rows).toEqual([{ name: 'two', size: 20 }]);
  });

  it('a rowid_column that names no column is an ERROR', async () => {
    const error = await sqlError(session.client.query('DELETE FROM lost_rowid'));
    expect(error.message).toBe('The rowid attribute does not exist');
  });
});
