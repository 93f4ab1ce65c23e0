// Conditions: JavaScript truthiness equals Python's for strings, numbers, booleans and null/undefined, but not for
// objects (an empty Python list or dict is falsy, a JS one truthy), so those are refused.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { integerLiteralValue, skipOuterExpressions } from '../syntax';
import {
  describeType,
  includesNullish,
  isAny,
  isBytesType,
  isMapType,
  isPrimitiveOrNullish,
  isSetType,
} from '../type-queries';

/**
 * Translates an expression whose truthiness is tested (if/while/?:/!/&&/||). A `test` is only ever tested (the test
 * of if, elif, while, ?:, the operand of `!`), its value never used: there (and in the `&&`/`||` operands of one) a
 * non-empty test of a collection is the collection itself (`if (xs.length > 0)` -> `if xs:`), see emptinessTest.
 */
export function condition(ctx: Context, node: ts.Expression, options: { test: boolean } = { test: false }): py.Expr {
  let inner = node;
  while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
  if (ts.isBinaryExpression(inner)) {
    const op = inner.operatorToken.kind;
    if (op === ts.SyntaxKind.AmpersandAmpersandToken || op === ts.SyntaxKind.BarBarToken) {
      return boolOp(
        op === ts.SyntaxKind.AmpersandAmpersandToken ? 'and' : 'or',
        condition(ctx, inner.left, options),
        condition(ctx, inner.right, options),
      );
    }
  }
  if (ts.isPrefixUnaryExpression(inner) && inner.operator === ts.SyntaxKind.ExclamationToken) {
    const operand = condition(ctx, inner.operand, options);
    return options.test ? negatedTest(operand) : py.not(operand);
  }
  if (options.test) {
    const emptiness = emptinessTest(ctx, inner);
    if (emptiness !== null && !emptiness.empty) return ctx.expr(emptiness.subject);
  }
  checkTruthiness(ctx, inner);
  return ctx.expr(inner);
}

/** An expression that is only tested, negated: `not x`, and `x` for `not x` (both tested, `not not x` is `x`). */
export function negatedTest(tested: py.Expr): py.Expr {
  return tested.kind === 'UnaryOp' && tested.op === 'not' ? tested.operand : py.not(tested);
}

/**
 * `xs.length === 0` (`0 === xs.length`, `xs.size === 0`) and its negations `!== 0`, `> 0` (`0 < xs.length`): the
 * collection and whether the test asks for it empty, when `xs` is statically an array, tuple, Bytes, Map or Set that
 * cannot be null (its type, not an assertion `xs!`). In Python those are a list or tuple, bytes, a dict or a set,
 * none of which defines `__bool__`: `not xs` is `len(xs) == 0` exactly, and a tested `xs` is `len(xs) > 0`.
 */
export function emptinessTest(ctx: Context, node: ts.Expression): { subject: ts.Expression; empty: boolean } | null {
  const inner = skipOuterExpressions(node);
  if (!ts.isBinaryExpression(inner)) return null;
  const op = inner.operatorToken.kind;
  const K = ts.SyntaxKind;
  const zeroRight = integerLiteralValue(inner.right) === 0n;
  const zeroLeft = integerLiteralValue(inner.left) === 0n;
  if (zeroLeft === zeroRight) return null;
  const size = sizeSubject(ctx, zeroRight ? inner.left : inner.right);
  if (size === null) return null;
  if (op === K.EqualsEqualsEqualsToken) return { subject: size, empty: true };
  if (op === K.ExclamationEqualsEqualsToken) return { subject: size, empty: false };
  if ((op === K.GreaterThanToken && zeroRight) || (op === K.LessThanToken && zeroLeft))
    return { subject: size, empty: false };
  return null;
}

