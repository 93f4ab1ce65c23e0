// switch -> if/elif/else. Consecutive empty cases share a body (the only fallthrough TypeScript's
// noFallthroughCasesInSwitch leaves); a trailing `break` ends a case; the discriminant is evaluated once.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isBytesType, isPrimitiveOrNullish, nonNullableParts } from '../type-queries';
import { isNullishLiteral } from '../syntax';
import { statement, type VisitorEntries } from '../visitor-entries';

interface CaseGroup {
  tests: ts.Expression[];
  isDefault: boolean;
  statements: readonly ts.Statement[];
  clause: ts.CaseOrDefaultClause;
}

function terminates(statements: readonly ts.Statement[]): boolean {
  const last = statements[statements.length - 1];
  if (last === undefined) return false;
  if (ts.isBlock(last)) return terminates(last.statements);
  return (
    ts.isBreakStatement(last) || ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isContinueStatement(last)
  );
}

function withoutTrailingBreak(statements: readonly ts.Statement[]): readonly ts.Statement[] {
  const last = statements[statements.length - 1];
  if (last !== undefined && ts.isBreakStatement(last) && last.label === undefined) return statements.slice(0, -1);
  if (last !== undefined && ts.isBlock(last) && statements.length === 1) return withoutTrailingBreak(last.statements);
  return statements;
}

function switchStatement(ctx: Context, node: ts.SwitchStatement): py.Stmt[] {
  const groups: CaseGroup[] = [];
  let pending: ts.Expression[] = [];
  let pendingDefault = false;
  const clauses = node.caseBlock.clauses;
  clauses.forEach((clause, i) => {
    if (ts.isCaseClause(clause)) pending.push(clause.expression);
    else pendingDefault = true;
    const isLast = i === clauses.length - 1;
    if (clause.statements.length > 0 || isLast) {
      if (!isLast && !terminates(clause.statements)) {
        ctx.report(
          diagnostics.unsupportedSyntax(
            clause,
            'a case that falls through into the next one',
            'End each case with break, return, throw or continue',
          ),
        );
      }
      groups.push({ tests: pending, isDefault: pendingDefault, statements: clause.statements, clause });
      pending = [];
      pendingDefault = false;
    }
  });
  const discriminantType = ctx.typeOf(node.expression);
  const identity = nonNullableParts(discriminantType).some((t) => isBytesType(t) || ctx.checker.isTupleType(t));
  if (identity && node.caseBlock.clauses.some((c) => ts.isCaseClause(c) && !isNullishLiteral(c.expression))) {
    ctx.report(
      diagnostics.valueIdentity(
        node.expression,
        nonNullableParts(discriminantType).some(isBytesType) ? 'Bytes' : 'tuples',
      ),
    );
    return [];
  }
  const { first, again } = ctx.once(ctx.expr(node.expression));
  let usedFirst = false;
  const subject = (): py.Expr => {
    if (usedFirst) return again;
    usedFirst = true;
    return first;
  };
  const test = (expression: ts.Expression): py.Expr => {
    if (isNullishLiteral(expression)) return py.compare(subject(), 'is', py.none());
    const primitive = isPrimitiveOrNullish(discriminantType) && isPrimitiveOrNullish(ctx.typeOf(expression));
    return py.compare(subject(), primitive ? '==' : 'is', ctx.expr(expression));
  };
  const translateBody = (group: CaseGroup): py.Stmt[] => {
    ctx.breakables.push({ kind: 'switch', node, continuePrefix: [] });
    try {
      return ctx.block(withoutTrailingBreak(group.statements));
    } finally {
      ctx.breakables.pop();
    }
  };
  const conditional = groups.filter((g) => !g.isDefault && g.tests.length > 0);
  const fallback = groups.find((g) => g.isDefault);
  let orelse: py.Stmt[] = fallback === undefined ? [] : translateBody(fallback);
  // Build the chain front to back so the discriminant's first use (the binding) is in the first test.
  const tests = conditional.map((g) => {
    const parts = g.tests.map(test);
    return parts.length === 1 ? parts[0]! : ({ kind: 'BoolOp', op: 'or', values: parts } as py.Expr);
  });
  const bodies = conditional.map(translateBody);
  for (let i = conditional.length - 1; i >= 0; i--) {
    orelse = [py.ifStmt(tests[i]!, bodies[i]!, orelse)];
  }
  if (conditional.length === 0 && first !== again) {
    // Only a default: still evaluate the discriminant (it may have effects).
    orelse.unshift(py.exprStmt(first));
  }
  return orelse;
}

export const switchVisitors: VisitorEntries = {
  statements: [
    [ts.SyntaxKind.SwitchStatement, statement<ts.SwitchStatement>((node, ctx) => switchStatement(ctx, node))],
  ],
};
