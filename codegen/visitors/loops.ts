// Loops: for-of -> for (Maps iterate .items()), classic for -> `for i in range(...)` when provably the same, else a
// while loop whose `continue` runs the incrementor first; while; do-while -> `while True` + a break test that
// `continue` also runs; break/continue (a break inside a switch case body is refused: it would break the loop).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isMapType } from '../type-queries';
import { integerLiteralValue, skipOuterExpressions } from '../syntax';
import { target as assignmentTarget } from '../translation/assignment';
import { body } from './control';
import { destructure, simpleTupleTarget } from '../translation/destructure';
import { expressionAsStatement } from './expression-statement';
import { statement, type VisitorEntries } from '../visitor-entries';
import { condition, negatedTest } from '../translation/truthiness';
import { variableDeclaration } from './variable';

const K = ts.SyntaxKind;

function loopBody(ctx: Context, node: ts.Node, continuePrefix: py.Stmt[], statementNode: ts.Statement): py.Stmt[] {
  ctx.breakables.push({ kind: 'loop', node, continuePrefix });
  try {
    return body(ctx, statementNode);
  } finally {
    ctx.breakables.pop();
  }
}

/** `for (const c of codePoints(s))` iterates `s` itself: a Python str iterates its code points, no list needed. */
function codePointsArgument(ctx: Context, iterable: ts.Expression): py.Expr | null {
  const call = skipOuterExpressions(iterable);
  if (!ts.isCallExpression(call) || !ts.isIdentifier(call.expression) || call.arguments.length !== 1) return null;
  const argument = call.arguments[0]!;
  if (ts.isSpreadElement(argument) || ctx.inlinePortFunction(call.expression)?.name !== 'code_points') return null;
  return ctx.expr(argument);
}

function forOf(ctx: Context, node: ts.ForOfStatement): py.Stmt[] {
  const iterType = ctx.checker.getNonNullableType(ctx.typeOf(node.expression));
  let iter = codePointsArgument(ctx, node.expression) ?? ctx.expr(node.expression);
  if (isMapType(iterType)) iter = py.call(py.attr(iter, 'items'));
  const prologue: py.Stmt[] = [];
  let target: py.Expr;
  const init = node.initializer;
  if (ts.isVariableDeclarationList(init)) {
    const declaration = init.declarations[0]!;
    if (ts.isIdentifier(declaration.name)) {
      const name = localBindingName(declaration.name.text, declaration);
      ctx.declareBinding(name, declaration.name.text, declaration);
      target = py.name(name);
    } else {
      const elementType = iteratedElementType(ctx, iterType, declaration);
      const mapPair =
        isMapType(iterType) &&
        ts.isArrayBindingPattern(declaration.name) &&
        declaration.name.elements.length <= 2 &&
        declaration.name.elements.every(
          (e) =>
            ts.isBindingElement(e) &&
            ts.isIdentifier(e.name) &&
            e.initializer === undefined &&
            e.dotDotDotToken === undefined,
        );
      const simple = mapPair
        ? mapEntryTarget(ctx, declaration.name as ts.ArrayBindingPattern)
        : simpleTupleTarget(ctx, declaration.name, elementType);
      if (simple !== null) target = simple;
      else {
        const temp = ctx.fresh('e');
        target = py.name(temp);
        prologue.push(...destructure(ctx, declaration.name, py.name(temp), elementType));
      }
    }
  } else {
    target = assignmentTarget(ctx, init);
  }
  const loop = [...prologue, ...loopBody(ctx, node, [], node.statement)];
  return [delegation(target, iter, loop) ?? { kind: 'For', target, iter, body: loop }];
}

/**
 * `for (const x of it) yield x;` -> `yield from it`, when the loop body is that one `yield` of the loop's own name
 * and nothing else (no comment either). The emitted generator is an `Iterator[T]`: it is iterated (and closed), never
 * sent to (a `yield` used as a value is refused, PY1030), and there both forms take each item from `iter(it)` and
 * yield it, end when it is exhausted, and close it when the generator is closed (JavaScript's for-of closes the
 * iterator too; `yield from` does it explicitly, the for loop by dropping it).
 */
function delegation(target: py.Expr, iter: py.Expr, loop: py.Stmt[]): py.Stmt | null {
  if (target.kind !== 'Name' || loop.length !== 1) return null;
  const only = loop[0]!;
  if (only.kind !== 'ExprStmt' || only.trailing !== undefined || only.value.kind !== 'Yield') return null;
  const value = only.value.value;
  if (value?.kind !== 'Name' || value.id !== target.id) return null;
  return { kind: 'ExprStmt', value: { kind: 'YieldFrom', value: iter } };
}

