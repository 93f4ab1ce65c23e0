// Arrays (and Bytes, read-only) -> Python lists: methods, `.length`, `Array.isArray`, `Array.from`.
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isBytesType, isMapType, isNumberType, isStringType } from '../type-queries';
import { skipOuterExpressions } from '../syntax';
import { hoistedDef } from '../visitors/function';
import { comprehensionSource, translateCallback } from './callbacks';
import {
  arg,
  len,
  method,
  refuseArity,
  statementOnly,
  type BuiltinModule,
  type MethodCall,
  type MethodMapping,
  type MethodResult,
} from './common';

function unsupported(name: string, instead: string): MethodMapping {
  return (call) =>
    call.ctx.report(diagnostics.unsupportedBuiltin(call.node, `${name}`, 'on arrays is not mapped to Python', instead));
}

/** `pop()`/`shift()`: JavaScript returns undefined on an empty array, Python raises; the guard keeps JS's answer. */
function removeEnd(pyArgs: py.Expr[]): MethodMapping {
  return (call) => {
    const refused = refuseArity(call, call.method, [0]);
    if (refused !== null) return refused;
    if (call.asserted) return method(call.receiver, 'pop', pyArgs);
    if (call.discarded) {
      const { first, again } = call.ctx.once(call.receiver);
      return {
        statements: [py.ifStmt(py.compare(len(first), '>', py.int(0)), [py.exprStmt(method(again, 'pop', pyArgs))])],
      };
    }
    const { first, again } = call.ctx.once(call.receiver);
    return py.ifExp(py.compare(len(first), '>', py.int(0)), method(again, 'pop', pyArgs), py.none());
  };
}

function spreadOrArgs(call: MethodCall): py.Expr {
  if (call.args.length === 1 && ts.isSpreadElement(call.args[0]!)) return call.ctx.expr(call.args[0].expression);
  return py.tuple(call.args.map((_a, i) => arg(call, i)));
}

function comprehension(
  call: MethodCall,
  form: 'list' | 'generator',
  withCondition: boolean,
  maxParams = 2,
): { comp: py.Comprehension } | { refused: py.Expr } {
  const callbackNode = call.args[0];
  if (callbackNode === undefined || call.args.length > 1) {
    return {
      refused: call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          call.method,
          'is mapped only with a callback and no thisArg',
          'Pass one callback',
        ),
      ),
    };
  }
  const callback = translateCallback(call.ctx, callbackNode, maxParams);
  const { target, iter } = comprehensionSource(callback, call.receiver);
  if (withCondition) {
    const element = callback.params[0] ?? '_';
    return { comp: { kind: 'Comprehension', form, elt: py.name(element), target, iter, conditions: [callback.body] } };
  }
  return { comp: { kind: 'Comprehension', form, elt: callback.body, target, iter, conditions: [] } };
}

function compResult(result: { comp: py.Comprehension } | { refused: py.Expr }): py.Expr {
  return 'comp' in result ? result.comp : result.refused;
}

/** A copy sorted by a comparator: `[...a].sort(cmp)` / `a.slice().sort(cmp)` -> `sorted(a, key=...)`. */
function copiedSource(call: MethodCall): py.Expr | null {
  const receiver = skipOuterExpressions(call.receiverNode);
  if (
    ts.isArrayLiteralExpression(receiver) &&
    receiver.elements.length === 1 &&
    ts.isSpreadElement(receiver.elements[0]!)
  ) {
    const spread = receiver.elements[0].expression;
    const type = call.ctx.typeOf(spread);
    if (isMapType(type)) return method(call.ctx.expr(spread), 'items');
    return call.ctx.expr(spread);
  }
  if (
    ts.isCallExpression(receiver) &&
    ts.isPropertyAccessExpression(receiver.expression) &&
    receiver.expression.name.text === 'slice' &&
    receiver.arguments.length === 0
  ) {
    return call.ctx.expr(receiver.expression.expression);
  }
  return null;
}

/** `(a, b) => a - b` / `(a, b) => b - a` on numbers: Python's own (stable) numeric order, ascending or reversed. */
function numericComparator(call: MethodCall, node: ts.Expression): 'ascending' | 'descending' | null {
  const fn = skipOuterExpressions(node);
  if (!ts.isArrowFunction(fn) || fn.parameters.length !== 2) return null;
  const [a, b] = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : null));
  if (a === null || b === null || a === undefined || b === undefined) return null;
  if (!fn.parameters.every((p) => isNumberType(call.ctx.checker.getTypeAtLocation(p)))) return null;
  let body: ts.Node = fn.body;
  if (ts.isBlock(body) && body.statements.length === 1 && ts.isReturnStatement(body.statements[0]!))
    body = body.statements[0].expression ?? body;
  if (ts.isParenthesizedExpression(body)) body = body.expression;
  if (!ts.isBinaryExpression(body) || body.operatorToken.kind !== ts.SyntaxKind.MinusToken) return null;
  const left = body.left.getText();
  const right = body.right.getText();
  if (left === a && right === b) return 'ascending';
  if (left === b && right === a) return 'descending';
  return null;
}

