// Unary operators: `!` (checked truthiness), `-`/`+` on numbers; `~`, typeof-as-value, void, delete and `++`/`--`
// used as values are refused (as statements, `++`/`--` are handled by the expression-statement visitor).
import { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { describeType, isNumberType } from '../type-queries';
import { expression, type VisitorEntries } from '../visitor-entries';
import { condition } from '../translation/truthiness';

const K = ts.SyntaxKind;

export const unaryVisitors: VisitorEntries = {
  expressions: [
    [
      K.PrefixUnaryExpression,
      expression<ts.PrefixUnaryExpression>((node, ctx) => {
        switch (node.operator) {
          case K.ExclamationToken:
            return py.not(condition(ctx, node.operand));
          case K.MinusToken:
          case K.PlusToken: {
            const type = ctx.typeOf(node.operand);
            const op = node.operator === K.MinusToken ? '-' : '+';
            if (!isNumberType(type)) return ctx.report(diagnostics.unaryOnNonNumber(node, op, describeType(ctx.checker, type)));
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
    [K.TypeOfExpression, expression((node, ctx) => ctx.report(diagnostics.unsupportedSyntax(node, '`typeof` outside a comparison with a string literal', "Compare it: `typeof x === 'string'`")))],
    [K.VoidExpression, expression((node, ctx) => ctx.report(diagnostics.unsupportedSyntax(node, '`void`', 'Use `undefined`, or call the function as a statement')))],
    [K.DeleteExpression, expression((node, ctx) => ctx.report(diagnostics.deleteOperator(node)))],
    [
      K.ConditionalExpression,
      expression<ts.ConditionalExpression>((node, ctx) => py.ifExp(condition(ctx, node.condition), ctx.expr(node.whenTrue), ctx.expr(node.whenFalse))),
    ],
  ],
};
