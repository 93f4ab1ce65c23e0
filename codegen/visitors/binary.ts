// Binary operators: strict equality (== for primitives, `is` for objects and null), arithmetic on numbers only,
// `%` with JavaScript's sign rule, `&&`/`||` with checked truthiness, `??` evaluating its left side once, `in` on
// Records, `instanceof` -> isinstance. Loose equality, `/`, bit operators and the comma operator are refused.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import {
  describeType,
  isBooleanType,
  isBytesType,
  isNumberType,
  isPrimitiveOrNullish,
  isRecordType,
  isStringType,
  nonNullableParts,
  unionParts,
} from '../type-queries';
import { isNullishLiteral, skipOuterExpressions, stringLiteralText } from '../syntax';
import { expression, type VisitorEntries } from '../visitor-entries';
import { checkPower } from '../translation/power';
import { boolOp, condition, emptinessTest } from '../translation/truthiness';
import { interpolated } from '../translation/interpolation';

const K = ts.SyntaxKind;

/** `typeof x === 'number'` and friends -> isinstance checks that agree with JavaScript (bool is not a number). */
function typeofCheck(
  ctx: Context,
  node: ts.BinaryExpression,
  operand: ts.Expression,
  tag: string,
  negate: boolean,
): py.Expr {
  const value = ctx.expr(operand);
  const isinstance = (cls: py.Expr): py.Expr => py.call(py.name('isinstance'), [value, cls]);
  let check: py.Expr;
  switch (tag) {
    case 'string':
      check = isinstance(py.name('str'));
      break;
    case 'boolean':
      check = isinstance(py.name('bool'));
      break;
    case 'number': {
      // bool is an int in Python; the guard is needed only when the operand may be a boolean here.
      const numbers = isinstance(py.tuple([py.name('int'), py.name('float')]));
      const mayBeBoolean = unionParts(ctx.typeOf(operand)).some(
        (t) =>
          (t.flags & ts.TypeFlags.BooleanLike) !== 0 ||
          (t.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive)) !== 0,
      );
      check = mayBeBoolean ? boolOp('and', numbers, py.not(isinstance(py.name('bool')))) : numbers;
      break;
    }
    case 'undefined':
      check = py.compare(value, 'is', py.none());
      break;
    case 'function':
      check = py.call(py.name('callable'), [value]);
      break;
    default:
      return ctx.report(
        diagnostics.unsupportedSyntax(
          node,
          `\`typeof x === '${tag}'\``,
          'Test with `instanceof`, `Array.isArray`, or `=== null`',
        ),
      );
  }
  return negate ? py.not(check) : check;
}

function equality(ctx: Context, node: ts.BinaryExpression, negate: boolean): py.Expr {
  const { left, right } = node;
  // `xs.length === 0` -> `not xs` (a bool, as the comparison is); `!== 0` is `xs` only where it is just tested.
  const emptiness = negate ? null : emptinessTest(ctx, node);
  if (emptiness !== null) return py.not(ctx.expr(emptiness.subject));
  if (isNullishLiteral(right) || isNullishLiteral(left)) {
    const other = isNullishLiteral(right) ? left : right;
    return py.compare(ctx.expr(other), negate ? 'is not' : 'is', py.none());
  }
  const l = skipOuterExpressions(left);
  const r = skipOuterExpressions(right);
  const rightText = stringLiteralText(r);
  const leftText = stringLiteralText(l);
  if (ts.isTypeOfExpression(l) && rightText !== null) return typeofCheck(ctx, node, l.expression, rightText, negate);
  if (ts.isTypeOfExpression(r) && leftText !== null) return typeofCheck(ctx, node, r.expression, leftText, negate);
  for (const side of [left, right]) {
    const parts = nonNullableParts(ctx.typeOf(side));
    if (parts.some(isBytesType)) return ctx.report(diagnostics.valueIdentity(node, 'Bytes'));
    if (parts.some((t) => ctx.checker.isTupleType(t))) return ctx.report(diagnostics.valueIdentity(node, 'tuples'));
  }
  // A string literal equals only an equal str in Python as in JavaScript, whatever the other side may be (a union
  // with objects included): value equality is exact there.
  const primitive =
    leftText !== null ||
    rightText !== null ||
    (isPrimitiveOrNullish(ctx.typeOf(left)) && isPrimitiveOrNullish(ctx.typeOf(right)));
  const op: py.CompareOperator = primitive ? (negate ? '!=' : '==') : negate ? 'is not' : 'is';
  return py.compare(ctx.expr(left), op, ctx.expr(right));
}