const sort: MethodMapping = (call): MethodResult => {
  if (call.args.length === 0) return call.ctx.report(diagnostics.defaultSort(call.node));
  const order = numericComparator(call, call.args[0]!);
  let keywords: py.Keyword[];
  if (order !== null) {
    keywords = order === 'descending' ? [{ name: 'reverse', value: py.bool(true) }] : [];
  } else {
    const comparatorNode = skipOuterExpressions(call.args[0]!);
    // A typed def, so mypy can infer cmp_to_key's type argument (it cannot from an unannotated lambda).
    const comparator =
      ts.isArrowFunction(comparatorNode) || ts.isFunctionExpression(comparatorNode)
        ? hoistedDef(call.ctx, comparatorNode)
        : arg(call, 0);
    keywords = [{ name: 'key', value: py.call(py.attr(call.ctx.module('functools'), 'cmp_to_key'), [comparator]) }];
  }
  const source = copiedSource(call);
  if (source !== null) return py.call(py.name('sorted'), [source], keywords);
  return statementOnly(call, [py.exprStmt(method(call.receiver, 'sort', [], keywords))]);
};

export const arrayBuiltins: BuiltinModule = {
  owns: (ctx, type) => ctx.checker.isArrayType(type) || ctx.checker.isTupleType(type) || isBytesType(type),
  receiverName: 'array',
  properties: {
    length: (read) => len(read.receiver),
  },
  methods: {
    push: (call) => {
      if (call.args.length === 1 && !ts.isSpreadElement(call.args[0]!)) {
        return statementOnly(call, [py.exprStmt(method(call.receiver, 'append', [arg(call, 0)]))]);
      }
      return statementOnly(call, [py.exprStmt(method(call.receiver, 'extend', [spreadOrArgs(call)]))]);
    },
    pop: removeEnd([]),
    shift: removeEnd([py.int(0)]),
    unshift: (call) => {
      if (call.args.length === 1 && !ts.isSpreadElement(call.args[0]!)) {
        return statementOnly(call, [py.exprStmt(method(call.receiver, 'insert', [py.int(0), arg(call, 0)]))]);
      }
      return statementOnly(call, [
        py.assign(
          py.subscript(call.receiver, { kind: 'Slice', lower: py.int(0), upper: py.int(0) }),
          py.list([{ kind: 'Starred', value: spreadOrArgs(call) }]),
        ),
      ]);
    },
    includes: (call) =>
      refuseArity(call, 'includes with a position', [1]) ?? py.compare(arg(call, 0), 'in', call.receiver),
    indexOf: (call) => {
      const refused = refuseArity(call, 'indexOf with a position', [1]);
      if (refused !== null) return refused;
      const receiver = call.ctx.once(call.receiver);
      const element = call.ctx.once(arg(call, 0));
      if (receiver.first !== receiver.again && element.first !== element.again) {
        return call.ctx.report(diagnostics.evaluateOnce(call.node));
      }
      // Python evaluates the condition first: bind the receiver (JS evaluates it first) there.
      const test =
        receiver.first !== receiver.again
          ? py.compare(element.again, 'in', receiver.first)
          : py.compare(element.first, 'in', receiver.again);
      return py.ifExp(test, method(receiver.again, 'index', [element.again]), py.int(-1));
    },
    join: (call) => {
      const type = call.ctx.typeOf(call.receiverNode);
      const element = call.ctx.checker.getIndexTypeOfType(
        call.ctx.checker.getNonNullableType(type),
        ts.IndexKind.Number,
      );
      if (element === undefined || !isStringType(element)) {
        return call.ctx.report(diagnostics.numberToString(call.node, '`join` of non-string elements'));
      }
      const separator = call.args.length === 0 ? py.str(',') : arg(call, 0);
      return method(separator, 'join', [call.receiver]);
    },
    slice: (call) => {
      const refused = refuseArity(call, 'slice', [0, 1, 2]);
      if (refused !== null) return refused;
      const lower = call.args.length > 0 ? arg(call, 0) : null;
      const upper = call.args.length > 1 ? arg(call, 1) : null;
      return py.subscript(call.receiver, { kind: 'Slice', lower, upper });
    },
    concat: (call) =>
      call.args.reduce<py.Expr>((acc, node, i) => {
        const isArray =
          call.ctx.checker.isArrayType(call.ctx.typeOf(node)) || call.ctx.checker.isTupleType(call.ctx.typeOf(node));
        const value = arg(call, i);
        return py.binop(acc, '+', isArray ? py.call(py.name('list'), [value]) : py.list([value]));
      }, call.receiver),
    map: (call) => compResult(comprehension(call, 'list', false)),
    filter: (call) => compResult(comprehension(call, 'list', true)),
    some: (call) => {
      const result = comprehension(call, 'generator', false);
      return 'comp' in result ? py.call(py.name('any'), [result.comp]) : result.refused;
    },
    every: (call) => {
      const result = comprehension(call, 'generator', false);
      return 'comp' in result ? py.call(py.name('all'), [result.comp]) : result.refused;
    },
    find: (call) => {
      const result = comprehension(call, 'generator', true);
      if (!('comp' in result)) return result.refused;
      return py.call(py.name('next'), call.asserted ? [result.comp] : [result.comp, py.none()]);
    },
    findIndex: (call) => {
      const callbackNode = call.args[0];
      if (callbackNode === undefined || call.args.length > 1)
        return call.ctx.report(
          diagnostics.unsupportedBuiltin(call.node, 'findIndex', 'needs exactly one callback', 'Pass one callback'),
        );
      const callback = translateCallback(call.ctx, callbackNode, 2);
      const element = callback.params[0] ?? '_';
      const index = callback.params[1] ?? call.ctx.fresh('i');
      const comp: py.Comprehension = {
        kind: 'Comprehension',
        form: 'generator',
        elt: py.name(index),
        target: py.tuple([py.name(index), py.name(element)]),
        iter: py.call(py.name('enumerate'), [call.receiver]),
        conditions: [callback.body],
      };
      return py.call(py.name('next'), [comp, py.int(-1)]);
    },
    forEach: (call) => {
      const callbackNode = call.args[0];
      if (callbackNode === undefined || call.args.length > 1)
        return call.ctx.report(
          diagnostics.unsupportedBuiltin(call.node, 'forEach', 'needs exactly one callback', 'Pass one callback'),
        );
      const callback = translateCallback(call.ctx, callbackNode, 2);
      const { target, iter } = comprehensionSource(callback, call.receiver);
      return statementOnly(call, [{ kind: 'For', target, iter, body: [py.exprStmt(callback.body)] }]);
    },
    reduce: (call) => {
      if (call.args.length !== 2) {
        return call.ctx.report(
          diagnostics.unsupportedBuiltin(
            call.node,
            'reduce',
            'without an initial value throws on empty arrays in JavaScript',
            'Pass an initial value',
          ),
        );
      }
      return py.call(py.attr(call.ctx.module('functools'), 'reduce'), [arg(call, 0), call.receiver, arg(call, 1)]);
    },
    sort,
    reverse: (call) =>
      refuseArity(call, 'reverse', [0]) ?? statementOnly(call, [py.exprStmt(method(call.receiver, 'reverse'))]),
    entries: (call) => refuseArity(call, 'entries', [0]) ?? py.call(py.name('enumerate'), [call.receiver]),
    keys: (call) => refuseArity(call, 'keys', [0]) ?? py.call(py.name('range'), [len(call.receiver)]),
    values: (call) => refuseArity(call, 'values', [0]) ?? py.call(py.name('iter'), [call.receiver]),
    splice: unsupported('splice', 'Build a new array with slice and concat'),
    fill: unsupported('fill', 'Build the array with a loop'),
    flat: unsupported('flat', 'Concatenate explicitly'),
    flatMap: unsupported('flatMap', 'Use a loop with push'),
    lastIndexOf: unsupported('lastIndexOf', 'Use a loop'),
    at: unsupported('at', 'Index with a[i] (checked) or a[a.length - 1]'),
    copyWithin: unsupported('copyWithin', 'Use a loop'),
    toString: (call: MethodCall) => call.ctx.report(diagnostics.numberToString(call.node, 'array `toString()`')),
  },
  namespaces: {
    Array: {
      calls: {
        isArray: (call) =>
          refuseArity(call, 'Array.isArray', [1]) ?? py.call(py.name('isinstance'), [arg(call, 0), py.name('list')]),
        from: (call) => {
          const refused = refuseArity(call, 'Array.from', [1, 2]);
          if (refused !== null) return refused;
          const source = call.args[0]!;
          const type = call.ctx.typeOf(source);
          if (isStringType(type)) return call.ctx.report(diagnostics.stringMethod(call.node, 'Array.from'));
          let iterable = call.ctx.expr(source);
          if (isMapType(type)) iterable = method(iterable, 'items');
          if (call.args.length === 1) return py.call(py.name('list'), [iterable]);
          const callback = translateCallback(call.ctx, call.args[1]!, 2);
          const { target, iter } = comprehensionSource(callback, iterable);
          return { kind: 'Comprehension', form: 'list', elt: callback.body, target, iter, conditions: [] };
        },
      },
    },
  },
};
