// src/columns.ts in Node vs the emitted pymcache_fdw/columns.py under /usr/bin/python3: resolveCacheLayout,
// checkStatsColumns and baseType on column lists built as Multicorn builds them (the host port's ColumnDefinition in
// Node, the host's multicorn.ColumnDefinition in Python; see script-node.ts / script_driver.py): same layouts, same
// errors (class, message, HINT), same WARNINGs (the default row_id).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, sample } from '../runtime/vectors';
import { errorOf, expectScriptAgreement, okOf, PythonScripts } from './script-harness';

let python: PythonScripts;
beforeAll(() => {
  python = new PythonScripts();
});
afterAll(async () => {
  await python.close();
});

/** [typeName, baseTypeName] as format_type_with_typemod / format_type_be write them (and an empty base name). */
const TYPES: Array<[string, string]> = [
  ['text', 'text'],
  ['character varying(10)', 'character varying'],
  ['character varying(10)', ''],
  ['character varying', ''],
  ['bytea', 'bytea'],
  ['json', 'json'],
  ['jsonb', 'jsonb'],
  ['smallint', 'smallint'],
  ['integer', 'integer'],
  ['bigint', 'bigint'],
  ['numeric(10,2)', 'numeric'],
  ['text[]', 'text[]'],
  ['timestamp without time zone', 'timestamp without time zone'],
  ['character(4)', 'character'],
];
const NAMES = ['key', 'k', 'value', 'value', 'expire', 'flags', 'other', 'Value', 'stat_name', 'stat_value', 'server'];
const column = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...TYPES))
  .map(([name, [type, base]]) => [name, type, base]);
const columnList = fc.array(column, { maxLength: 5 });
/** Mostly plausible cache tables: a key column, then value, expire and flags (any type) in any order, sometimes a stray one. */
const typed = (names: string[]): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      fc.constantFrom(...names),
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...TYPES.slice(0, 10)) },
        { weight: 1, arbitrary: fc.constantFrom(...TYPES) },
      ),
    )
    .map(([name, [type, base]]) => [name, type, base]);
const cacheTable = fc
  .tuple(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(['key', 'text', 'text'], ['k', 'character varying(20)', 'character varying']),
      },
      { weight: 1, arbitrary: typed(['key', 'k']) },
    ),
    fc
      .shuffledSubarray([
        typed(['value']),
        typed(['value']),
        typed(['expire']),
        typed(['flags']),
        typed(['other', 'Value', 'key']),
      ])
      .chain((parts) => fc.tuple(...parts)),
  )
  .map(([key, rest]) => [key, ...rest]);

