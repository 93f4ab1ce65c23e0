// Node side of the scripted differential tests (script-harness.ts; Python twin: script_driver.py). A script is a list
// of steps `[op, ...args]` run in order against the TS modules; each step gives its result or error and the messages
// logged below ERROR while it ran. Pure steps exercise one function (options, layouts, write-set bookkeeping, ...);
// the `fdw`/`stats`/`call` steps drive PymcacheFDW and PymcacheFDWStats as Multicorn does, against the memcached the
// script's environment names ($HOST/$PORT in option values are replaced by it).
import { CacheStore, describeFailure, operationText, raiseFailure, type WriteOp } from '../../src/cache-store';
import { checkStatsColumns, baseType, resolveCacheLayout } from '../../src/columns';
import {
  closeAllConnections,
  connectionTo,
  openConnectionCount,
  plainConnection,
  TransportFailure,
  type ConnectionSecurity,
  type TransportFailureKind,
  type TransportPhase,
} from '../../src/memcache/connection';
import { ClientErrorReply, ProtocolError, ServerErrorReply, UnknownCommandReply } from '../../src/memcache/protocol';
import { raiseError, warn } from '../../src/errors';
import { PymcacheFDW } from '../../src/fdw';
import { ColumnDefinition, Qual, takeLoggedMessages, type HostValue, type QualOperator } from '../../src/ports/host';
import { formatFloat, utf8Decode, utf8Encode } from '../../src/ports/runtime';
import { describeLookup, describeServers } from '../../src/explain-text';
import { ServerPool } from '../../src/server-pool';
import { forgetServerFailures } from '../../src/server-store';
import { PymcacheFDWStats } from '../../src/stats';
import {
  endpointLabel,
  parseCacheTableOptions,
  parseServerEndpoint,
  parseServerSet,
  parseStatsTableOptions,
  type ServerEndpoint,
  type ServerSetOptions,
} from '../../src/table-options';
import {
  foldStatement,
  forgetAll,
  releaseLevel,
  rollbackToLevel,
  statementOpened,
  transactionWrites,
} from '../../src/transaction';
import { composeWrites, StatementWrites, WriteSet, type PendingWrite } from '../../src/write-set';
import { canonicalFromNode, errorOutcomeFromNode, type Canonical, type Outcome } from '../rig/differential';

export type Env = { host: string; port: number } | null;
export type StepOutcome = { outcome: Outcome; logged: Canonical };

/** A write as scripts spell it: ['set'|'add', key, valueText, flags, expire] | ['touch', key, expire] | ['delete', key]. */
type OpSpec = unknown[];

const LEVEL_NAMES = new Map<number, string>([
  [10, 'DEBUG'],
  [20, 'INFO'],
  [30, 'WARNING'],
]);

/** The stores write-set scripts record against (no I/O: a CacheStore connects only when used). */
const SCRIPT_STORES: Array<[string, number, string]> = [
  ['127.0.0.1', 11211, ''],
  ['127.0.0.1', 11212, ''],
  ['10.0.0.1', 11211, 'p:'],
];

