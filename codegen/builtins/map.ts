// Map -> dict (both keep insertion order): methods, `.size`, `new Map(...)`.
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isMapType } from '../type-queries';
import { arg, len, method, refuseArity, statementOnly, type BuiltinModule } from './common';

export const mapBuiltins: BuiltinModule = {
  owns: (_ctx, type) => isMapType(type),
  receiverName: 'Map',
  properties: {
    size: (read) => len(read.receiver),
  },
  methods: {
    get: (call) => {
      const refused = refuseArity(call, 'get', [1]);
      if (refused !== null) return refused;
      // `m.get(k)!` asserts presence: indexing keeps the value type non-optional for mypy.
      return call.asserted ? py.subscript(call.receiver, arg(call, 0)) : method(call.receiver, 'get', [arg(call, 0)]);
    },
    set: (call) =>
      refuseArity(call, 'set', [2]) ??
      statementOnly(call, [py.assign(py.subscript(call.receiver, arg(call, 0)), arg(call, 1))]),
    has: (call) => refuseArity(call, 'has', [1]) ?? py.compare(arg(call, 0), 'in', call.receiver),
    delete: (call) =>
      refuseArity(call, 'delete', [1]) ??
      statementOnly(call, [py.exprStmt(method(call.receiver, 'pop', [arg(call, 0), py.none()]))]),
    clear: (call) =>
      refuseArity(call, 'clear', [0]) ?? statementOnly(call, [py.exprStmt(method(call.receiver, 'clear'))]),
    keys: (call) => refuseArity(call, 'keys', [0]) ?? method(call.receiver, 'keys'),
    values: (call) => refuseArity(call, 'values', [0]) ?? method(call.receiver, 'values'),
    entries: (call) => refuseArity(call, 'entries', [0]) ?? method(call.receiver, 'items'),
    forEach: (call) =>
      call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          'forEach',
          'on a Map passes (value, key) and is not mapped',
          'Write `for (const [key, value] of map)`',
        ),
      ),
  },
  constructors: {
    Map: (call) => {
      const refused = refuseArity(call, 'new Map', [0, 1]);
      if (refused !== null) return refused;
      if (call.args.length === 0) return { kind: 'Dict', entries: [] };
      const entries = arg(call, 0);
      // `new Map([[a, b], [c, d]])`: a dict display, which evaluates a, b, c, d in the same order and keeps the last
      // value of a repeated key as dict() does.
      if (entries.kind === 'List' && entries.elts.every((e) => e.kind === 'Tuple' && isPair(e.elts)))
        return { kind: 'Dict', entries: entries.elts.map((e) => pairEntry(e as py.TupleExpr)) };
      return py.call(py.name('dict'), [entries]);
    },
  },
};

function isPair(elts: readonly py.Expr[]): boolean {
  return elts.length === 2 && elts.every((e) => e.kind !== 'Starred');
}

function pairEntry(pair: py.TupleExpr): py.DictEntry {
  return { key: pair.elts[0]!, value: pair.elts[1]! };
}
