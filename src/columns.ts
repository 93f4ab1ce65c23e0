// Which column of a cache table plays which part (key, value, expire, flags), and the SQL types each part accepts.
// Decided once, from the ColumnDefinitions Multicorn passes to the constructor.
import { raiseError, warn } from './errors';
import type { ColumnDefinition } from './ports/host';

/** How a value column's bytes are read and written. */
export type ValueKind = 'text' | 'bytea' | 'json' | 'jsonb' | 'smallint' | 'integer' | 'bigint';
/** An integer column (expire, flags) may also be text holding digits, as in the original README's `expire TEXT`. */
export type NumberKind = 'smallint' | 'integer' | 'bigint' | 'text';

export const VALUE_COLUMN = 'value';
export const EXPIRE_COLUMN = 'expire';
export const FLAGS_COLUMN = 'flags';
/** Read-only columns: what memcached tells about an item (written rows ignore them). */
export const CAS_COLUMN = 'cas';
export const LAST_ACCESS_COLUMN = 'last_access';
export const SIZE_COLUMN = 'size';
export const FETCHED_COLUMN = 'fetched';

/** The type a read-only column is declared with decides how its value is handed over. */
export type FactKind = 'bigint' | 'integer' | 'numeric' | 'text' | 'timestamptz' | 'boolean';

const TEXT_TYPES: string[] = ['text', 'character varying'];
const OPTIONAL_COLUMNS = 'expire, flags, cas, last_access, size and fetched';
const VALUE_TYPES_TEXT = 'text, character varying, bytea, json, jsonb, smallint, integer or bigint';

/**
 * The parts of a cache table: the key and value columns always, the others null when the table has none. expire is
 * written (seconds to live) and read (seconds left); cas, last_access, size and fetched are only read.
 */
export interface CacheTableLayout {
  keyColumn: string;
  valueColumn: string;
  valueKind: ValueKind;
  expireColumn: string | null;
  expireKind: NumberKind;
  flagsColumn: string | null;
  flagsKind: NumberKind;
  casColumn: string | null;
  lastAccessColumn: string | null;
  lastAccessKind: FactKind;
  sizeColumn: string | null;
  fetchedColumn: string | null;
  fetchedKind: FactKind;
}

/** The type name without its modifier: `character varying(10)` -> `character varying`. */
export function baseType(column: ColumnDefinition): string {
  if (column.baseTypeName !== '') return column.baseTypeName;
  const beforeModifier = column.typeName.split('(')[0];
  return beforeModifier === undefined ? column.typeName : beforeModifier;
}

function typeError(column: ColumnDefinition, part: string, accepted: string): never {
  return raiseError(
    'column "' + column.columnName + '" has type ' + column.typeName + ', which cannot hold the memcached ' + part,
    'Declare it as ' + accepted + '.',
  );
}

function numberKind(column: ColumnDefinition, part: string): NumberKind {
  const typeName = baseType(column);
  if (typeName === 'smallint' || typeName === 'integer' || typeName === 'bigint') return typeName;
  if (TEXT_TYPES.includes(typeName)) return 'text';
  return typeError(column, part, 'integer, bigint or text');
}

/** The kind of a read-only column, among the types `accepted` (PostgreSQL type names) that can hold it. */
function factKind(column: ColumnDefinition, part: string, accepted: string[]): FactKind {
  const typeName = baseType(column);
  if (TEXT_TYPES.includes(typeName) && accepted.includes('text')) return 'text';
  if (typeName === 'timestamp with time zone' && accepted.includes('timestamptz')) return 'timestamptz';
  if (
    (typeName === 'bigint' || typeName === 'integer' || typeName === 'numeric' || typeName === 'boolean') &&
    accepted.includes(typeName)
  ) {
    return typeName;
  }
  return typeError(column, part, accepted.join(', '));
}

function valueKind(column: ColumnDefinition): ValueKind {
  const typeName = baseType(column);
  if (TEXT_TYPES.includes(typeName)) return 'text';
  if (typeName === 'bytea' || typeName === 'json' || typeName === 'jsonb') return typeName;
  if (typeName === 'smallint' || typeName === 'integer' || typeName === 'bigint') return typeName;
  return typeError(column, 'value', VALUE_TYPES_TEXT);
}

/**
 * The layout of a cache table. The key column is `row_id`, or the first column (announced with a WARNING); the other
 * columns must be named value, expire or flags, so that a typo is an ERROR rather than a column that stays NULL, and
 * the value column is required.
 */