function relational(ctx: Context, node: ts.BinaryExpression, op: py.CompareOperator): py.Expr {
  const lt = ctx.typeOf(node.left);
  const rt = ctx.typeOf(node.right);
  if (isStringType(lt) || isStringType(rt))
    return ctx.report(diagnostics.stringRelational(node, node.operatorToken.getText()));
  if (!isNumberType(lt) || !isNumberType(rt)) {
    return ctx.report(
      diagnostics.unsupportedSyntax(
        node,
        `\`${node.operatorToken.getText()}\` on ${describeType(ctx.checker, lt)} and ${describeType(ctx.checker, rt)}`,
        'Compare numbers only',
      ),
    );
  }
  return py.compare(ctx.expr(node.left), op, ctx.expr(node.right));
}

function checkNumeric(ctx: Context, node: ts.BinaryExpression): boolean {
  for (const side of [node.left, node.right]) {
    const type = ctx.typeOf(side);
    if (isBooleanType(type)) {
      ctx.report(diagnostics.booleanArithmetic(node, node.operatorToken.getText()));
      return false;
    }
    if (!isNumberType(type)) {
      ctx.report(
        diagnostics.unsupportedSyntax(
          node,
          `\`${node.operatorToken.getText()}\` on a ${describeType(ctx.checker, type)}`,
          'Use arithmetic on numbers only',
        ),
      );
      return false;
    }
  }
  return true;
}

/** Whether `node` is `a + b` of two strings. */
function isStringConcatenation(ctx: Context, node: ts.Expression): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind === K.PlusToken &&
    isStringType(ctx.typeOf(node.left)) &&
    isStringType(ctx.typeOf(node.right))
  );
}

/** The operands of a chain of string `+` (through parentheses: concatenation is associative), in order. */
function concatenationOperands(ctx: Context, node: ts.Expression): ts.Expression[] {
  const inner = ts.isParenthesizedExpression(node) ? skipOuterExpressions(node) : node;
  if (!isStringConcatenation(ctx, inner)) return [node];
  return [...concatenationOperands(ctx, inner.left), ...concatenationOperands(ctx, inner.right)];
}

/**
 * A chain of strings joined by `+`: an f-string when it mixes literal text and other strings (`'a ' + x + '!'` ->
 * `f'a {x}!'`), one literal when every part is one, `a + b` when no part is. Every operand is a string, so the
 * f-string builds exactly the same text.
 */
function stringConcatenation(ctx: Context, node: ts.BinaryExpression): py.Expr {
  const parts: py.FStringPart[] = [];
  const values = concatenationOperands(ctx, node).map((operand) => interpolated(ctx, operand));
  for (const { value } of values) {
    const pieces: py.FStringPart[] =
      value.kind === 'Constant' && typeof value.value === 'string'
        ? [{ text: value.value }]
        : value.kind === 'FString'
          ? value.parts
          : [{ expr: value }];
    for (const piece of pieces) {
      const last = parts[parts.length - 1];
      if ('text' in piece && last !== undefined && 'text' in last)
        parts[parts.length - 1] = { text: last.text + piece.text };
      else parts.push(piece);
    }
  }
  if (parts.every((p) => 'text' in p)) return py.str(parts.map((p) => ('text' in p ? p.text : '')).join(''));
  if (parts.some((p) => 'text' in p)) return { kind: 'FString', parts };
  const operands = values.map((v) => v.asString());
  return operands.slice(1).reduce((acc, operand) => py.binop(acc, '+', operand), operands[0]!);
}

function plus(ctx: Context, node: ts.BinaryExpression): py.Expr {
  const lt = ctx.typeOf(node.left);
  const rt = ctx.typeOf(node.right);
  if (isStringType(lt) && isStringType(rt)) return stringConcatenation(ctx, node);
  if (isStringType(lt) || isStringType(rt)) {
    const other = isStringType(lt) ? rt : lt;
    return ctx.report(diagnostics.stringConcatenation(node, describeType(ctx.checker, other)));
  }
  if (!checkNumeric(ctx, node)) return py.name('__refused__');
  return py.binop(ctx.expr(node.left), '+', ctx.expr(node.right));
}

function arithmetic(ctx: Context, node: ts.BinaryExpression, op: py.BinaryOperator): py.Expr {
  if (!checkNumeric(ctx, node)) return py.name('__refused__');
  return py.binop(ctx.expr(node.left), op, ctx.expr(node.right));
}

function exponentiation(ctx: Context, node: ts.BinaryExpression): py.Expr {
  if (!checkNumeric(ctx, node)) return py.name('__refused__');
  if (!checkPower(ctx, node, node.left, node.right, '**')) return py.name('__refused__');
  return py.binop(ctx.expr(node.left), '**', ctx.expr(node.right));
}

