// Set -> dict with None values: JavaScript sets iterate in insertion order, Python sets do not, dict keys do. A Set
// binding whose order is never observed (set-usage.ts: membership, add, delete, size only) is a Python set instead.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { skipOuterExpressions } from '../syntax';
import { isSetType } from '../type-queries';
import { arg, len, method, refuseArity, statementOnly, type BuiltinModule, type MethodCall } from './common';

/** Whether the receiver names a binding that set-usage.ts made a Python set. */
function isPythonSet(ctx: Context, receiver: ts.Expression): boolean {
  const inner = skipOuterExpressions(receiver);
  const name = ts.isPropertyAccessExpression(inner) ? inner.name : ts.isIdentifier(inner) ? inner : null;
  return name !== null && ctx.compile.setUsage.formOf(ctx.checker.getSymbolAtLocation(name)) !== undefined;
}

function pythonSet(call: MethodCall): boolean {
  return isPythonSet(call.ctx, call.receiverNode);
}

export const setBuiltins: BuiltinModule = {
  owns: (_ctx, type) => isSetType(type),
  receiverName: 'Set',
  properties: {
    size: (read) => len(read.receiver),
  },
  methods: {
    add: (call) =>
      refuseArity(call, 'add', [1]) ??
      statementOnly(call, [
        pythonSet(call)
          ? py.exprStmt(method(call.receiver, 'add', [arg(call, 0)]))
          : py.assign(py.subscript(call.receiver, arg(call, 0)), py.none()),
      ]),
    has: (call) => refuseArity(call, 'has', [1]) ?? py.compare(arg(call, 0), 'in', call.receiver),
    delete: (call) =>
      refuseArity(call, 'delete', [1]) ??
      statementOnly(call, [
        py.exprStmt(
          pythonSet(call)
            ? method(call.receiver, 'discard', [arg(call, 0)])
            : method(call.receiver, 'pop', [arg(call, 0), py.none()]),
        ),
      ]),
    clear: (call) =>
      refuseArity(call, 'clear', [0]) ?? statementOnly(call, [py.exprStmt(method(call.receiver, 'clear'))]),
    values: (call) => refuseArity(call, 'values', [0]) ?? method(call.receiver, 'keys'),
    keys: (call) => refuseArity(call, 'keys', [0]) ?? method(call.receiver, 'keys'),
    entries: (call) =>
      call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          'entries',
          'on a Set yields [v, v] pairs and is not mapped',
          'Iterate the set itself',
        ),
      ),
    forEach: (call) =>
      call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          'forEach',
          'on a Set is not mapped',
          'Write `for (const value of set)`',
        ),
      ),
  },
  constructors: {
    Set: (call) => {
      const refused = refuseArity(call, 'new Set', [0, 1]);
      if (refused !== null) return refused;
      if (ts.isNewExpression(call.node) && call.ctx.compile.setUsage.isSetPosition(call.node)) {
        // A Python set: `set()`, `{a, b}` from an array literal, `set(xs)` from anything else.
        if (call.args.length === 0) return { kind: 'Set', elts: [] };
        const source = skipOuterExpressions(call.args[0]!);
        if (
          ts.isArrayLiteralExpression(source) &&
          source.elements.length > 0 &&
          !source.elements.some(ts.isSpreadElement)
        ) {
          return { kind: 'Set', elts: source.elements.map((e) => call.ctx.expr(e)) };
        }
        return py.call(py.name('set'), [arg(call, 0)]);
      }
      if (call.args.length === 0) return { kind: 'Dict', entries: [] };
      // The members in order, each once: dict.fromkeys builds that in C (a comprehension runs a bytecode loop).
      return py.call(py.attr(py.name('dict'), 'fromkeys'), [arg(call, 0)]);
    },
  },
};