/** `xs` of `xs.length` / `xs.size` when xs is a collection that cannot be null (see emptinessTest). */
function sizeSubject(ctx: Context, node: ts.Expression): ts.Expression | null {
  const access = skipOuterExpressions(node);
  if (!ts.isPropertyAccessExpression(access) || access.questionDotToken !== undefined) return null;
  const receiver = skipOuterExpressions(access.expression);
  if (ts.isNonNullExpression(receiver)) return null;
  const type = ctx.typeOf(receiver);
  if (includesNullish(type) || isAny(type)) return null;
  const sized =
    access.name.text === 'length'
      ? ctx.checker.isArrayType(type) || ctx.checker.isTupleType(type) || isBytesType(type)
      : access.name.text === 'size' && (isMapType(type) || isSetType(type));
  return sized ? access.expression : null;
}

export function checkTruthiness(ctx: Context, node: ts.Expression): void {
  const type = ctx.typeOf(node);
  if (!isPrimitiveOrNullish(type)) {
    const described = describeType(ctx.checker, ctx.checker.getNonNullableType(type));
    ctx.report(diagnostics.objectTruthiness(node, `${/^[aeiou]/i.test(described) ? 'an' : 'a'} ${described} value`));
  }
}

/** `x is None` in an `or` chain, `x is not None` in an `and` chain: the test that `null` and `undefined` share. */
function noneTest(e: py.Expr, op: 'and' | 'or'): py.Expr | null {
  if (e.kind !== 'Compare' || e.op !== (op === 'or' ? 'is' : 'is not')) return null;
  return e.right.kind === 'Constant' && e.right.value === null ? e.left : null;
}

/**
 * `a and b and c` flattened, so the printer does not parenthesise a chain of the same operator. Two adjacent tests
 * of one value against None fold into one: `x === null || x === undefined` is `x is None` (null and undefined are
 * both None), `x !== null && x !== undefined` is `x is not None`, when reading `x` twice has no effect.
 */
/** `isinstance(x, C)` (or `isinstance(x, (C, D))`): the tested value and the classes. */
function isinstanceTest(e: py.Expr): { value: py.Expr; classes: py.Expr[] } | null {
  if (
    e.kind !== 'Call' ||
    e.func.kind !== 'Name' ||
    e.func.id !== 'isinstance' ||
    e.args.length !== 2 ||
    e.keywords.length > 0
  )
    return null;
  const cls = e.args[1]!;
  return { value: e.args[0]!, classes: cls.kind === 'Tuple' ? cls.elts : [cls] };
}

/**
 * `a and b and c` flattened, so the printer does not parenthesise a chain of the same operator. Two adjacent tests
 * of one value against None fold into one: `x === null || x === undefined` is `x is None` (null and undefined are
 * both None), `x !== null && x !== undefined` is `x is not None`, when reading `x` twice has no effect. Adjacent
 * `isinstance(x, A) or isinstance(x, B)` is `isinstance(x, (A, B))` (isinstance with a tuple tests each class).
 */
export function boolOp(op: 'and' | 'or', left: py.Expr, right: py.Expr): py.Expr {
  const values: py.Expr[] = [];
  for (const side of [left, right]) {
    for (const value of side.kind === 'BoolOp' && side.op === op ? side.values : [side]) {
      const previous = values[values.length - 1];
      const tested = noneTest(value, op);
      const previousTested = previous === undefined ? null : noneTest(previous, op);
      if (tested !== null && previousTested !== null && py.isPureRead(tested) && py.sameExpr(tested, previousTested))
        continue;
      const instance = op === 'or' ? isinstanceTest(value) : null;
      const previousInstance = op === 'or' && previous !== undefined ? isinstanceTest(previous) : null;
      if (
        instance !== null &&
        previousInstance !== null &&
        py.isPureRead(instance.value) &&
        py.sameExpr(instance.value, previousInstance.value)
      ) {
        values[values.length - 1] = py.call(py.name('isinstance'), [
          instance.value,
          py.tuple([...previousInstance.classes, ...instance.classes]),
        ]);
        continue;
      }
      values.push(value);
    }
  }
  return values.length === 1 ? values[0]! : { kind: 'BoolOp', op, values };
}