describe('columns.ts: Node and emitted Python agree', () => {
  it('hand-picked cache and stats tables', async () => {
    const steps: unknown[][] = [
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'text', 'text'],
        ],
        null,
      ],
      [
        'layout',
        [
          ['k', 'character varying(250)', 'character varying'],
          ['value', 'bytea', 'bytea'],
          ['expire', 'integer', 'integer'],
          ['flags', 'bigint', 'bigint'],
        ],
        'k',
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'jsonb', 'jsonb'],
          ['expire', 'text', 'text'],
          ['flags', 'smallint', 'smallint'],
        ],
        'key',
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'text', 'text'],
        ],
        'missing',
      ],
      ['layout', [], null],
      [
        'layout',
        [
          ['key', 'integer', 'integer'],
          ['value', 'text', 'text'],
        ],
        null,
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['val', 'text', 'text'],
        ],
        null,
      ],
      ['layout', [['key', 'text', 'text']], null],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'numeric(10,2)', 'numeric'],
        ],
        null,
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'text', 'text'],
          ['expire', 'timestamp without time zone', 'timestamp without time zone'],
        ],
        null,
      ],
      [
        'layout',
        [
          ['value', 'text', 'text'],
          ['key', 'text', 'text'],
        ],
        'key',
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'text', 'text'],
          ['cas', 'numeric', 'numeric'],
          ['last_access', 'bigint', 'bigint'],
          ['size', 'text', 'text'],
          ['fetched', 'text', 'text'],
        ],
        null,
      ],
      [
        'layout',
        [
          ['key', 'text', 'text'],
          ['value', 'text', 'text'],
          ['last_access', 'timestamp without time zone', 'timestamp without time zone'],
        ],
        null,
      ],
      [
        'statsColumns',
        [
          ['stat_name', 'text', 'text'],
          ['stat_value', 'character varying(200)', 'character varying'],
          ['server', 'text', 'text'],
        ],
      ],
      [
        'statsColumns',
        [
          ['stat_name', 'text', 'text'],
          ['stat_value', 'integer', 'integer'],
        ],
      ],
      [
        'statsColumns',
        [
          ['stat_name', 'text', 'text'],
          ['value', 'text', 'text'],
        ],
      ],
      [
        'baseType',
        [
          ['a', 'character varying(10)', ''],
          ['b', 'numeric(10,2)', 'numeric'],
          ['c', '', ''],
        ],
      ],
    ];
    const outcomes = await expectScriptAgreement(python, steps, 'hand-picked columns');
    expect(outcomes[0]!.logged).toEqual([['WARNING', 'Using default row_id: key', null, null]]);
    expect(okOf(outcomes[1]!)).toEqual({
      dict: [
        ['keyColumn', 'k'],
        ['valueColumn', 'value'],
        ['valueKind', 'bytea'],
        ['expireColumn', 'expire'],
        ['expireKind', 'integer'],
        ['flagsColumn', 'flags'],
        ['flagsKind', 'bigint'],
        ['casColumn', null],
        ['lastAccessColumn', null],
        ['lastAccessKind', 'timestamptz'],
        ['sizeColumn', null],
        ['fetchedColumn', null],
        ['fetchedKind', 'boolean'],
      ],
    });
    expect(errorOf(outcomes[3]!)?.message).toBe(
      'option "row_id" names column "missing", which the table does not have',
    );
    expect(errorOf(outcomes[6]!)?.message).toBe('column "val" is not a part of a memcached item');
    expect(errorOf(outcomes[7]!)?.message).toBe('the foreign table has no column named value');
    expect((okOf(outcomes[11]!) as { dict: unknown[][] }).dict.slice(7)).toEqual([
      ['casColumn', 'cas'],
      ['lastAccessColumn', 'last_access'],
      ['lastAccessKind', 'bigint'],
      ['sizeColumn', 'size'],
      ['fetchedColumn', 'fetched'],
      ['fetchedKind', 'text'],
    ]);
    expect(errorOf(outcomes[12]!)?.message).toBe(
      'column "last_access" has type timestamp without time zone, which cannot hold the memcached last access time',
    );
    expect(okOf(outcomes[13]!)).toBeNull();
    expect(okOf(outcomes[16]!)).toEqual(['character varying', 'numeric', '']);
  });

  it('random column lists', async () => {
    const steps = [
      ...sample(
        fc.tuple(
          fc.oneof({ weight: 3, arbitrary: cacheTable }, { weight: 1, arbitrary: columnList }),
          fc.constantFrom(null, null, 'key', 'k', 'value', 'missing'),
        ),
        1000,
      ).map(([columns, rowId]) => ['layout', columns, rowId]),
      ...sample(columnList, 400).map((columns) => ['statsColumns', columns]),
      ...sample(columnList, 200).map((columns) => ['baseType', columns]),
    ];
    const outcomes = await expectScriptAgreement(python, steps, `random columns (FC_SEED=${SEED})`);
    const layouts = outcomes.slice(0, 1000);
    expect(layouts.filter((outcome) => errorOf(outcome) === null).length).toBeGreaterThan(30);
    expect(layouts.filter((outcome) => errorOf(outcome) !== null).length).toBeGreaterThan(300);
  });
});
