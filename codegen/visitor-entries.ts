// How a visitor file declares what it handles: each file exports entries `[SyntaxKind, visitor]`, and
// visitors/index.ts gathers them into the table. Adding a construct is adding a file and one line there.
import type { ts } from 'ts-morph';
import type { Context, ExprOptions, ExpressionVisitor, StatementVisitor } from './context';
import type * as py from './python-ast';

export interface VisitorEntries {
  expressions?: Array<[ts.SyntaxKind, ExpressionVisitor]>;
  statements?: Array<[ts.SyntaxKind, StatementVisitor]>;
}

/** Typed registration: the table guarantees the node kind, so the visitor receives its node type. */
export function expression<N extends ts.Node>(
  visit: (node: N, ctx: Context, options: ExprOptions) => py.Expr,
): ExpressionVisitor {
  return visit as unknown as ExpressionVisitor;
}

export function statement<N extends ts.Node>(visit: (node: N, ctx: Context) => py.Stmt[]): StatementVisitor {
  return visit as unknown as StatementVisitor;
}