/** JavaScript's `%` takes the sign of the dividend (C fmod); Python's `%` that of the divisor. */
function remainder(ctx: Context, node: ts.BinaryExpression): py.Expr {
  if (!checkNumeric(ctx, node)) return py.name('__refused__');
  const fmod = py.call(py.attr(ctx.module('math'), 'fmod'), [ctx.expr(node.left), ctx.expr(node.right)]);
  return py.call(py.name('int'), [fmod]);
}

export function nullish(ctx: Context, left: py.Expr, right: () => py.Expr): py.Expr {
  const { first, again } = ctx.once(left);
  return py.ifExp(py.compare(first, 'is not', py.none()), again, right());
}

const BITWISE = new Set([
  K.AmpersandToken,
  K.BarToken,
  K.CaretToken,
  K.LessThanLessThanToken,
  K.GreaterThanGreaterThanToken,
  K.GreaterThanGreaterThanGreaterThanToken,
]);
const ASSIGNMENTS = new Set([
  K.EqualsToken,
  K.PlusEqualsToken,
  K.MinusEqualsToken,
  K.AsteriskEqualsToken,
  K.SlashEqualsToken,
  K.PercentEqualsToken,
  K.AsteriskAsteriskEqualsToken,
  K.AmpersandEqualsToken,
  K.BarEqualsToken,
  K.CaretEqualsToken,
  K.LessThanLessThanEqualsToken,
  K.GreaterThanGreaterThanEqualsToken,
  K.GreaterThanGreaterThanGreaterThanEqualsToken,
  K.QuestionQuestionEqualsToken,
  K.BarBarEqualsToken,
  K.AmpersandAmpersandEqualsToken,
]);

export function binaryExpr(ctx: Context, node: ts.BinaryExpression): py.Expr {
  const op = node.operatorToken.kind;
  switch (op) {
    case K.EqualsEqualsToken:
      return ctx.report(diagnostics.looseEquality(node.operatorToken, '=='));
    case K.ExclamationEqualsToken:
      return ctx.report(diagnostics.looseEquality(node.operatorToken, '!='));
    case K.EqualsEqualsEqualsToken:
      return equality(ctx, node, false);
    case K.ExclamationEqualsEqualsToken:
      return equality(ctx, node, true);
    case K.LessThanToken:
      return relational(ctx, node, '<');
    case K.LessThanEqualsToken:
      return relational(ctx, node, '<=');
    case K.GreaterThanToken:
      return relational(ctx, node, '>');
    case K.GreaterThanEqualsToken:
      return relational(ctx, node, '>=');
    case K.PlusToken:
      return plus(ctx, node);
    case K.MinusToken:
      return arithmetic(ctx, node, '-');
    case K.AsteriskToken:
      return arithmetic(ctx, node, '*');
    case K.AsteriskAsteriskToken:
      return exponentiation(ctx, node);
    case K.PercentToken:
      return remainder(ctx, node);
    case K.SlashToken:
      return ctx.report(diagnostics.division(node.operatorToken));
    case K.AmpersandAmpersandToken:
      return boolOp('and', condition(ctx, node.left), ctx.expr(node.right));
    case K.BarBarToken:
      return boolOp('or', condition(ctx, node.left), ctx.expr(node.right));
    case K.QuestionQuestionToken:
      // `x ?? null` is x: null and undefined are both None.
      if (isNullishLiteral(node.right)) return ctx.expr(node.left);
      return nullish(ctx, ctx.expr(node.left), () => ctx.expr(node.right));
    case K.InKeyword: {
      const type = ctx.checker.getNonNullableType(ctx.typeOf(node.right));
      if (!isRecordType(ctx.checker, type))
        return ctx.report(diagnostics.inOperator(node, describeType(ctx.checker, type)));
      return py.compare(ctx.expr(node.left), 'in', ctx.expr(node.right));
    }
    case K.InstanceOfKeyword:
      return py.call(py.name('isinstance'), [ctx.expr(node.left), ctx.expr(node.right)]);
    case K.CommaToken:
      return ctx.report(diagnostics.unsupportedSyntax(node, 'the comma operator', 'Write separate statements'));
    default:
      if (BITWISE.has(op)) return ctx.report(diagnostics.bitwise(node.operatorToken, node.operatorToken.getText()));
      if (ASSIGNMENTS.has(op)) {
        if (op === K.SlashEqualsToken) return ctx.report(diagnostics.division(node.operatorToken));
        return ctx.report(diagnostics.assignmentValue(node));
      }
      return ctx.report(diagnostics.unsupportedSyntax(node, `the operator \`${node.operatorToken.getText()}\``));
  }
}

export const binaryVisitors: VisitorEntries = {
  expressions: [
    [ts.SyntaxKind.BinaryExpression, expression<ts.BinaryExpression>((node, ctx) => binaryExpr(ctx, node))],
  ],
};
