"""Python side of the scripted differential tests (script-harness.ts; Node twin: script-node.ts).

Reads one JSON line per script, {"env": {"host", "port"} | null, "steps": [[op, ...args], ...]} (arguments encoded as
test/rig/differential_driver.py encodes them), runs the steps against the emitted pymcache_fdw and writes one JSON
line: the list of step outcomes, each {"ok": value} or {"error": {...}}, with "logged": the messages logged below
ERROR while the step ran.

log_to_postgres: the host's multicorn.utils is imported as it is; outside a backend its C half (multicorn._utils)
is missing and messages below ERROR go to a no-op. This driver replaces that no-op, multicorn.utils._log_to_postgres,
with a recorder, so WARNINGs can be compared; ERROR and CRITICAL still raise the host's own MulticornException.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'rig'))

import multicorn.utils  # noqa: E402
from multicorn import ColumnDefinition, Qual  # noqa: E402

from differential_driver import camel_case, decode, encode, encode_error  # noqa: E402
from pymcache_fdw import transaction  # noqa: E402
from pymcache_fdw.cache_store import CacheStore, describe_failure, operation_text, raise_failure  # noqa: E402
from pymcache_fdw.explain_text import describe_lookup, describe_servers  # noqa: E402
from pymcache_fdw.columns import base_type, check_stats_columns, resolve_cache_layout  # noqa: E402
from pymcache_fdw.memcache.connection import (  # noqa: E402
    TransportFailure, close_all_connections, connection_to, open_connection_count)
from pymcache_fdw.memcache.protocol import (  # noqa: E402
    ClientErrorReply, ProtocolError, ServerErrorReply, UnknownCommandReply)
from pymcache_fdw.errors import raise_error, warn  # noqa: E402
from pymcache_fdw.fdw import PymcacheFDW  # noqa: E402
from pymcache_fdw.server_pool import ServerPool  # noqa: E402
from pymcache_fdw.server_store import forget_server_failures  # noqa: E402
from pymcache_fdw.stats import PymcacheFDWStats  # noqa: E402
from pymcache_fdw.table_options import (  # noqa: E402
    endpoint_label, parse_cache_table_options, parse_server_endpoint, parse_server_set, parse_stats_table_options)
from pymcache_fdw.write_set import StatementWrites, WriteSet, compose_writes  # noqa: E402

LEVEL_NAMES = {0: 'DEBUG', 1: 'INFO', 2: 'WARNING'}
logged = []


def record_log(message, level=0, hint=None, detail=None):
    logged.append([LEVEL_NAMES.get(level, str(level)), message, hint, detail])


multicorn.utils._log_to_postgres = record_log

SCRIPT_STORES = [('127.0.0.1', 11211, ''), ('127.0.0.1', 11212, ''), ('10.0.0.1', 11211, 'p:')]

def failure_of(spec):
    """The client failure a step describes: [class, ...constructor arguments] (script-node.ts failureOf)."""
    kind = spec[0]
    if kind == 'TransportFailure':
        return TransportFailure(spec[1], spec[2], spec[3])
    if kind == 'UnknownCommandReply':
        return UnknownCommandReply(spec[1], spec[2])
    if kind == 'ClientErrorReply':
        return ClientErrorReply(spec[1], spec[2])
    if kind == 'ServerErrorReply':
        return ServerErrorReply(spec[1], spec[2])
    if kind == 'ProtocolError':
        return ProtocolError(spec[1], spec[2])
    return ValueError(spec[1])


PLAIN = {'tls': 'off', 'tls_ca_file': None, 'tls_cert_file': None, 'tls_key_file': None, 'username': None, 'password': None}


def endpoint_of(host, port, listed=False):
    return {'host': host, 'port': port, 'connect_timeout': 2.0, 'timeout': 5.0, 'listed': listed, 'security': dict(PLAIN),
            'item_size_max': None}


def security_of(record):
    """A ConnectionSecurity from its TypeScript spelling (tlsCaFile ...), or the plain one."""
    if record is None:
        return dict(PLAIN)
    return {name: record[camel_case(name)] for name in PLAIN}


def ts_names(record):
    """A record (a TypedDict: snake_case keys in Python) with the property names of its TypeScript interface."""
    return {camel_case(key): value for key, value in record.items()}


def substitute(options, env):
    if env is None:
        return dict(options)
    return {name: value.replace('$HOST', env['host']).replace('$PORT', str(env['port'])) for name, value in options.items()}


def columns_of(spec):
    return {name: ColumnDefinition(name, 0, -1, type_name, base_type_name, {}) for name, type_name, base_type_name in spec}


def quals_of(spec):
    return [Qual(field, tuple(operator) if isinstance(operator, list) else operator, value) for field, operator, value in spec]


def op_of(spec):
    kind, key = spec[0], spec[1]
    if kind in ('set', 'add'):
        return {'kind': kind, 'key': key, 'item': {'value': spec[2].encode('utf-8'), 'flags': spec[3]}, 'expire': spec[4]}
    if kind == 'touch':
        return {'kind': kind, 'key': key, 'expire': spec[2]}
    if kind == 'delete':
        return {'kind': kind, 'key': key}
    raise ValueError('script: unknown write kind ' + kind)


def plain_op(op):
    if op['kind'] in ('set', 'add'):
        return [op['kind'], op['key'], op['item']['value'].decode('utf-8'), op['item']['flags'], op['expire']]
    if op['kind'] == 'touch':
        return [op['kind'], op['key'], op['expire']]
    return [op['kind'], op['key']]


def plain_pending(pending):
    return None if pending is None else [pending.store.server_label, plain_op(pending.op)]


def plain_endpoint(endpoint):
    return ts_names(dict(endpoint, connect_timeout=repr(endpoint['connect_timeout']), timeout=repr(endpoint['timeout']),
                         security=ts_names(endpoint['security'])))


def plain_server_set(servers):
    return ts_names(dict(servers, endpoints=[plain_endpoint(endpoint) for endpoint in servers['endpoints']]))


def plain_table_options(parsed):
    plain = dict(parsed, endpoint=plain_endpoint(parsed['endpoint']), servers=plain_server_set(parsed['servers']))
    return ts_names(plain)


class Script:
    def __init__(self, env):
        self.env = env
        self.tables = {}
        self.write_set = WriteSet()
        self.statements = [StatementWrites(), StatementWrites()]
        self.stores = [CacheStore(endpoint_of(host, port), prefix) for host, port, prefix in SCRIPT_STORES]
        self.clients = []

    def step(self, op, args):
        if op == 'cacheOptions':
            return plain_table_options(parse_cache_table_options(substitute(args[0], self.env)))
        if op == 'statsOptions':
            return plain_table_options(parse_stats_table_options(substitute(args[0], self.env)))
        if op == 'serverSet':
            return plain_server_set(parse_server_set(args[0], args[1] is True))
        if op == 'endpoint':
            return plain_endpoint(parse_server_endpoint(args[0]))
        if op == 'endpointLabel':
            return endpoint_label(endpoint_of(args[0], args[1]))
        if op == 'layout':
            return ts_names(resolve_cache_layout(columns_of(args[0]), args[1]))
        if op == 'statsColumns':
            check_stats_columns(columns_of(args[0]))
            return None
        if op == 'baseType':
            return [base_type(column) for column in columns_of(args[0]).values()]
        if op == 'compose':
            return plain_op(compose_writes(None if args[0] is None else op_of(args[0]), op_of(args[1])))
        if op == 'ws.record':
            self.write_set.record(args[0], self.stores[args[1]], op_of(args[2]))
            return None
        if op == 'ws.rollbackTo':
            self.write_set.rollback_to(args[0])
            return None
        if op == 'ws.release':
            self.write_set.release(args[0])
            return None
        if op == 'ws.effective':
            return plain_pending(self.write_set.effective(self.stores[args[0]], args[1]))
        if op == 'ws.counts':
            return [self.write_set.is_empty(), self.write_set.key_count()]
        if op == 'ws.takeAll':
            return [plain_pending(pending) for pending in self.write_set.take_all()]
        if op == 'ws.clear':
            self.write_set.clear()
            return None
        if op == 'st.record':
            statement = self.statements[args[0]]
            if statement.is_empty():
                transaction.statement_opened(statement)
            statement.record(args[1], self.stores[args[2]], op_of(args[3]), args[3][1])
            return None
        if op == 'st.decided':
            return self.statements[args[0]].decided(self.stores[args[1]], args[2])
        if op == 'st.fold':
            transaction.fold_statement(self.statements[args[0]])
            return None
        if op == 'tx.rollbackTo':
            transaction.rollback_to_level(args[0])
            return None
        if op == 'tx.release':
            transaction.release_level(args[0])
            return None
        if op == 'tx.forgetAll':
            transaction.forget_all()
            return None
        if op == 'tx.effective':
            store = self.stores[args[0]]
            return plain_pending(transaction.transaction_writes.effective(store, args[1]))
        if op == 'tx.counts':
            return [transaction.transaction_writes.is_empty(), transaction.transaction_writes.key_count(),
                    self.statements[0].is_empty(), self.statements[1].is_empty()]
        if op == 'raiseError':
            return raise_error(args[0], args[1], args[2])
        if op == 'warn':
            warn(args[0], args[1], args[2])
            return None
        if op in ('describeFailure', 'raiseFailure'):
            error = failure_of(args[0])
            endpoint = endpoint_of(args[1], args[2], args[3] is True)
            if op == 'raiseFailure':
                return raise_failure(error, endpoint, args[4])
            return describe_failure(error, endpoint, args[4])
        if op == 'operationText':
            return operation_text(args[0], args[1])
        if op == 'userKey':
            return CacheStore(endpoint_of('127.0.0.1', 11211), args[0]).user_key(args[1])
        if op == 'pool':
            pool = ServerPool(parse_server_set(args[0], True), args[1])
            keys = [args[1] + key for key in args[2]]
            return {
                'servers': describe_servers(pool),
                'lookup': describe_lookup(pool, keys, False),
                'factsLookup': describe_lookup(pool, keys, True),
                'homes': [pool.home_of(key) for key in keys],
                'stores': [pool.store_for(key).server_label for key in keys],
                'kinds': [type(store).__name__ for store in pool.stores],
            }
        if op == 'connectionTo':
            connection = connection_to(args[0], args[1], security_of(args[2] if len(args) > 2 else None))
            if not any(connection is seen for seen in self.clients):
                self.clients.append(connection)
            return [len(self.clients), next(index for index, seen in enumerate(self.clients) if seen is connection)]
        if op == 'closeConnections':
            close_all_connections()
            self.clients = []
            return open_connection_count()
        if op == 'forgetFailures':
            forget_server_failures()
            return None
        if op in ('fdw', 'stats'):
            self.tables.pop(args[0], None)
            options = substitute(args[1], self.env)
            cls = PymcacheFDW if op == 'fdw' else PymcacheFDWStats
            self.tables[args[0]] = cls(options, columns_of(args[2]))
            return None
        if op == 'call':
            table = self.tables.get(args[0])
            if table is None:
                return 'no table'
            return call_table(table, args[1], args[2:])
        raise ValueError('script: unknown step ' + op)


def call_table(table, method, args):
    if method == 'execute':
        rows = list(table.execute(quals_of(args[0]), set(args[1])))
        # A listing comes in memcached's LRU order, which differs between two servers: compared by key.
        if not args[0] and all('key' in row for row in rows):
            rows.sort(key=lambda row: str(row['key']))
        return rows
    if method == 'explain':
        return table.explain(quals_of(args[0]), set(args[1]))
    if method == 'getRelSize':
        return table.get_rel_size(quals_of(args[0]), set(args[1]))
    if method == 'getPathKeys':
        return table.get_path_keys()
    if method == 'rowidColumn':
        return table.rowid_column
    if method == 'modifyBatchSize':
        return table.modify_batch_size
    if method == 'insert':
        return table.insert(args[0])
    if method == 'bulkInsert':
        return table.bulk_insert(args[0])
    if method == 'update':
        return table.update(args[0], args[1])
    if method == 'delete':
        return table.delete(args[0])
    if method in ('begin', 'subBegin', 'subCommit', 'subRollback'):
        name = {'begin': 'begin', 'subBegin': 'sub_begin', 'subCommit': 'sub_commit', 'subRollback': 'sub_rollback'}[method]
        return getattr(table, name)(args[0])
    if method in ('preCommit', 'commit', 'rollback', 'endModify', 'endScan'):
        name = {'preCommit': 'pre_commit', 'commit': 'commit', 'rollback': 'rollback', 'endModify': 'end_modify',
                'endScan': 'end_scan'}[method]
        return getattr(table, name)()
    raise ValueError('script: unknown method ' + method)


def run_script(env, steps):
    script = Script(env)
    del logged[:]
    outcomes = []
    for step in steps:
        try:
            outcome = {'ok': encode(script.step(step[0], step[1:]))}
        except Exception as error:  # every failure is an outcome to compare, as the Node side catches it
            outcome = {'error': encode_error(error)}
        outcome['logged'] = list(logged)
        del logged[:]
        outcomes.append(outcome)
    return outcomes


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        outcomes = run_script(request['env'], decode(request['steps']))
        sys.stdout.write(json.dumps(outcomes, ensure_ascii=True) + '\n')
        sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
