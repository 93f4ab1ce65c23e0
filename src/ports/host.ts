// Host port, Node binding: Multicorn's Python API (multicorn2 3.x) as TypeScript, so the wrapper logic runs in Node
// tests exactly as it runs inside PostgreSQL. The emitter maps `./ports/host` to `multicorn` (ForeignDataWrapper,
// Qual, ColumnDefinition, SortKey, TableDefinition, ANY, ALL) and `multicorn.utils` (logToPostgres and the levels).
// Names follow the snake_case rule: getRelSize -> get_rel_size, rowidColumn -> rowid_column, fieldName -> field_name.
// Only what a Multicorn wrapper sees is mirrored here; nothing in this file is emitted.
import type { Bytes, Float } from './runtime';

/** The Python `logging` levels Multicorn re-exports from multicorn.utils. */
export const DEBUG = 10;
export const INFO = 20;
export const WARNING = 30;
export const ERROR = 40;
export const CRITICAL = 50;

/** Multicorn's report codes for each level (multicorn.utils.REPORT_CODES). */
const REPORT_CODES = new Map<number, number>([
  [DEBUG, 0],
  [INFO, 1],
  [WARNING, 2],
  [ERROR, 3],
  [CRITICAL, 4],
]);

/**
 * What `log_to_postgres` raises at ERROR and CRITICAL (multicorn.utils.MulticornException): Multicorn reports it as
 * a PostgreSQL error with this message, hint and detail, without a Python traceback.
 */
export class MulticornException extends Error {
  readonly code: number;
  readonly hint: string | null;
  readonly detail: string | null;
  constructor(message: string, code: number, hint: string | null, detail: string | null) {
    super(message);
    this.name = 'MulticornException';
    this.code = code;
    this.hint = hint;
    this.detail = detail;
  }
}

/** One message sent to PostgreSQL below ERROR, as the client would see it. */
export interface LoggedMessage {
  level: number;
  message: string;
  hint: string | null;
  detail: string | null;
}

const loggedMessages: LoggedMessage[] = [];

/**
 * multicorn.utils.log_to_postgres: below ERROR the message goes to the client (recorded here for the tests);
 * at ERROR or CRITICAL it raises, which ends the statement.
 */
export function logToPostgres(
  message: string,
  level: number = INFO,
  hint: string | null = null,
  detail: string | null = null,
): void {
  const code = REPORT_CODES.get(level);
  if (code === undefined) throw new Error('Not a valid log level');
  if (level === ERROR || level === CRITICAL) throw new MulticornException(message, code, hint, detail);
  loggedMessages.push({ level, message, hint, detail });
}

/** Node tests only: the messages logged since the last call, oldest first (the list is emptied). */
export function takeLoggedMessages(): LoggedMessage[] {
  return loggedMessages.splice(0, loggedMessages.length);
}

/** Sentinels of `Qual.listAnyOrAll` (multicorn.ANY / multicorn.ALL). */
export const ANY: unique symbol = Symbol('ANY');
export const ALL: unique symbol = Symbol('ALL');

/** A qual's operator: a name, or (name, useOr) for `col op ANY(array)` (useOr true) and `col op ALL(array)`. */
export type QualOperator = string | [string, boolean];

/** One value Multicorn converts (datumToPython): text and varchar as str, int4 as int, bytea as bytes, numeric as
 * float, and most other types (int2, int8, json, jsonb, ...) as their output text. */
export type HostScalar = string | number | Float | boolean | Bytes | null;
/** A column or qual value: a scalar, or a list for `= ANY(array)` / `IN (...)` quals and array columns. */
export type HostValue = HostScalar | HostScalar[];

/** multicorn.Qual: `fieldName operator value`, with parameters already replaced by their values. */
export class Qual {
  readonly fieldName: string;
  readonly operator: QualOperator;
  readonly value: HostValue;
  constructor(fieldName: string, operator: QualOperator, value: HostValue) {
    this.fieldName = fieldName;
    this.operator = operator;
    this.value = value;
  }
  get isListOperator(): boolean {
    return Array.isArray(this.operator);
  }
  get listAnyOrAll(): typeof ANY | typeof ALL | null {
    if (!Array.isArray(this.operator)) return null;
    return this.operator[1] ? ANY : ALL;
  }
}

/** multicorn.SortKey (a namedtuple in Python). */
export class SortKey {
  constructor(
    readonly attname: string,
    readonly attnum: number,
    readonly isReversed: boolean,
    readonly nullsFirst: boolean,
    readonly collate: string | null,
  ) {}
}

