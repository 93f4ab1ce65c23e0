// Expression statements: assignments and increments become Python assignment statements, calls whose Python form
// is a statement (`m.set(k, v)` -> `m[k] = v`) are emitted as such, `await`/`void` vanish.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { translateCall } from '../translation/access';
import { assignmentStatement, incrementStatement } from '../translation/assignment';
import { statement, type VisitorEntries } from '../visitor-entries';

const K = ts.SyntaxKind;

export function expressionAsStatement(ctx: Context, expression: ts.Expression): py.Stmt[] {
  let e = expression;
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isBinaryExpression(e) && e.operatorToken.kind >= K.FirstAssignment && e.operatorToken.kind <= K.LastAssignment)
    return assignmentStatement(ctx, e);
  if (
    (ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) &&
    (e.operator === K.PlusPlusToken || e.operator === K.MinusMinusToken)
  ) {
    return incrementStatement(ctx, e);
  }
  if (ts.isAwaitExpression(e) || ts.isVoidExpression(e)) return expressionAsStatement(ctx, e.expression);
  if (ts.isCallExpression(e) && !ts.isOptionalChain(e)) {
    const result = translateCall(ctx, e, { discarded: true, asserted: false });
    return 'kind' in result ? [py.exprStmt(result)] : result.statements;
  }
  if (ts.isStringLiteral(e)) return []; // a directive such as 'use strict'
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === K.CommaToken) {
    ctx.report(diagnostics.unsupportedSyntax(e, 'the comma operator', 'Write separate statements'));
    return [];
  }
  return [py.exprStmt(ctx.expr(e))];
}

export const expressionStatementVisitors: VisitorEntries = {
  statements: [
    [
      K.ExpressionStatement,
      statement<ts.ExpressionStatement>((node, ctx) => expressionAsStatement(ctx, node.expression)),
    ],
  ],
};
