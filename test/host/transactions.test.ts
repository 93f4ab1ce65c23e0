// Contract: begin/pre_commit/commit/rollback and savepoints, for every wrapper touched in a transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHostDatabase, sqlError, type HostSession, type JournalEntry } from './helpers';

let session: HostSession;

const TX_EVENTS = ['begin', 'pre_commit', 'commit', 'rollback', 'sub_begin', 'sub_commit', 'sub_rollback'];

beforeAll(async () => {
  session = await openHostDatabase('host_transactions');
  await session.client.query(`CREATE SERVER rec FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
  await session.client.query(`CREATE FOREIGN TABLE first (a int) SERVER rec OPTIONS (tag 'first', rowid 'a')`);
  await session.client.query(`CREATE FOREIGN TABLE second (a int) SERVER rec OPTIONS (tag 'second', rowid 'a')`);
  await session.client.query(`CREATE FOREIGN TABLE untouched (a int) SERVER rec OPTIONS (tag 'untouched')`);
  // Build the instances outside the transactions under test.
  await session.client.query('SELECT * FROM first, second, untouched');
});
afterAll(async () => {
  await session.close();
});

/** [event, tag, argument] for the transaction events journaled while running `statements`. */
async function transactionEvents(...statements: string[]): Promise<unknown[][]> {
  session.takeNotices();
  for (const statement of statements) {
    await session.client.query(statement).catch(() => undefined);
  }
  return session.takeJournal()
    .filter((entry: JournalEntry) => TX_EVENTS.includes(entry.event))
    .map((entry) => {
      const argument = entry['serializable'] ?? entry['level'];
      return argument === undefined ? [entry.event, entry.tag] : [entry.event, entry.tag, argument];
    });
}

describe('transactions', () => {
  it('an autocommit statement: begin(0) at first use, then pre_commit and commit', async () => {
    expect(await transactionEvents('SELECT * FROM first')).toEqual([
      ['begin', 'first', { type: 'int', repr: '0' }], ['pre_commit', 'first'], ['commit', 'first'],
    ]);
  });

  it('every wrapper touched in a transaction gets the events; an untouched one gets none', async () => {
    const all = await transactionEvents('BEGIN', 'SELECT * FROM first', 'SELECT * FROM second', 'SELECT * FROM first', 'COMMIT');
    for (const tag of ['first', 'second']) {
      expect(all.filter((event) => event[1] === tag)).toEqual([
        ['begin', tag, { type: 'int', repr: '0' }], ['pre_commit', tag], ['commit', tag],
      ]);
    }
    expect(all.filter((event) => event[1] === 'untouched')).toEqual([]);
    // Every pre_commit comes before any commit.
    const phases = all.map((event) => event[0]);
    expect(phases.lastIndexOf('pre_commit')).toBeLessThan(phases.indexOf('commit'));
  });

  it('ROLLBACK and a failed statement send rollback()', async () => {
    expect(await transactionEvents('BEGIN', 'SELECT * FROM first', 'ROLLBACK')).toEqual([
      ['begin', 'first', { type: 'int', repr: '0' }], ['rollback', 'first'],
    ]);
    const failing = await transactionEvents('BEGIN', 'SELECT * FROM first', 'SELECT 1/0', 'COMMIT');
    expect(failing).toEqual([['begin', 'first', { type: 'int', repr: '0' }], ['rollback', 'first']]);
  });

  it('begin() receives 1 under SERIALIZABLE', async () => {
    expect(await transactionEvents('BEGIN ISOLATION LEVEL SERIALIZABLE', 'SELECT * FROM first', 'COMMIT')).toEqual([
      ['begin', 'first', { type: 'int', repr: '1' }], ['pre_commit', 'first'], ['commit', 'first'],
    ]);
  });

  it('savepoints: sub_begin(level) at first use inside, sub_commit on RELEASE, sub_rollback on ROLLBACK TO', async () => {
    expect(await transactionEvents(
      'BEGIN', 'SELECT * FROM first', 'SAVEPOINT one', 'SELECT * FROM first', 'RELEASE SAVEPOINT one',
      'SAVEPOINT two', 'SELECT * FROM first', 'ROLLBACK TO SAVEPOINT two', 'COMMIT',
    )).toEqual([
      ['begin', 'first', { type: 'int', repr: '0' }],
      ['sub_begin', 'first', 2], ['sub_commit', 'first', 2],
      ['sub_begin', 'first', 2], ['sub_rollback', 'first', 2],
      ['pre_commit', 'first'], ['commit', 'first'],
    ]);
  });

  it('a wrapper first used inside a savepoint gets begin() then sub_begin() up to the current level', async () => {
    expect(await transactionEvents('BEGIN', 'SAVEPOINT one', 'SAVEPOINT two', 'SELECT * FROM second', 'COMMIT')).toEqual([
      ['begin', 'second', { type: 'int', repr: '0' }], ['sub_begin', 'second', 2], ['sub_begin', 'second', 3],
      ['sub_commit', 'second', 3], ['sub_commit', 'second', 2], ['pre_commit', 'second'], ['commit', 'second'],
    ]);
  });

  it('an exception in pre_commit() fails the COMMIT and rolls back; one in commit() or rollback() is a WARNING', async () => {
    await session.client.query(`CREATE SERVER failing_tx FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.FailingTransaction')`);
    for (const callback of ['pre_commit', 'commit', 'rollback']) {
      await session.client.query(`CREATE FOREIGN TABLE fails_in_${callback} (a int) SERVER failing_tx OPTIONS (fail_in '${callback}', tag '${callback}')`);
    }
    session.takeNotices();
    const preCommit = await sqlError(session.client.query('SELECT * FROM fails_in_pre_commit'));
    expect(preCommit).toMatchObject({ message: 'Error in python: RuntimeError', detail: 'pre_commit failed' });
    // rollback() runs while the backend recovers from the error: its NOTICE arrives after the ERROR.
    await session.client.query('SELECT 1');
    expect(session.takeJournal()
      .filter((entry) => entry.tag === 'pre_commit' && TX_EVENTS.includes(entry.event)).map((entry) => entry.event))
      .toEqual(['begin', 'pre_commit', 'rollback']);

    session.takeNotices();
    expect((await session.client.query('SELECT count(*)::int AS n FROM fails_in_commit')).rows).toEqual([{ n: 0 }]);
    expect(session.takeNotices().filter((n) => n.severity === 'WARNING').map((n) => [n.message, n.detail]))
      .toEqual([['Error in python: RuntimeError', 'commit failed']]);

    await session.client.query('BEGIN');
    await session.client.query('SELECT * FROM fails_in_rollback');
    session.takeNotices();
    await session.client.query('ROLLBACK');
    expect(session.takeNotices().filter((n) => n.severity === 'WARNING').map((n) => [n.message, n.detail]))
      .toEqual([['Error in python: RuntimeError', 'rollback failed']]);
    expect((await session.client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });

  it('a failing statement leaves the session usable', async () => {
    const error = await sqlError(session.client.query('SELECT 1/0 FROM first'));
    expect(error.code).toBe('22012');
    expect((await session.client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });
});

