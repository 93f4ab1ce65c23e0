// The `Object` namespace: keys/values/entries of Records (dicts keyed by data), fromEntries, freeze.
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isClassInstanceType, isRecordType } from '../type-queries';
import { arg, method, refuseArity, type BuiltinModule, type GlobalCall, type GlobalMapping } from './common';

function listing(name: 'keys' | 'values' | 'entries'): GlobalMapping {
  return (call: GlobalCall) => {
    const refused = refuseArity(call, `Object.${name}`, [1]);
    if (refused !== null) return refused;
    const source = call.args[0]!;
    const type = call.ctx.checker.getNonNullableType(call.ctx.typeOf(source));
    if (isClassInstanceType(type))
      return call.ctx.report(diagnostics.objectKeysOnInstance(call.node, `Object.${name}`));
    if (!isRecordType(call.ctx.checker, type)) {
      return call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          `Object.${name}`,
          'is mapped only for Records (`Record<string, V>`, `{ [key: string]: V }`): interface values store absent optional keys as None',
          'Type the value as a Record, or use a Map',
        ),
      );
    }
    const dict = arg(call, 0);
    if (name === 'keys') return py.call(py.name('list'), [dict]);
    return py.call(py.name('list'), [method(dict, name === 'values' ? 'values' : 'items')]);
  };
}

export const objectBuiltins: BuiltinModule = {
  namespaces: {
    Object: {
      calls: {
        keys: listing('keys'),
        values: listing('values'),
        entries: listing('entries'),
        fromEntries: (call) => refuseArity(call, 'Object.fromEntries', [1]) ?? py.call(py.name('dict'), [arg(call, 0)]),
        freeze: (call) => refuseArity(call, 'Object.freeze', [1]) ?? arg(call, 0),
        assign: (call) =>
          call.ctx.report(
            diagnostics.unsupportedBuiltin(
              call.node,
              'Object.assign',
              'is not mapped',
              'Use a spread `{ ...a, ...b }`',
            ),
          ),
        is: (call) =>
          call.ctx.report(diagnostics.unsupportedBuiltin(call.node, 'Object.is', 'is not mapped', 'Use `===`')),
      },
    },
  },
};

export function isObjectNamespaceCall(node: ts.CallExpression): boolean {
  return (
    ts.isPropertyAccessExpression(node.expression) &&
    ts.isIdentifier(node.expression.expression) &&
    node.expression.expression.text === 'Object'
  );
}
