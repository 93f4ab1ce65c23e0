// Set -> dict with None values: JavaScript sets iterate in insertion order, Python sets do not, dict keys do.
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isSetType } from '../type-queries';
import { arg, len, method, refuseArity, statementOnly, type BuiltinModule } from './common';

export const setBuiltins: BuiltinModule = {
  owns: (_ctx, type) => isSetType(type),
  receiverName: 'Set',
  properties: {
    size: (read) => len(read.receiver),
  },
  methods: {
    add: (call) => refuseArity(call, 'add', [1]) ?? statementOnly(call, [py.assign(py.subscript(call.receiver, arg(call, 0)), py.none())]),
    has: (call) => refuseArity(call, 'has', [1]) ?? py.compare(arg(call, 0), 'in', call.receiver),
    delete: (call) => refuseArity(call, 'delete', [1]) ?? statementOnly(call, [py.exprStmt(method(call.receiver, 'pop', [arg(call, 0), py.none()]))]),
    clear: (call) => refuseArity(call, 'clear', [0]) ?? statementOnly(call, [py.exprStmt(method(call.receiver, 'clear'))]),
    values: (call) => refuseArity(call, 'values', [0]) ?? method(call.receiver, 'keys'),
    keys: (call) => refuseArity(call, 'keys', [0]) ?? method(call.receiver, 'keys'),
    entries: (call) => call.ctx.report(diagnostics.unsupportedBuiltin(call.node, 'entries', 'on a Set yields [v, v] pairs and is not mapped', 'Iterate the set itself')),
    forEach: (call) => call.ctx.report(diagnostics.unsupportedBuiltin(call.node, 'forEach', 'on a Set is not mapped', 'Write `for (const value of set)`')),
  },
  constructors: {
    Set: (call) => {
      const refused = refuseArity(call, 'new Set', [0, 1]);
      if (refused !== null) return refused;
      if (call.args.length === 0) return { kind: 'Dict', entries: [] };
      const element = call.ctx.fresh('e');
      return {
        kind: 'Comprehension',
        form: 'dict',
        elt: py.name(element),
        value: py.none(),
        target: py.name(element),
        iter: arg(call, 0),
        conditions: [],
      };
    },
  },
};
