// Promises vanish in Python (the emitted code is synchronous): `Promise.all([a, b])` is the tuple of the already
// computed values, `Promise.resolve(x)` is x. Callback-style promise APIs are refused.
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { libSymbolName } from '../type-queries';
import { arg, refuseArity, type BuiltinModule, type GlobalMapping, type MethodMapping } from './common';

const callbacks: MethodMapping = (call) =>
  call.ctx.report(
    diagnostics.unsupportedBuiltin(
      call.node,
      `.${call.method}`,
      'on a Promise has no synchronous Python form',
      'Use async/await',
    ),
  );

const combinator: GlobalMapping = (call) =>
  call.ctx.report(
    diagnostics.unsupportedBuiltin(
      call.node,
      call.node.expression.getText(),
      'has no synchronous Python form',
      'Await the promises one by one',
    ),
  );

export const promiseBuiltins: BuiltinModule = {
  owns: (_ctx, type) => libSymbolName(type) === 'Promise',
  receiverName: 'Promise',
  methods: { then: callbacks, catch: callbacks, finally: callbacks },
  constructors: {
    Promise: (call) =>
      call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          'new Promise',
          'has no synchronous Python form',
          'Use async functions',
        ),
      ),
  },
  namespaces: {
    Promise: {
      calls: {
        all: (call) => {
          const refused = refuseArity(call, 'Promise.all', [1]);
          if (refused !== null) return refused;
          const source = call.args[0]!;
          if (ts.isArrayLiteralExpression(source) && source.elements.every((e) => !ts.isSpreadElement(e))) {
            return py.tuple(source.elements.map((e) => call.ctx.expr(e)));
          }
          return py.call(py.name('list'), [arg(call, 0)]);
        },
        resolve: (call) =>
          call.args.length === 0 ? py.none() : (refuseArity(call, 'Promise.resolve', [1]) ?? arg(call, 0)),
        reject: (call) =>
          call.ctx.report(
            diagnostics.unsupportedBuiltin(
              call.node,
              'Promise.reject',
              'has no synchronous Python form',
              'Throw the error',
            ),
          ),
        race: combinator,
        allSettled: combinator,
        any: combinator,
      },
    },
  },
};
