// if/else, blocks, return, throw, try/catch/finally, and the statements that have no Python meaning (refused).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { describeType, isErrorType } from '../type-queries';
import { skipOuterExpressions } from '../syntax';
import { statement, type VisitorEntries } from '../visitor-entries';
import { condition } from '../translation/truthiness';

export function body(ctx: Context, node: ts.Statement): py.Stmt[] {
  return ts.isBlock(node) ? ctx.block(node.statements) : ctx.stmt(node);
}

function ifStatement(ctx: Context, node: ts.IfStatement): py.Stmt[] {
  const test = condition(ctx, node.expression);
  const then = body(ctx, node.thenStatement);
  const orelse = node.elseStatement === undefined ? [] : body(ctx, node.elseStatement);
  return [py.ifStmt(test, then, orelse)];
}

/** The catch clause a `throw e` re-raises, when `e` is that clause's own variable. */
function rethrownCatch(ctx: Context, node: ts.ThrowStatement): boolean {
  const thrown = skipOuterExpressions(node.expression);
  if (!ts.isIdentifier(thrown)) return false;
  const symbol = ctx.checker.getSymbolAtLocation(thrown);
  const declaration = symbol?.valueDeclaration;
  if (declaration === undefined || !ts.isVariableDeclaration(declaration) || !ts.isCatchClause(declaration.parent)) return false;
  // Only directly inside that catch block (not in a nested function) is a bare `raise` the same exception.
  for (let p: ts.Node | undefined = node.parent; p !== undefined; p = p.parent) {
    if (p === declaration.parent) return true;
    if (ts.isFunctionLike(p)) return false;
  }
  return false;
}

function throwStatement(ctx: Context, node: ts.ThrowStatement): py.Stmt[] {
  if (rethrownCatch(ctx, node)) return [{ kind: 'Raise', exc: null }];
  const type = ctx.typeOf(node.expression);
  if (!isErrorType(ctx.checker, type)) {
    ctx.report(diagnostics.nonErrorThrow(node.expression, describeType(ctx.checker, type)));
    return [];
  }
  return [{ kind: 'Raise', exc: ctx.expr(node.expression) }];
}

function tryStatement(ctx: Context, node: ts.TryStatement): py.Stmt[] {
  const tryBody = ctx.block(node.tryBlock.statements);
  const handlers: py.ExceptHandler[] = [];
  if (node.catchClause !== undefined) {
    const declaration = node.catchClause.variableDeclaration;
    let name: string | null = null;
    if (declaration !== undefined) {
      if (!ts.isIdentifier(declaration.name)) {
        ctx.report(diagnostics.unsupportedSyntax(declaration, 'a destructured catch variable', 'Bind the error to a name'));
      } else {
        name = localBindingName(declaration.name.text, declaration);
        ctx.declareBinding(name, declaration.name.text, declaration);
      }
    }
    // JavaScript catches everything thrown; Exception is everything code raises (not KeyboardInterrupt/SystemExit).
    handlers.push({ type: py.name('Exception'), name, body: ctx.block(node.catchClause.block.statements) });
  }
  const finalbody = node.finallyBlock === undefined ? [] : ctx.block(node.finallyBlock.statements);
  if (node.finallyBlock !== undefined && finalbody.length === 0) finalbody.push(py.pass());
  return [{ kind: 'Try', body: tryBody, handlers, finalbody }];
}

function returnStatement(ctx: Context, node: ts.ReturnStatement): py.Stmt[] {
  if (node.expression === undefined) return [py.ret(null)];
  // `return fail(...)` where fail never returns: Python's NoReturn functions may not `return` a value.
  if ((ctx.typeOf(node.expression).flags & ts.TypeFlags.Never) !== 0) return [py.exprStmt(ctx.expr(node.expression))];
  return [py.ret(ctx.expr(node.expression))];
}

export const controlVisitors: VisitorEntries = {
  statements: [
    [ts.SyntaxKind.IfStatement, statement<ts.IfStatement>((node, ctx) => ifStatement(ctx, node))],
    [ts.SyntaxKind.Block, statement<ts.Block>((node, ctx) => ctx.block(node.statements))],
    [ts.SyntaxKind.ReturnStatement, statement<ts.ReturnStatement>((node, ctx) => returnStatement(ctx, node))],
    [ts.SyntaxKind.ThrowStatement, statement<ts.ThrowStatement>((node, ctx) => throwStatement(ctx, node))],
    [ts.SyntaxKind.TryStatement, statement<ts.TryStatement>((node, ctx) => tryStatement(ctx, node))],
    [ts.SyntaxKind.EmptyStatement, statement(() => [])],
    [ts.SyntaxKind.LabeledStatement, statement((node, ctx) => (ctx.report(diagnostics.labeledStatement(node)), []))],
    [ts.SyntaxKind.WithStatement, statement((node, ctx) => (ctx.report(diagnostics.withStatement(node)), []))],
    [ts.SyntaxKind.DebuggerStatement, statement((node, ctx) => (ctx.report(diagnostics.unsupportedSyntax(node, '`debugger`', 'Remove it')), []))],
    [ts.SyntaxKind.ForInStatement, statement((node, ctx) => (ctx.report(diagnostics.forIn(node)), []))],
  ],
};
