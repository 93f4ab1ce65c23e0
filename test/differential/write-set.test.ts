// src/write-set.ts and the bookkeeping of src/transaction.ts in Node vs the emitted Python under /usr/bin/python3:
// composeWrites on every pair of operation kinds, and scripted sequences of record / ROLLBACK TO / RELEASE / lookups /
// takeAll on a WriteSet, and of two statements' writes (StatementWrites: record, decided, folded at their end) with
// rollbackToLevel / releaseLevel / forgetAll on the backend's write set, over a small key space on three stores (one
// with a prefix): every step's result equal, errors (a key written twice by one statement) included.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sample } from '../runtime/vectors';
import { expectScriptAgreement, okOf, PythonScripts } from './script-harness';

let python: PythonScripts;
beforeAll(() => {
  python = new PythonScripts();
});
afterAll(async () => {
  await python.close();
});

const KEYS = ['a', 'b', 'p:a', 'é'];
const key = fc.constantFrom(...KEYS);
const writeOp = fc.oneof(
  fc.tuple(
    fc.constantFrom('set', 'add'),
    key,
    fc.constantFrom('v1', 'v2', ''),
    fc.constantFrom(0, 7),
    fc.constantFrom(0, 60, 2592001),
  ),
  fc.tuple(fc.constant('touch'), key, fc.constantFrom(0, 30)),
  fc.tuple(fc.constant('delete'), key),
);
const level = fc.integer({ min: 0, max: 4 });
const store = fc.integer({ min: 0, max: 2 });

const writeSetStep = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('ws.record'), level, store, writeOp) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('ws.rollbackTo'), level) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('ws.release'), level) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('ws.effective'), store, key) },
  { weight: 2, arbitrary: fc.constant<unknown[]>(['ws.counts']) },
  { weight: 1, arbitrary: fc.constant<unknown[]>(['ws.takeAll']) },
  { weight: 1, arbitrary: fc.constant<unknown[]>(['ws.clear']) },
);

const statement = fc.integer({ min: 0, max: 1 });
const transactionStep = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constant('st.record'), statement, level, store, writeOp) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('st.decided'), statement, store, key) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('st.fold'), statement) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('tx.rollbackTo'), level) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('tx.release'), level) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('tx.effective'), store, key) },
  { weight: 2, arbitrary: fc.constant<unknown[]>(['tx.counts']) },
  { weight: 1, arbitrary: fc.constant<unknown[]>(['tx.forgetAll']) },
);

describe('write-set.ts and transaction.ts bookkeeping: Node and emitted Python agree', () => {
  it('composeWrites on every pair of kinds', async () => {
    const ops: unknown[][] = [
      ['set', 'k', 'v1', 1, 10],
      ['add', 'k', 'v2', 2, 20],
      ['touch', 'k', 30],
      ['delete', 'k'],
    ];
    const steps: unknown[][] = [];
    for (const later of ops) {
      steps.push(['compose', null, later]);
      for (const earlier of ops) steps.push(['compose', earlier, later]);
    }
    const outcomes = await expectScriptAgreement(python, steps, 'composeWrites');
    // What they agree on: rows are `later`, columns `earlier` (null first) in the order set, add, touch, delete.
    expect(
      outcomes.map((outcome) =>
        (okOf(outcome) as Array<string | { int: string }>)
          .map((part) => (typeof part === 'string' ? part : part.int))
          .join(' '),
      ),
    ).toEqual([
      'set k v1 1 10',
      'set k v1 1 10',
      'add k v1 1 10',
      'set k v1 1 10',
      'set k v1 1 10',
      'add k v2 2 20',
      'add k v2 2 20',
      'add k v2 2 20',
      'add k v2 2 20',
      'set k v2 2 20',
      'touch k 30',
      'set k v1 1 30',
      'add k v2 2 30',
      'touch k 30',
      'delete k',
      'delete k',
      'delete k',
      'delete k',
      'delete k',
      'delete k',
    ]);
  });

  it('a savepoint sequence by hand', async () => {
    const steps: unknown[][] = [
      ['ws.record', 1, 0, ['set', 'a', 'v1', 0, 0]],
      ['ws.record', 2, 0, ['touch', 'a', 30]],
      ['ws.record', 3, 1, ['add', 'a', 'v2', 0, 0]],
      ['ws.effective', 0, 'a'],
      ['ws.release', 3],
      ['ws.rollbackTo', 2],
      ['ws.effective', 0, 'a'],
      ['ws.effective', 1, 'a'],
      ['ws.counts'],
      ['ws.record', 2, 2, ['delete', 'p:a']],
      ['ws.record', 2, 2, ['add', 'p:a', 'v3', 0, 0]],
      ['ws.takeAll'],
      ['ws.counts'],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'hand-picked write set');
    expect(okOf(outcomes[3]!)).toEqual(['127.0.0.1:11211', ['set', 'a', 'v1', { int: '0' }, { int: '30' }]]);
    expect(okOf(outcomes[6]!)).toEqual(['127.0.0.1:11211', ['set', 'a', 'v1', { int: '0' }, { int: '0' }]]);
    expect(okOf(outcomes[7]!)).toBeNull();
    expect(okOf(outcomes[11]!)).toEqual([
      ['127.0.0.1:11211', ['set', 'a', 'v1', { int: '0' }, { int: '0' }]],
      ['10.0.0.1:11211', ['set', 'p:a', 'v3', { int: '0' }, { int: '0' }]],
    ]);
    expect(okOf(outcomes[12]!)).toEqual([true, { int: '0' }]);
  });

  it('random write-set scripts', async () => {
    for (const steps of sample(fc.array(writeSetStep, { minLength: 1, maxLength: 30 }), 300)) {
      await expectScriptAgreement(python, steps, `write set script (FC_SEED=${SEED})`);
    }
  });

  it('random scripts of statements and the backend write set (record, fold, rollbackToLevel, releaseLevel, forgetAll)', async () => {
    for (const steps of sample(fc.array(transactionStep, { minLength: 1, maxLength: 30 }), 300)) {
      await expectScriptAgreement(python, [['tx.forgetAll'], ...steps], `transaction script (FC_SEED=${SEED})`);
    }
  });
});
