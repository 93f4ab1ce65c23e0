// Backend port, Node binding: what the PostgreSQL backend offers the wrapper beyond Multicorn's API. The Python
// binding (python-out/pymcache_fdw/_backend.py) reaches the backend's own symbols with ctypes; here, in Node, there is
// no backend, and tests set what a backend would answer. The emitter maps `./ports/backend` to `pymcache_fdw._backend`
// (functions in snake_case). Nothing in this file is emitted.

/**
 * What guards the current transaction of a cache table: `guarded` when the backend loaded pymcache_fdw's transaction
 * guard (PREPARE TRANSACTION and INSERT ... ON CONFLICT on cache tables are refused), `guard-missing` when it runs in
 * a backend without that library installed, `outside-backend` when there is no PostgreSQL backend (Node, tests).
 */
export type GuardStatus = 'guarded' | 'guard-missing' | 'outside-backend';

let guardForTests: GuardStatus = 'outside-backend';

/**
 * Marks the backend's current transaction as one that used a cache table, loading the guard library on first use,
 * and says whether the guard is in place.
 */
export function guardTransaction(): GuardStatus {
  return guardForTests;
}

/**
 * Whether the guard library is in place for this backend, loading it if need be, without marking the transaction (a
 * wrapper being built need not be used in it).
 */
export function guardStatus(): GuardStatus {
  return guardForTests;
}

let mappingViolationForTests: [string, string] | null = null;

/**
 * The first user mapping option outside `allowed` in a user mapping of a cache server that applies to the current
 * user (its own or PUBLIC's), as [server name, option name]; null when there is none, or when nothing can be checked
 * (outside a backend, or without the guard library: see guardStatus).
 */
export function userMappingViolation(allowed: string[]): [string, string] | null {
  if (mappingViolationForTests === null || allowed.includes(mappingViolationForTests[1])) return null;
  return mappingViolationForTests;
}

/** Node tests only: the server and option userMappingViolation reports from now on, or null for none. */
export function setUserMappingViolationForTests(violation: [string, string] | null): void {
  mappingViolationForTests = violation;
}

/** Node tests only: what guardTransaction and guardStatus answer from now on. */
export function setGuardStatusForTests(status: GuardStatus): void {
  guardForTests = status;
}

let mayModifyForTests = true;
let bytewiseForTests = true;
let interruptForTests: string | null = null;
let plannedKeyForTests: [string, number] | null = null;

/**
 * Whether the query running now may modify anything: false only when the backend knows it is a plain SELECT. A scan
 * under a plain SELECT need not remember the items it returned for an UPDATE.
 */
export function queryMayModify(): boolean {
  return mayModifyForTests;
}

/**
 * Whether PostgreSQL compares text bytewise in the running query's conditions on cache tables (every such comparison
 * uses a C collation): only then may a key range be applied while memcached lists its keys. Node has no collations:
 * its comparisons are bytewise.
 */
export function keyOrderIsBytewise(): boolean {
  return bytewiseForTests;
}

/**
 * When the query being planned reads this cache table alone and looks it up by `<column> = $n`, the rows that lookup
 * returns at most (1); null otherwise (`= ANY($n)` included: its generic plan would recheck each row against the
 * array element by element). A generic plan's get_rel_size sees no key (Multicorn passes constant quals only): this is what makes it
 * a lookup. Node plans nothing: null unless a test says which column.
 */
export function plannedKeyRows(column: string): number | null {
  return plannedKeyForTests !== null && plannedKeyForTests[0] === column ? plannedKeyForTests[1] : null;
}

/** Node tests only: the key column and rows plannedKeyRows answers for, or null for none. */
export function setPlannedKeyRowsForTests(column: string | null, rows: number = 1): void {
  plannedKeyForTests = column === null ? null : [column, rows];
}

/**
 * PostgreSQL's own words for an interrupt it would act on now (a query cancel, statement_timeout, termination), or
 * null: long loops that do not wait on a socket look at it themselves.
 */
export function pendingInterrupt(): string | null {
  return interruptForTests;
}

/** Node tests only: what the running-query functions above answer from now on. */
export function setRunningQueryForTests(mayModify: boolean, bytewise: boolean, interrupt: string | null = null): void {
  mayModifyForTests = mayModify;
  bytewiseForTests = bytewise;
  interruptForTests = interrupt;
}