/** The type of one iterated element (arrays: the element type; other iterables: what the pattern receives). */
function iteratedElementType(ctx: Context, iterType: ts.Type, declaration: ts.VariableDeclaration): ts.Type {
  if (ctx.checker.isArrayType(iterType)) {
    const element = ctx.checker.getIndexTypeOfType(iterType, ts.IndexKind.Number);
    if (element !== undefined) return element;
  }
  return ctx.checker.getTypeAtLocation(declaration.name);
}

/** `for (const [k, v] of map)` -> `for k, v in map.items()` (`[k]` alone binds the key, `v` in `_k, v` style). */
function mapEntryTarget(ctx: Context, pattern: ts.ArrayBindingPattern): py.Expr {
  const names = pattern.elements.map((e) => {
    const element = e as ts.BindingElement;
    const identifier = element.name as ts.Identifier;
    const name = localBindingName(identifier.text, element);
    ctx.declareBinding(name, identifier.text, element);
    return py.name(name);
  });
  while (names.length < 2) names.push(py.name('_'));
  return py.tuple(names);
}

/** Whether `node` (a loop body) assigns `symbol` or mutates/calls methods on it. */
function touches(ctx: Context, root: ts.Node, symbol: ts.Symbol, methodsCount: boolean): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind >= K.FirstAssignment &&
      n.operatorToken.kind <= K.LastAssignment
    ) {
      const left = n.left;
      if (ts.isIdentifier(left) && ctx.checker.getSymbolAtLocation(left) === symbol) found = true;
    }
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      ts.isIdentifier(n.operand) &&
      ctx.checker.getSymbolAtLocation(n.operand) === symbol
    ) {
      if (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken) found = true;
    }
    if (
      methodsCount &&
      ts.isPropertyAccessExpression(n) &&
      ts.isIdentifier(n.expression) &&
      ctx.checker.getSymbolAtLocation(n.expression) === symbol &&
      n.name.text !== 'length'
    ) {
      found = true;
    }
    if (
      methodsCount &&
      ts.isCallExpression(n) &&
      n.arguments.some((a) => ts.isIdentifier(a) && ctx.checker.getSymbolAtLocation(a) === symbol)
    )
      found = true;
    ts.forEachChild(n, visit);
  };
  visit(root);
  return found;
}