/** multicorn.ColumnDefinition: typeName carries the modifier (`character varying(10)`), baseTypeName does not. */
export class ColumnDefinition {
  readonly columnName: string;
  readonly typeOid: number;
  readonly typmod: number;
  readonly typeName: string;
  readonly baseTypeName: string;
  readonly options: Record<string, string>;
  constructor(
    columnName: string,
    typeOid = 0,
    typmod = 0,
    typeName = '',
    baseTypeName = '',
    options: Record<string, string> | null = null,
  ) {
    this.columnName = columnName;
    this.typeOid = typeOid;
    this.typmod = typmod;
    this.typeName = typeName;
    this.baseTypeName = baseTypeName;
    this.options = options ?? {};
  }
}

/** multicorn.TableDefinition (IMPORT FOREIGN SCHEMA); `schema` is accepted and ignored, as multicorn2 does. */
export class TableDefinition {
  readonly tableName: string;
  readonly columns: ColumnDefinition[];
  readonly options: Record<string, string>;
  constructor(
    tableName: string,
    _schema: string | null = null,
    columns: ColumnDefinition[] = [],
    options: Record<string, string> = {},
  ) {
    this.tableName = tableName;
    this.columns = columns;
    this.options = options;
  }
}

/** A row as a wrapper yields or receives it: column name -> value. */
export type Row = Record<string, HostValue>;

/** Rows from `execute`: Python generators; in Node they may be async because the memcache client is. */
export type RowSource = Iterable<Row> | AsyncIterable<Row>;

/**
 * multicorn.ForeignDataWrapper. Multicorn calls the constructor once per foreign table per backend (again when the
 * table's options or columns change) with the merged table, server and user-mapping options (`wrapper` removed) and
 * the columns in table order. `update` and `delete` receive the value of the `rowidColumn` column, not a dict.
 */
export class ForeignDataWrapper {
  constructor(_fdwOptions: Record<string, string>, _fdwColumns: Map<string, ColumnDefinition>) {}

  /** (rows, width) of a scan with `quals` needing `columns`; async in Node when the answer asks memcached. */
  getRelSize(_quals: Qual[], columns: Set<string>): [number, number] | Promise<[number, number]> {
    return [100000000, columns.size * 100];
  }

  canSort(_sortkeys: SortKey[]): SortKey[] {
    return [];
  }

  /**
   * Whether the wrapper applies LIMIT and OFFSET itself (multicorn2 3.2 asks only for a query with nothing else above
   * the scan: no WHERE, join or grouping); execute then receives them.
   */
  canLimit(_limit: number | null, _offset: number | null): boolean {
    return false;
  }

  getPathKeys(): Array<[string[], number]> {
    return [];
  }

  explain(
    _quals: Qual[],
    _columns: Set<string>,
    _sortkeys: SortKey[] | null = null,
    _verbose = false,
    _limit: number | null = null,
    _offset: number | null = null,
  ): string[] | Promise<string[]> {
    return [];
  }

  /** `limit` and `offset` are passed (as keyword arguments) only when canLimit accepted them. */
  execute(
    _quals: Qual[],
    _columns: Set<string>,
    _sortkeys: SortKey[] | null = null,
    _limit: number | null = null,
    _offset: number | null = null,
  ): RowSource {
    return [];
  }

  /**
   * IMPORT FOREIGN SCHEMA `schema` FROM SERVER: the tables to create. Called on the class: `serverOptions` are the
   * server's options (without `wrapper`) and the user mapping's, `options` the statement's OPTIONS, `restrictionType`
   * 'limit' (LIMIT TO), 'except' (EXCEPT) or null, `restricts` the table names listed.
   */
  static importSchema(
    _schema: string,
    _serverOptions: Record<string, string>,
    _options: Record<string, string>,
    _restrictionType: string | null,
    _restricts: string[],
  ): TableDefinition[] {
    return [];
  }

  get rowidColumn(): string {
    throw new Error('This FDW does not support the writable API');
  }

  get modifyBatchSize(): number {
    return 1;
  }

  insert(_values: Row): Row | null | Promise<Row | null> {
    throw new Error('This FDW does not support the writable API');
  }

  update(_oldvalues: HostValue, _newvalues: Row): Row | null | Promise<Row | null> {
    throw new Error('This FDW does not support the writable API');
  }

  delete(_oldvalues: HostValue): void | Promise<void> {
    throw new Error('This FDW does not support the writable API');
  }

  preCommit(): void | Promise<void> {}
  rollback(): void | Promise<void> {}
  commit(): void | Promise<void> {}
  endScan(): void | Promise<void> {}
  endModify(): void | Promise<void> {}
  /** `serializable` is 1 when the transaction is SERIALIZABLE, else 0 (Multicorn passes an int). */
  begin(_serializable: number): void | Promise<void> {}
  subBegin(_level: number): void | Promise<void> {}
  subRollback(_level: number): void | Promise<void> {}
  subCommit(_level: number): void | Promise<void> {}
}
