// Error classes: Error -> Exception, TypeError -> TypeError, RangeError -> ValueError; `.message` -> str(e) (the
// message is the single argument every Error constructor passes up), `.name` -> the class name.
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isErrorType } from '../type-queries';
import { arg, refuseArity, type BuiltinModule, type GlobalMapping, type MethodCall } from './common';

export const ERROR_CLASSES: Readonly<Record<string, string>> = {
  Error: 'Exception',
  TypeError: 'TypeError',
  RangeError: 'ValueError',
};

function construct(pyName: string): GlobalMapping {
  return (call) => {
    const refused = refuseArity(call, `new ${pyName}`, [0, 1]);
    if (refused !== null) return refused;
    return py.call(py.name(pyName), call.args.length === 0 ? [] : [arg(call, 0)]);
  };
}

export const errorBuiltins: BuiltinModule = {
  owns: (ctx, type) => isErrorType(ctx.checker, type),
  receiverName: 'Error',
  properties: {
    message: (read) => py.call(py.name('str'), [read.receiver]),
    name: (read) => py.attr(py.call(py.name('type'), [read.receiver]), '__name__'),
    stack: (read) =>
      read.ctx.report(
        diagnostics.unsupportedBuiltin(read.node, 'stack', 'has no Python equivalent', 'Log the message instead'),
      ),
    cause: (read) =>
      read.ctx.report(
        diagnostics.unsupportedBuiltin(
          read.node,
          'cause',
          'is not mapped',
          'Keep the cause in a field of your Error subclass',
        ),
      ),
  },
  methods: {
    toString: (call: MethodCall) =>
      call.ctx.report(
        diagnostics.unsupportedBuiltin(call.node, 'toString', 'of an Error differs in Python', 'Use `.message`'),
      ),
  },
  constructors: Object.fromEntries(Object.entries(ERROR_CLASSES).map(([ts, pyName]) => [ts, construct(pyName)])),
  functions: Object.fromEntries(Object.entries(ERROR_CLASSES).map(([ts, pyName]) => [ts, construct(pyName)])),
  values: Object.fromEntries(Object.entries(ERROR_CLASSES).map(([ts, pyName]) => [ts, () => py.name(pyName)])),
};