/** `for (let i = a; i < b; i++)` -> `range(a, b)` when the body cannot change `i` or `b`. */
function rangeForm(ctx: Context, node: ts.ForStatement): py.Stmt[] | null {
  const init = node.initializer;
  if (init === undefined || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return null;
  const declaration = init.declarations[0]!;
  if (!ts.isIdentifier(declaration.name) || declaration.initializer === undefined) return null;
  const indexSymbol = ctx.checker.getSymbolAtLocation(declaration.name);
  if (indexSymbol === undefined) return null;
  const cond = node.condition;
  if (
    cond === undefined ||
    !ts.isBinaryExpression(cond) ||
    !ts.isIdentifier(cond.left) ||
    ctx.checker.getSymbolAtLocation(cond.left) !== indexSymbol
  )
    return null;
  const inclusive = cond.operatorToken.kind === K.LessThanEqualsToken;
  if (cond.operatorToken.kind !== K.LessThanToken && !inclusive) return null;
  const inc = node.incrementor;
  const isIncrement =
    inc !== undefined &&
    (((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) &&
      inc.operator === K.PlusPlusToken &&
      ts.isIdentifier(inc.operand) &&
      ctx.checker.getSymbolAtLocation(inc.operand) === indexSymbol) ||
      (ts.isBinaryExpression(inc) &&
        inc.operatorToken.kind === K.PlusEqualsToken &&
        ts.isIdentifier(inc.left) &&
        ctx.checker.getSymbolAtLocation(inc.left) === indexSymbol &&
        ts.isNumericLiteral(inc.right) &&
        inc.right.text === '1'));
  if (!isIncrement) return null;
  if (touches(ctx, node.statement, indexSymbol, false)) return null;
  // The bound is re-evaluated each iteration in JS: it must be a literal, or names / `.length` the body leaves alone.
  let arraySymbol: ts.Symbol | undefined;
  const end = cond.right;
  const invariant = (e: ts.Expression): boolean => {
    if (ts.isNumericLiteral(e)) return true;
    if (ts.isIdentifier(e)) {
      const s = ctx.checker.getSymbolAtLocation(e);
      return s !== undefined && !touches(ctx, node.statement, s, false);
    }
    if (
      ts.isPropertyAccessExpression(e) &&
      e.name.text === 'length' &&
      ts.isIdentifier(e.expression) &&
      ctx.checker.isArrayType(ctx.checker.getNonNullableType(ctx.typeOf(e.expression)))
    ) {
      const s = ctx.checker.getSymbolAtLocation(e.expression);
      if (s === undefined || touches(ctx, node.statement, s, true)) return false;
      arraySymbol = s;
      return true;
    }
    if (ts.isBinaryExpression(e) && (e.operatorToken.kind === K.PlusToken || e.operatorToken.kind === K.MinusToken))
      return invariant(e.left) && invariant(e.right);
    if (ts.isParenthesizedExpression(e)) return invariant(e.expression);
    return false;
  };
  if (!invariant(end)) return null;
  const name = localBindingName(declaration.name.text, declaration);
  ctx.declareBinding(name, declaration.name.text, declaration);
  const start = ctx.expr(declaration.initializer);
  let stop = ctx.expr(end);
  if (inclusive) stop = py.binop(stop, '+', py.int(1));
  const isZero = start.kind === 'Constant' && start.value === 0n;
  const args = isZero ? [stop] : [start, stop];
  const iter = py.call(py.name('range'), args);
  const bound = skipOuterExpressions(end);
  // `i` indexes `a` only when the bound is `a.length`, or `a.length - k` (k a non-negative integer literal):
  // `a.length + 1` would reach past the end.
  const shortened =
    ts.isBinaryExpression(bound) &&
    bound.operatorToken.kind === K.MinusToken &&
    ts.isPropertyAccessExpression(skipOuterExpressions(bound.left)) &&
    (integerLiteralValue(bound.right) ?? -1n) >= 0n;
  if (arraySymbol !== undefined && isZero && !inclusive && (ts.isPropertyAccessExpression(bound) || shortened))
    ctx.rangeIndexes.set(indexSymbol, arraySymbol);
  if (arraySymbol !== undefined && isZero && !inclusive && ts.isPropertyAccessExpression(bound)) {
    const element = elementLoop(ctx, node, { index: indexSymbol, array: arraySymbol }, ctx.expr(bound.expression), {
      name,
      iter,
    });
    if (element !== null) return [element];
  }
  const loop = loopBody(ctx, node, [], node.statement);
  return [{ kind: 'For', target: py.name(name), iter, body: loop }];
}

/** `xs[i]` (or `xs[i]!`, through parentheses) of the array and index symbols. */
function isElementRead(ctx: Context, e: ts.Expression, index: ts.Symbol, array: ts.Symbol): boolean {
  let inner = skipOuterExpressions(e);
  while (ts.isNonNullExpression(inner)) inner = skipOuterExpressions(inner.expression);
  return (
    ts.isElementAccessExpression(inner) &&
    inner.questionDotToken === undefined &&
    ts.isIdentifier(inner.expression) &&
    ctx.checker.getSymbolAtLocation(inner.expression) === array &&
    ts.isIdentifier(inner.argumentExpression) &&
    ctx.checker.getSymbolAtLocation(inner.argumentExpression) === index
  );
}

/** The identifiers of `root` that refer to `symbol`, except inside `skip`. */
function referencesOf(ctx: Context, root: ts.Node, symbol: ts.Symbol, skip: ts.Node): ts.Identifier[] {
  const out: ts.Identifier[] = [];
  const visit = (n: ts.Node): void => {
    if (n === skip) return;
    if (ts.isIdentifier(n) && ctx.checker.getSymbolAtLocation(n) === symbol) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(root);
  return out;
}

/**
 * `for (let i = 0; i < xs.length; i++) { const x = xs[i]; ... }` -> `for x in xs:` (`for i, x in enumerate(xs):`
 * when the body uses `i` too), when the body names `xs` nowhere else but in `xs.length`. The range form already
 * requires the body to leave `xs` alone (no assignment, no method call, not passed anywhere), and a list iterator
 * reads the element at the next index while that index is below the list's length at that moment: the JavaScript
 * loop's own test and read, at the same point (the first statement). Null otherwise (the range form stays).
 */
function elementLoop(
  ctx: Context,
  node: ts.ForStatement,
  { index, array }: { index: ts.Symbol; array: ts.Symbol },
  arrayExpr: py.Expr,
  range: { name: string; iter: py.Expr },
): py.For | null {
  const block = node.statement;
  if (!ts.isBlock(block)) return null;
  const first = block.statements[0];
  if (first === undefined || !ts.isVariableStatement(first)) return null;
  const list = first.declarationList;
  if ((list.flags & ts.NodeFlags.Const) === 0 || list.declarations.length !== 1) return null;
  const declaration = list.declarations[0]!;
  if (
    !ts.isIdentifier(declaration.name) ||
    declaration.type !== undefined ||
    declaration.initializer === undefined ||
    !isElementRead(ctx, declaration.initializer, index, array)
  )
    return null;
  const arrayElsewhere = referencesOf(ctx, block, array, declaration.initializer);
  if (arrayElsewhere.some((r) => !(ts.isPropertyAccessExpression(r.parent) && r.parent.name.text === 'length')))
    return null;
  const usesIndex = referencesOf(ctx, block, index, declaration.initializer).length > 0;
  ctx.breakables.push({ kind: 'loop', node, continuePrefix: [] });
  let firstOut: py.Stmt[];
  let rest: py.Stmt[];
  try {
    firstOut = ctx.stmt(first);
    rest = ctx.block(block.statements, 1);
  } finally {
    ctx.breakables.pop();
  }
  const assign = firstOut[firstOut.length - 1];
  const comments = firstOut.slice(0, -1);
  if (
    assign?.kind !== 'Assign' ||
    assign.trailing !== undefined ||
    assign.target.kind !== 'Name' ||
    comments.some((c) => c.kind !== 'Comment')
  ) {
    // Not the plain `x = xs[i]` expected: the range loop, with the statements already translated.
    return { kind: 'For', target: py.name(range.name), iter: range.iter, body: [...firstOut, ...rest] };
  }
  const target = usesIndex ? py.tuple([py.name(range.name), assign.target]) : assign.target;
  const iter = usesIndex ? py.call(py.name('enumerate'), [arrayExpr]) : arrayExpr;
  const body = [...comments, ...rest];
  return { kind: 'For', target, iter, body: body.length > 0 ? body : [py.pass()] };
}

function forStatement(ctx: Context, node: ts.ForStatement): py.Stmt[] {
  const range = rangeForm(ctx, node);
  if (range !== null) return range;
  const out: py.Stmt[] = [];
  const init = node.initializer;
  if (init !== undefined) {
    if (ts.isVariableDeclarationList(init)) {
      if ((init.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0) ctx.report(diagnostics.varDeclaration(init));
      for (const d of init.declarations) out.push(...variableDeclaration(ctx, d, false));
    } else {
      out.push(...expressionAsStatement(ctx, init));
    }
  }
  const incrementor = node.incrementor === undefined ? [] : incrementorStatements(ctx, node.incrementor);
  const test = node.condition === undefined ? py.bool(true) : condition(ctx, node.condition, { test: true });
  const loop = loopBody(ctx, node, incrementor, node.statement);
  out.push({ kind: 'While', test, body: [...loop, ...incrementor] });
  return out;
}

function incrementorStatements(ctx: Context, node: ts.Expression): py.Stmt[] {
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === K.CommaToken) {
    return [...incrementorStatements(ctx, node.left), ...incrementorStatements(ctx, node.right)];
  }
  return expressionAsStatement(ctx, node);
}

function doStatement(ctx: Context, node: ts.DoStatement): py.Stmt[] {
  const exit = py.ifStmt(negatedTest(condition(ctx, node.expression, { test: true })), [{ kind: 'Break' }]);
  const loop = loopBody(ctx, node, [exit], node.statement);
  return [{ kind: 'While', test: py.bool(true), body: [...loop, exit] }];
}

function breakStatement(ctx: Context, node: ts.BreakStatement): py.Stmt[] {
  if (node.label !== undefined) {
    ctx.report(diagnostics.labeledStatement(node));
    return [];
  }
  const frame = ctx.breakables[ctx.breakables.length - 1];
  if (frame?.kind === 'switch') {
    ctx.report(diagnostics.switchBreak(node));
    return [];
  }
  return [{ kind: 'Break' }];
}

function continueStatement(ctx: Context, node: ts.ContinueStatement): py.Stmt[] {
  if (node.label !== undefined) {
    ctx.report(diagnostics.labeledStatement(node));
    return [];
  }
  for (let i = ctx.breakables.length - 1; i >= 0; i--) {
    const frame = ctx.breakables[i]!;
    if (frame.kind === 'loop') return [...frame.continuePrefix, { kind: 'Continue' }];
  }
  return [{ kind: 'Continue' }];
}

export const loopVisitors: VisitorEntries = {
  statements: [
    [K.ForOfStatement, statement<ts.ForOfStatement>((node, ctx) => forOf(ctx, node))],
    [K.ForStatement, statement<ts.ForStatement>((node, ctx) => forStatement(ctx, node))],
    [
      K.WhileStatement,
      statement<ts.WhileStatement>((node, ctx) => [
        {
          kind: 'While',
          test: condition(ctx, node.expression, { test: true }),
          body: loopBody(ctx, node, [], node.statement),
        },
      ]),
    ],
    [K.DoStatement, statement<ts.DoStatement>((node, ctx) => doStatement(ctx, node))],
    [K.BreakStatement, statement<ts.BreakStatement>((node, ctx) => breakStatement(ctx, node))],
    [K.ContinueStatement, statement<ts.ContinueStatement>((node, ctx) => continueStatement(ctx, node))],
  ],
};