export function resolveCacheLayout(columns: Map<string, ColumnDefinition>, rowId: string | null): CacheTableLayout {
  const names: string[] = [];
  for (const name of columns.keys()) names.push(name);
  let keyColumn: string;
  if (rowId !== null) {
    if (!columns.has(rowId)) {
      raiseError(
        'option "row_id" names column "' + rowId + '", which the table does not have',
        'Set row_id to the key column, one of: ' + names.join(', ') + '.',
      );
    }
    keyColumn = rowId;
  } else {
    const first = names[0];
    if (first === undefined) {
      return raiseError('the foreign table has no columns', 'Declare at least a key column and a value column.');
    }
    keyColumn = first;
    warn('Using default row_id: ' + keyColumn);
  }
  const keyDefinition = columns.get(keyColumn)!;
  if (!TEXT_TYPES.includes(baseType(keyDefinition))) typeError(keyDefinition, 'key', 'text or character varying');

  let valueColumn: string | null = null;
  let valueKindOfTable: ValueKind = 'text';
  let expireColumn: string | null = null;
  let expireKind: NumberKind = 'integer';
  let flagsColumn: string | null = null;
  let flagsKind: NumberKind = 'integer';
  let casColumn: string | null = null;
  let lastAccessColumn: string | null = null;
  let lastAccessKind: FactKind = 'timestamptz';
  let sizeColumn: string | null = null;
  let fetchedColumn: string | null = null;
  let fetchedKind: FactKind = 'boolean';
  for (const name of names) {
    if (name === keyColumn) continue;
    const column = columns.get(name)!;
    if (name === VALUE_COLUMN) {
      valueColumn = name;
      valueKindOfTable = valueKind(column);
    } else if (name === EXPIRE_COLUMN) {
      expireColumn = name;
      expireKind = numberKind(column, 'expiration');
    } else if (name === FLAGS_COLUMN) {
      flagsColumn = name;
      flagsKind = numberKind(column, 'flags');
    } else if (name === CAS_COLUMN) {
      casColumn = name;
      factKind(column, 'CAS token', ['bigint', 'numeric', 'text']);
    } else if (name === LAST_ACCESS_COLUMN) {
      lastAccessColumn = name;
      lastAccessKind = factKind(column, 'last access time', ['timestamptz', 'bigint', 'text']);
    } else if (name === SIZE_COLUMN) {
      sizeColumn = name;
      factKind(column, 'item size', ['integer', 'bigint', 'text']);
    } else if (name === FETCHED_COLUMN) {
      fetchedColumn = name;
      fetchedKind = factKind(column, 'fetched flag', ['boolean', 'text']);
    } else {
      raiseError(
        'column "' + name + '" is not a part of a memcached item',
        `A cache table has the key column (${keyColumn}), value, and optionally ${OPTIONAL_COLUMNS}; drop or rename "${name}".`,
      );
    }
  }
  if (valueColumn === null) {
    return raiseError(
      'the foreign table has no column named value',
      `A cache table has the key column (${keyColumn}), value, and optionally ${OPTIONAL_COLUMNS}.`,
    );
  }
  return {
    keyColumn: keyColumn,
    valueColumn: valueColumn,
    valueKind: valueKindOfTable,
    expireColumn: expireColumn,
    expireKind: expireKind,
    flagsColumn: flagsColumn,
    flagsKind: flagsKind,
    casColumn: casColumn,
    lastAccessColumn: lastAccessColumn,
    lastAccessKind: lastAccessKind,
    sizeColumn: sizeColumn,
    fetchedColumn: fetchedColumn,
    fetchedKind: fetchedKind,
  };
}

/** The columns a stats table must have, in any order. */
export const STAT_NAME_COLUMN = 'stat_name';
export const STAT_VALUE_COLUMN = 'stat_value';
/** Optional column of a stats table: the server (`host:port`) each row comes from. */
export const STAT_SERVER_COLUMN = 'server';

/** A stats table has stat_name and stat_value, and optionally server (text types); anything else is an ERROR. */
export function checkStatsColumns(columns: Map<string, ColumnDefinition>): void {
  for (const [name, column] of columns) {
    if (name !== STAT_NAME_COLUMN && name !== STAT_VALUE_COLUMN && name !== STAT_SERVER_COLUMN) {
      raiseError(
        'column "' + name + '" is not a statistics column',
        'A stats table has the columns stat_name and stat_value, and optionally server (text); drop or rename "' +
          name +
          '".',
      );
    }
    if (!TEXT_TYPES.includes(baseType(column))) typeError(column, 'statistic', 'text');
  }
}
