// Callbacks of array methods (map, filter, some, ...) become the element expression of a comprehension: an arrow
// with an expression body is inlined with its own parameter names; anything else is called with as many arguments
// as it declares (Python functions reject extra arguments, JavaScript ignores them).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import * as py from '../python-ast';
import { skipOuterExpressions } from '../syntax';

export interface Callback {
  /** Parameter names, as comprehension targets: [element, index]. */
  params: string[];
  body: py.Expr;
}

function inlineBody(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | null {
  if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) return fn.body;
  const body = fn.body;
  if (ts.isBlock(body) && body.statements.length === 1) {
    const only = body.statements[0]!;
    if (ts.isReturnStatement(only) && only.expression !== undefined) return only.expression;
  }
  return null;
}

/** The callback as parameters + body expression, taking at most `maxParams` arguments (element, index). */
export function translateCallback(ctx: Context, node: ts.Expression, maxParams: number): Callback {
  const fn = skipOuterExpressions(node);
  if (
    (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) &&
    fn.parameters.length <= maxParams &&
    fn.parameters.every((p) => ts.isIdentifier(p.name) && p.initializer === undefined && p.dotDotDotToken === undefined)
  ) {
    const body = inlineBody(fn);
    // A body that creates a closure over the element must not be inlined: comprehension variables are shared by
    // all iterations in Python, while each JavaScript callback call has its own parameters.
    if (body !== null && !fn.asteriskToken && !containsAwaitOrYield(body) && !containsFunction(body)) {
      const attempt = ctx.withPreamble(() => ctx.expr(body));
      // A body that hoisted a def cannot live inside a comprehension (the def would not see the element).
      if (attempt.hoisted.length === 0) {
        const params = fn.parameters.map((p) => localBindingName((p.name as ts.Identifier).text, p));
        return { params, body: attempt.value };
      }
    }
  }
  const callee = ctx.expr(node);
  const signature = ctx.checker.getSignaturesOfType(ctx.typeOf(node), ts.SignatureKind.Call)[0];
  const declared = signature === undefined ? 1 : signature.getParameters().length;
  const count = Math.max(1, Math.min(maxParams, declared));
  const params = ['e', 'i'].slice(0, count).map((p) => ctx.fresh(p));
  return {
    params,
    body: py.call(
      callee,
      params.map((p) => py.name(p)),
    ),
  };
}

function containsFunction(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isFunctionLike(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function containsAwaitOrYield(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isAwaitExpression(n) || ts.isYieldExpression(n)) found = true;
    else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** The comprehension target and iterable for a callback: `x in a`, or `i, x in enumerate(a)` when it uses the index. */
export function comprehensionSource(callback: Callback, iterable: py.Expr): { target: py.Expr; iter: py.Expr } {
  const [element, index] = callback.params;
  if (index !== undefined) {
    return { target: py.tuple([py.name(index), py.name(element!)]), iter: py.call(py.name('enumerate'), [iterable]) };
  }
  return { target: py.name(element ?? '_'), iter: iterable };
}
