// Unary operators: `!` (checked truthiness), `-`/`+` on numbers; `~`, typeof-as-value, void, delete and `++`/`--`
// used as values are refused (as statements, `++`/`--` are handled by the expression-statement visitor).
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import type { Context } from '../context';
import { isNullishLiteral, skipOuterExpressions } from '../syntax';
import { describeType, isNumberType } from '../type-queries';
import { expression, type VisitorEntries } from '../visitor-entries';
import { condition } from '../translation/truthiness';

const K = ts.SyntaxKind;

/** Whether `a` and `b` are the same plain reference (`x`, `this.x`, `o.p.q`) that reading twice cannot change. */
function sameReference(ctx: Context, a: ts.Expression, b: ts.Expression): boolean {
  const l = skipOuterExpressions(a);
  const r = skipOuterExpressions(b);
  if (ts.isIdentifier(l) && ts.isIdentifier(r)) {
    const symbol = ctx.checker.getSymbolAtLocation(l);
    return symbol !== undefined && symbol === ctx.checker.getSymbolAtLocation(r);
  }
  if (l.kind === K.ThisKeyword && r.kind === K.ThisKeyword) return true;
  if (
    ts.isPropertyAccessExpression(l) &&
    ts.isPropertyAccessExpression(r) &&
    l.name.text === r.name.text &&
    l.questionDotToken === undefined &&
    r.questionDotToken === undefined
  ) {
    const symbol = ctx.checker.getSymbolAtLocation(l.name);
    // A getter may compute a new value on each read.
    const accessor = (symbol?.getDeclarations() ?? []).some((d) => ts.isGetAccessorDeclaration(d));
    return (
      symbol !== undefined &&
      !accessor &&
      symbol === ctx.checker.getSymbolAtLocation(r.name) &&
      sameReference(ctx, l.expression, r.expression)
    );
  }
  return false;
}

/**
 * `x === undefined ? null : x` (and `x !== null ? x : undefined`, ...) is `x` itself: null and undefined are both
 * None. The reference, or null when the conditional is not of this form.
 */
function nullishOrSelf(ctx: Context, node: ts.ConditionalExpression): ts.Expression | null {
  const test = skipOuterExpressions(node.condition);
  if (!ts.isBinaryExpression(test)) return null;
  const op = test.operatorToken.kind;
  if (op !== K.EqualsEqualsEqualsToken && op !== K.ExclamationEqualsEqualsToken) return null;
  const tested = isNullishLiteral(test.right) ? test.left : isNullishLiteral(test.left) ? test.right : null;
  if (tested === null) return null;
  const [whenNull, whenValue] =
    op === K.EqualsEqualsEqualsToken ? [node.whenTrue, node.whenFalse] : [node.whenFalse, node.whenTrue];
  return isNullishLiteral(whenNull) && sameReference(ctx, tested, whenValue) ? whenValue : null;
}

export const unaryVisitors: VisitorEntries = {
  expressions: [
    [
      K.PrefixUnaryExpression,
      expression<ts.PrefixUnaryExpression>((node, ctx) => {
        switch (node.operator) {
          case K.ExclamationToken:
            return py.not(condition(ctx, node.operand, { test: true }));
          case K.MinusToken:
          case K.PlusToken: {
            const type = ctx.typeOf(node.operand);
            const op = node.operator === K.MinusToken ? '-' : '+';
            if (!isNumberType(type))
              return ctx.report(diagnostics.unaryOnNonNumber(node, op, describeType(ctx.checker, type)));
            const operand = ctx.expr(node.operand);
            if (op === '+') return operand;
            if (operand.kind === 'Constant' && typeof operand.value === 'object' && operand.value !== null) {
              return { kind: 'Constant', value: { float: -operand.value.float } };
            }
            return { kind: 'UnaryOp', op: '-', operand };
          }
          case K.TildeToken:
            return ctx.report(diagnostics.bitwise(node, '~'));
          default:
            return ctx.report(diagnostics.incrementValue(node));
        }
      }),
    ],
    [K.PostfixUnaryExpression, expression((node, ctx) => ctx.report(diagnostics.incrementValue(node)))],
    [
      K.TypeOfExpression,
      expression((node, ctx) =>
        ctx.report(
          diagnostics.unsupportedSyntax(
            node,
            '`typeof` outside a comparison with a string literal',
            "Compare it: `typeof x === 'string'`",
          ),
        ),
      ),
    ],
    [
      K.VoidExpression,
      expression((node, ctx) =>
        ctx.report(
          diagnostics.unsupportedSyntax(node, '`void`', 'Use `undefined`, or call the function as a statement'),
        ),
      ),
    ],
    [K.DeleteExpression, expression((node, ctx) => ctx.report(diagnostics.deleteOperator(node)))],
    [
      K.ConditionalExpression,
      expression<ts.ConditionalExpression>((node, ctx) => {
        const same = nullishOrSelf(ctx, node);
        if (same !== null) return ctx.expr(same);
        return py.ifExp(
          condition(ctx, node.condition, { test: true }),
          ctx.expr(node.whenTrue),
          ctx.expr(node.whenFalse),
        );
      }),
    ],
  ],
};
