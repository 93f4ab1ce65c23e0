// The `Number` namespace, number methods, and the numeric globals (parseInt, NaN, Infinity, ...).
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isNumberType } from '../type-queries';
import { arg, refuseArity, type BuiltinModule, type GlobalMapping, type MethodMapping } from './common';

const MAX_SAFE = 9007199254740991n;

const useParse: GlobalMapping = (call) =>
  call.ctx.report(
    diagnostics.unsupportedBuiltin(
      call.node,
      call.node.expression.getText(),
      'parses text differently in JavaScript and Python (whitespace, prefixes, "1e3")',
      'Use parseDecimalInt or parseDecimalFloat from ./ports/runtime',
    ),
  );

const toText: MethodMapping = (call) => call.ctx.report(diagnostics.numberToString(call.node, `\`.${call.method}()\``));

function isFloatCheck(what: 'integer' | 'safe'): GlobalMapping {
  return (call) => {
    const refused = refuseArity(call, `Number.is${what === 'safe' ? 'SafeInteger' : 'Integer'}`, [1]);
    if (refused !== null) return refused;
    const { first, again } = call.ctx.once(arg(call, 0));
    const integral = py.call(py.attr(py.call(py.name('float'), [first]), 'is_integer'));
    if (what === 'integer') return integral;
    return {
      kind: 'BoolOp',
      op: 'and',
      values: [integral, py.compare(py.call(py.name('abs'), [again]), '<=', py.int(MAX_SAFE))],
    };
  };
}

export const numberBuiltins: BuiltinModule = {
  owns: (_ctx, type) => isNumberType(type),
  receiverName: 'number',
  methods: {
    toString: toText,
    toFixed: toText,
    toPrecision: toText,
    toExponential: toText,
    toLocaleString: toText,
  },
  functions: {
    parseInt: useParse,
    parseFloat: useParse,
    Number: useParse,
    isNaN: (call) =>
      refuseArity(call, 'isNaN', [1]) ?? py.call(py.attr(call.ctx.module('math'), 'isnan'), [arg(call, 0)]),
    isFinite: (call) =>
      refuseArity(call, 'isFinite', [1]) ?? py.call(py.attr(call.ctx.module('math'), 'isfinite'), [arg(call, 0)]),
  },
  namespaces: {
    Number: {
      calls: {
        isInteger: isFloatCheck('integer'),
        isSafeInteger: isFloatCheck('safe'),
        isNaN: (call) =>
          refuseArity(call, 'Number.isNaN', [1]) ?? py.call(py.attr(call.ctx.module('math'), 'isnan'), [arg(call, 0)]),
        isFinite: (call) =>
          refuseArity(call, 'Number.isFinite', [1]) ??
          py.call(py.attr(call.ctx.module('math'), 'isfinite'), [arg(call, 0)]),
        parseInt: useParse,
        parseFloat: useParse,
      },
      values: {
        MAX_SAFE_INTEGER: () => py.int(MAX_SAFE),
        MIN_SAFE_INTEGER: () => ({ kind: 'UnaryOp', op: '-', operand: py.int(MAX_SAFE) }),
        POSITIVE_INFINITY: (ctx) => py.attr(ctx.module('math'), 'inf'),
        NEGATIVE_INFINITY: (ctx) => ({ kind: 'UnaryOp', op: '-', operand: py.attr(ctx.module('math'), 'inf') }),
      },
    },
  },
  values: {
    Infinity: (ctx) => py.attr(ctx.module('math'), 'inf'),
    NaN: (ctx) => py.attr(ctx.module('math'), 'nan'),
  },
};

export function isNumeric(ctx: { typeOf(n: ts.Node): ts.Type }, node: ts.Node): boolean {
  return isNumberType(ctx.typeOf(node));
}
