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
  const test = condition(ctx, node.expression, { test: true });
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
  if (declaration === undefined || !ts.isVariableDeclaration(declaration) || !ts.isCatchClause(declaration.parent))
    return false;
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

/** Whether `statement` cannot complete normally: it returns, throws, breaks, continues or calls a `never` function. */
function endsAbruptly(ctx: Context, statement: ts.Statement): boolean {
  if (ts.isBlock(statement)) {
    const last = statement.statements[statement.statements.length - 1];
    return last !== undefined && endsAbruptly(ctx, last);
  }
  if (
    ts.isReturnStatement(statement) ||
    ts.isThrowStatement(statement) ||
    ts.isBreakStatement(statement) ||
    ts.isContinueStatement(statement)
  )
    return true;
  if (ts.isIfStatement(statement))
    return (
      statement.elseStatement !== undefined &&
      endsAbruptly(ctx, statement.thenStatement) &&
      endsAbruptly(ctx, statement.elseStatement)
    );
  if (ts.isExpressionStatement(statement)) {
    let call = skipOuterExpressions(statement.expression);
    if (ts.isAwaitExpression(call)) call = skipOuterExpressions(call.expression);
    // TypeScript refuses a `never` function whose end is reachable: such a call never returns.
    return ts.isCallExpression(call) && (ctx.typeOf(call).flags & ts.TypeFlags.Never) !== 0;
  }
  return false;
}

function isReferenceTo(ctx: Context, node: ts.Expression, symbol: ts.Symbol): boolean {
  const inner = skipOuterExpressions(node);
  return ts.isIdentifier(inner) && ctx.checker.getSymbolAtLocation(inner) === symbol;
}

/**
 * A catch body that is exactly `if (e instanceof X) { ... }` branches (`e instanceof X || e instanceof Y` tests
 * several classes; each branch ending in return/throw/break/continue or
 * a `never` call, so that none falls into the next) followed by `throw e`: the classes and bodies of Python except
 * clauses, which test the same classes in the same order and let everything else propagate. Null for other bodies.
 */
function instanceofBranches(
  ctx: Context,
  clause: ts.CatchClause,
): Array<{ classes: ts.Expression[]; body: ts.Statement }> | null {
  const declaration = clause.variableDeclaration;
  if (declaration === undefined || !ts.isIdentifier(declaration.name)) return null;
  const symbol = ctx.checker.getSymbolAtLocation(declaration.name);
  const statements = clause.block.statements;
  const last = statements[statements.length - 1];
  if (
    symbol === undefined ||
    statements.length < 2 ||
    last === undefined ||
    !ts.isThrowStatement(last) ||
    !isReferenceTo(ctx, last.expression, symbol)
  )
    return null;
  const branches: Array<{ classes: ts.Expression[]; body: ts.Statement }> = [];
  for (const statement of statements.slice(0, -1)) {
    if (!ts.isIfStatement(statement) || statement.elseStatement !== undefined) return null;
    const classes = instanceofClasses(ctx, statement.expression, symbol);
    if (classes === null || !endsAbruptly(ctx, statement.thenStatement)) return null;
    branches.push({ classes, body: statement.thenStatement });
  }
  return branches;
}

/** The classes of `e instanceof A` or `e instanceof A || e instanceof B || ...`, all Error classes; else null. */
function instanceofClasses(ctx: Context, expression: ts.Expression, symbol: ts.Symbol): ts.Expression[] | null {
  const test = skipOuterExpressions(expression);
  if (!ts.isBinaryExpression(test)) return null;
  if (test.operatorToken.kind === ts.SyntaxKind.BarBarToken) {
    const left = instanceofClasses(ctx, test.left, symbol);
    const right = instanceofClasses(ctx, test.right, symbol);
    return left === null || right === null ? null : [...left, ...right];
  }
  if (test.operatorToken.kind !== ts.SyntaxKind.InstanceOfKeyword || !isReferenceTo(ctx, test.left, symbol))
    return null;
  // `except` takes exception classes only (anything else is a TypeError when an exception arrives).
  const instance = ctx.typeOf(test.right).getConstructSignatures()[0]?.getReturnType();
  return instance !== undefined && isErrorType(ctx.checker, instance) ? [test.right] : null;
}

/** Whether `node` mentions the variable `symbol`. */
function mentions(ctx: Context, node: ts.Node, symbol: ts.Symbol | undefined): boolean {
  if (symbol === undefined) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && ctx.checker.getSymbolAtLocation(n) === symbol) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function tryStatement(ctx: Context, node: ts.TryStatement): py.Stmt[] {
  const tryBody = ctx.block(node.tryBlock.statements);
  const handlers: py.ExceptHandler[] = [];
  const clause = node.catchClause;
  if (clause !== undefined) {
    const declaration = clause.variableDeclaration;
    let name: string | null = null;
    if (declaration !== undefined) {
      if (!ts.isIdentifier(declaration.name)) {
        ctx.report(
          diagnostics.unsupportedSyntax(declaration, 'a destructured catch variable', 'Bind the error to a name'),
        );
      } else {
        name = localBindingName(declaration.name.text, declaration);
        ctx.declareBinding(name, declaration.name.text, declaration);
      }
    }
    const symbol = declaration === undefined ? undefined : ctx.checker.getSymbolAtLocation(declaration.name);
    // `as e` only where the clause uses the error.
    const bound = (body: ts.Node): string | null => (mentions(ctx, body, symbol) ? name : null);
    const branches = instanceofBranches(ctx, clause);
    if (branches !== null) {
      // `if (e instanceof X) ...; throw e;`: one except clause per class; other exceptions propagate as they are.
      for (const branch of branches) {
        const classes = branch.classes.map((c) => ctx.expr(c));
        handlers.push({
          type: classes.length === 1 ? classes[0]! : py.tuple(classes),
          name: bound(branch.body),
          body: body(ctx, branch.body),
        });
      }
    } else {
      // JavaScript catches everything thrown; Exception is everything code raises (not KeyboardInterrupt/SystemExit).
      handlers.push({
        type: py.name('Exception'),
        name: bound(clause.block),
        body: ctx.block(clause.block.statements),
      });
    }
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
    [
      ts.SyntaxKind.DebuggerStatement,
      statement((node, ctx) => (ctx.report(diagnostics.unsupportedSyntax(node, '`debugger`', 'Remove it')), [])),
    ],
    [ts.SyntaxKind.ForInStatement, statement((node, ctx) => (ctx.report(diagnostics.forIn(node)), []))],
  ],
};