function text(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`script: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function int(value: unknown): number {
  if (typeof value !== 'number') throw new Error(`script: expected a number, got ${JSON.stringify(value)}`);
  return value;
}

function endpointOf(host: string, port: number, listed = false): ServerEndpoint {
  return { host, port, connectTimeout: 2.0, timeout: 5.0, listed, security: plainConnection(), itemSizeMax: null };
}

function substitute(options: Record<string, string>, env: Env): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(options)) {
    result[name] = env === null ? value : value.split('$HOST').join(env.host).split('$PORT').join(String(env.port));
  }
  return result;
}

/** Columns as [name, typeName, baseTypeName] triples, in table order, as Multicorn's ColumnDefinition objects. */
function columnsOf(spec: unknown): Map<string, ColumnDefinition> {
  const columns = new Map<string, ColumnDefinition>();
  for (const entry of spec as Array<[string, string, string]>)
    columns.set(entry[0], new ColumnDefinition(entry[0], 0, -1, entry[1], entry[2], {}));
  return columns;
}

function qualsOf(spec: unknown): Qual[] {
  return (spec as Array<[string, QualOperator, HostValue]>).map(
    ([field, operator, value]) => new Qual(field, operator, value),
  );
}

function opOf(spec: OpSpec): WriteOp {
  const kind = text(spec[0]);
  const key = text(spec[1]);
  if (kind === 'set' || kind === 'add')
    return {
      kind,
      key,
      item: { value: utf8Encode(text(spec[2])), flags: int(spec[3]), cas: null, facts: null },
      expire: int(spec[4]),
    };
  if (kind === 'touch') return { kind, key, expire: int(spec[2]) };
  if (kind === 'delete') return { kind, key };
  throw new Error(`script: unknown write kind ${kind}`);
}

function plainOp(op: WriteOp): unknown[] {
  if (op.kind === 'set' || op.kind === 'add')
    return [op.kind, op.key, utf8Decode(op.item.value), op.item.flags, op.expire];
  if (op.kind === 'touch') return [op.kind, op.key, op.expire];
  return [op.kind, op.key];
}

function plainPending(pending: PendingWrite | null): unknown {
  return pending === null ? null : [pending.store.serverLabel, plainOp(pending.op)];
}

/** An endpoint with its Float timeouts as Python's repr shows them (Node numbers cannot say 2.0). */
function plainEndpoint(endpoint: ServerEndpoint): unknown {
  return { ...endpoint, connectTimeout: formatFloat(endpoint.connectTimeout), timeout: formatFloat(endpoint.timeout) };
}

function plainServerSet(servers: ServerSetOptions): unknown {
  return { ...servers, endpoints: servers.endpoints.map(plainEndpoint) };
}

/** A failure that is not the client's (Python's ValueError), which describeFailure does not describe. */
class ValueError extends Error {}

/** The client failure a step describes: [class, ...constructor arguments]. */
function failureOf(spec: unknown[]): unknown {
  const kind = text(spec[0]);
  const knownText = spec[1] === null ? null : text(spec[1]);
  if (kind === 'TransportFailure')
    return new TransportFailure(text(spec[1]) as TransportPhase, text(spec[2]) as TransportFailureKind, text(spec[3]));
  if (kind === 'UnknownCommandReply') return new UnknownCommandReply(knownText, int(spec[2]));
  if (kind === 'ClientErrorReply') return new ClientErrorReply(knownText, int(spec[2]));
  if (kind === 'ServerErrorReply') return new ServerErrorReply(knownText, int(spec[2]));
  if (kind === 'ProtocolError') return new ProtocolError(text(spec[1]), text(spec[2]));
  return new ValueError(text(spec[1]));
}

type Table = PymcacheFDW | PymcacheFDWStats;

class Script {
  readonly tables = new Map<string, Table>();
  readonly writeSet = new WriteSet();
  readonly statements = [new StatementWrites(), new StatementWrites()];
  readonly stores: CacheStore[] = SCRIPT_STORES.map(
    ([host, port, prefix]) => new CacheStore(endpointOf(host, port), prefix),
  );
  readonly clients: unknown[] = [];

  constructor(readonly env: Env) {}

  store(index: unknown): CacheStore {
    return this.stores[int(index)]!;
  }

  async step(op: string, args: unknown[]): Promise<unknown> {
    switch (op) {
      case 'cacheOptions': {
        const parsed = parseCacheTableOptions(substitute(args[0] as Record<string, string>, this.env));
        return { ...parsed, endpoint: plainEndpoint(parsed.endpoint), servers: plainServerSet(parsed.servers) };
      }
      case 'statsOptions': {
        const parsed = parseStatsTableOptions(substitute(args[0] as Record<string, string>, this.env));
        return { ...parsed, endpoint: plainEndpoint(parsed.endpoint), servers: plainServerSet(parsed.servers) };
      }
      case 'serverSet':
        return plainServerSet(parseServerSet(args[0] as Record<string, string>, args[1] === true));
      case 'endpoint':
        return plainEndpoint(parseServerEndpoint(args[0] as Record<string, string>));
      case 'endpointLabel':
        return endpointLabel(endpointOf(text(args[0]), int(args[1])));
      case 'layout':
        return resolveCacheLayout(columnsOf(args[0]), args[1] === null ? null : text(args[1]));
      case 'statsColumns':
        checkStatsColumns(columnsOf(args[0]));
        return null;
      case 'baseType':
        return [...columnsOf(args[0]).values()].map(baseType);
      case 'compose':
        return plainOp(composeWrites(args[0] === null ? null : opOf(args[0] as OpSpec), opOf(args[1] as OpSpec)));
      case 'ws.record':
        this.writeSet.record(int(args[0]), this.store(args[1]), opOf(args[2] as OpSpec));
        return null;
      case 'ws.rollbackTo':
        this.writeSet.rollbackTo(int(args[0]));
        return null;
      case 'ws.release':
        this.writeSet.release(int(args[0]));
        return null;
      case 'ws.effective':
        return plainPending(this.writeSet.effective(this.store(args[0]), text(args[1])));
      case 'ws.counts':
        return [this.writeSet.isEmpty(), this.writeSet.keyCount()];
      case 'ws.takeAll':
        return this.writeSet.takeAll().map(plainPending);
      case 'ws.clear':
        this.writeSet.clear();
        return null;
      case 'st.record': {
        const statement = this.statements[int(args[0])]!;
        if (statement.isEmpty()) statementOpened(statement);
        statement.record(int(args[1]), this.store(args[2]), opOf(args[3] as OpSpec), text((args[3] as unknown[])[1]));
        return null;
      }
      case 'st.decided':
        return this.statements[int(args[0])]!.decided(this.store(args[1]), text(args[2]));
      case 'st.fold':
        foldStatement(this.statements[int(args[0])]!);
        return null;
      case 'tx.rollbackTo':
        rollbackToLevel(int(args[0]));
        return null;
      case 'tx.release':
        releaseLevel(int(args[0]));
        return null;
      case 'tx.forgetAll':
        forgetAll();
        return null;
      case 'tx.effective':
        return plainPending(transactionWrites.effective(this.store(args[0]), text(args[1])));
      case 'tx.counts':
        return [
          transactionWrites.isEmpty(),
          transactionWrites.keyCount(),
          this.statements[0]!.isEmpty(),
          this.statements[1]!.isEmpty(),
        ];
      case 'raiseError':
        return raiseError(text(args[0]), args[1] as string | null, args[2] as string | null);
      case 'warn':
        warn(text(args[0]), args[1] as string | null, args[2] as string | null);
        return null;
      case 'describeFailure':
      case 'raiseFailure': {
        const error = failureOf(args[0] as unknown[]);
        const endpoint = endpointOf(text(args[1]), int(args[2]), args[3] === true);
        if (op === 'raiseFailure') return raiseFailure(error, endpoint, text(args[4]));
        return describeFailure(error, endpoint, text(args[4]));
      }
      case 'operationText':
        return operationText(text(args[0]), args[1] as string | null);
      case 'userKey':
        return new CacheStore(endpointOf('127.0.0.1', 11211), text(args[0])).userKey(text(args[1]));
      case 'pool': {
        const pool = new ServerPool(parseServerSet(args[0] as Record<string, string>, true), text(args[1]));
        const keys = (args[2] as string[]).map((key) => text(args[1]) + key);
        return {
          servers: describeServers(pool),
          lookup: describeLookup(pool, keys, false),
          factsLookup: describeLookup(pool, keys, true),
          homes: keys.map((key) => pool.homeOf(key)),
          stores: keys.map((key) => pool.storeFor(key).serverLabel),
          kinds: pool.stores.map((store) => store.constructor.name),
        };
      }
      case 'connectionTo': {
        const connection = connectionTo(
          text(args[0]),
          int(args[1]),
          args[2] === undefined ? plainConnection() : (args[2] as ConnectionSecurity),
        );
        if (!this.clients.includes(connection)) this.clients.push(connection);
        return [this.clients.length, this.clients.indexOf(connection)];
      }
      case 'closeConnections':
        closeAllConnections();
        this.clients.length = 0;
        return openConnectionCount();
      case 'forgetFailures':
        forgetServerFailures();
        return null;
      case 'fdw':
      case 'stats': {
        this.tables.delete(text(args[0]));
        const options = substitute(args[1] as Record<string, string>, this.env);
        const table =
          op === 'fdw'
            ? new PymcacheFDW(options, columnsOf(args[2]))
            : new PymcacheFDWStats(options, columnsOf(args[2]));
        this.tables.set(text(args[0]), table);
        return null;
      }
      case 'call': {
        const table = this.tables.get(text(args[0]));
        if (table === undefined) return 'no table';
        return await callTable(table, text(args[1]), args.slice(2));
      }
      default:
        throw new Error(`script: unknown step ${op}`);
    }
  }
}

/** Python's str ordering: by code point. */
function codePointOrder(a: string, b: string): number {
  const left = Array.from(a, (c) => c.codePointAt(0)!);
  const right = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return left.length - right.length;
}

async function callTable(table: Table, method: string, args: unknown[]): Promise<unknown> {
  const columns = (): Set<string> => new Set(args[1] as string[]);
  switch (method) {
    case 'execute': {
      const rows: unknown[] = [];
      for await (const row of table.execute(qualsOf(args[0]), columns())) rows.push(row);
      // A listing comes in memcached's LRU order, which differs between two servers: compared by key.
      if ((args[0] as unknown[]).length === 0 && rows.every((row) => 'key' in (row as object))) {
        rows.sort((a, b) =>
          codePointOrder(String((a as Record<string, unknown>)['key']), String((b as Record<string, unknown>)['key'])),
        );
      }
      return rows;
    }
    case 'explain':
      return await table.explain(qualsOf(args[0]), columns());
    case 'getRelSize':
      return await table.getRelSize(qualsOf(args[0]), columns());
    case 'getPathKeys':
      return table.getPathKeys();
    case 'rowidColumn':
      return table.rowidColumn;
    case 'modifyBatchSize':
      return table.modifyBatchSize;
  }
  if (!(table instanceof PymcacheFDW)) throw new Error(`script: ${method} on a stats table`);
  const row = (value: unknown): Record<string, HostValue> => value as Record<string, HostValue>;
  switch (method) {
    case 'insert':
      return await table.insert(row(args[0]));
    case 'bulkInsert':
      return await table.bulkInsert((args[0] as unknown[]).map(row));
    case 'update':
      return await table.update(args[0] as HostValue, row(args[1]));
    case 'delete':
      await table.delete(args[0] as HostValue);
      return null;
    case 'begin':
      table.begin(int(args[0]));
      return null;
    case 'subBegin':
      table.subBegin(int(args[0]));
      return null;
    case 'subCommit':
      table.subCommit(int(args[0]));
      return null;
    case 'subRollback':
      table.subRollback(int(args[0]));
      return null;
    case 'preCommit':
      await table.preCommit();
      return null;
    case 'commit':
      table.commit();
      return null;
    case 'rollback':
      table.rollback();
      return null;
    case 'endModify':
      await table.endModify();
      return null;
    case 'endScan':
      table.endScan();
      return null;
  }
  throw new Error(`script: unknown method ${method}`);
}

function loggedSince(): Canonical {
  return takeLoggedMessages().map((entry) => [
    LEVEL_NAMES.get(entry.level) ?? String(entry.level),
    entry.message,
    entry.hint,
    entry.detail,
  ]);
}

/** Runs one script; every step's outcome (result or error) with the messages it logged. */
export async function runScript(steps: unknown[][], env: Env): Promise<StepOutcome[]> {
  const script = new Script(env);
  const outcomes: StepOutcome[] = [];
  takeLoggedMessages();
  for (const [op, ...args] of steps) {
    let outcome: Outcome;
    try {
      outcome = { ok: canonicalFromNode(await script.step(text(op), args), false) };
    } catch (error) {
      outcome = errorOutcomeFromNode(error, false);
    }
    outcomes.push({ outcome, logged: loggedSince() });
  }
  return outcomes;
}
