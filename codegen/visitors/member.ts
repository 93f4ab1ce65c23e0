// `a.b`, `a[i]`, `f(x)`, `new C(x)` and optional chains `a?.b.c()`: every link of a chain is translated by the
// same functions as the plain forms (translation/access.ts); `?.` only adds `None if t is None else ...`, with the
// receiver evaluated once.
import { ts } from 'ts-morph';
import { globalConstructor, isGlobalName, isNamespace } from '../builtins';
import { REFUSED, type Context, type ExprOptions } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import {
  translateArguments,
  translateCall,
  translateCallExpr,
  translateElementAccess,
  translatePropertyAccess,
} from '../translation/access';
import { expression, type VisitorEntries } from '../visitor-entries';

type ChainLink = ts.PropertyAccessExpression | ts.ElementAccessExpression | ts.CallExpression | ts.NonNullExpression;

function hasQuestionDot(link: ChainLink): boolean {
  return !ts.isNonNullExpression(link) && link.questionDotToken !== undefined;
}

export function translateOptionalChain(ctx: Context, outermost: ChainLink, options: ExprOptions): py.Expr {
  const links: ChainLink[] = [];
  let current: ts.Expression = outermost;
  for (;;) {
    const link = current as ChainLink;
    links.unshift(link);
    const next = link.expression;
    if (ts.isOptionalChain(next) || (ts.isNonNullExpression(next) && ts.isOptionalChain(next.expression))) {
      current = next;
      continue;
    }
    break;
  }
  const base = ctx.expr(links[0]!.expression);
  const apply = (value: py.Expr, i: number): py.Expr => {
    if (i === links.length) return value;
    const link = links[i]!;
    const isLast = i === links.length - 1;
    const asserted =
      (isLast && options.asserted === true) || (links[i + 1] !== undefined && ts.isNonNullExpression(links[i + 1]!));
    const step = (receiver: py.Expr): py.Expr => {
      if (ts.isNonNullExpression(link)) return apply(receiver, i + 1);
      if (ts.isPropertyAccessExpression(link)) {
        const next = links[i + 1];
        if (
          next !== undefined &&
          ts.isCallExpression(next) &&
          next.expression === link &&
          next.questionDotToken === undefined
        ) {
          const result = translateCall(ctx, next, { discarded: false, asserted }, receiver);
          const expr = 'kind' in result ? result : ctx.report(diagnostics.valueUsed(next, `${link.name.text}(...)`));
          return apply(expr, i + 2);
        }
        return apply(translatePropertyAccess(ctx, link, receiver, { asserted }), i + 1);
      }
      if (ts.isElementAccessExpression(link))
        return apply(translateElementAccess(ctx, link, receiver, { asserted }), i + 1);
      const { args, keywords } = translateArguments(ctx, link, link.arguments);
      return apply(py.call(receiver, args, keywords), i + 1);
    };
    if (hasQuestionDot(link)) {
      const { first, again } = ctx.once(value);
      return py.ifExp(py.compare(first, 'is', py.none()), py.none(), step(again));
    }
    return step(value);
  };
  return apply(base, 0);
}

function newExpr(ctx: Context, node: ts.NewExpression): py.Expr {
  const callee = node.expression;
  const args = node.arguments ?? [];
  if (ts.isIdentifier(callee) && isGlobalName(ctx, callee)) {
    const mapping = globalConstructor(callee.text);
    if (mapping === undefined) {
      return ctx.report(
        diagnostics.unsupportedBuiltin(
          node,
          `new ${callee.text}`,
          'is not mapped to Python',
          'See docs/emitter.md for the mapped builtins',
        ),
      );
    }
    const result = mapping({ ctx, node, args, discarded: false });
    return 'kind' in result ? result : ctx.report(diagnostics.valueUsed(node, `new ${callee.text}`));
  }
  const translated = translateArguments(ctx, node, args);
  return py.call(ctx.expr(callee), translated.args, translated.keywords);
}

/** `Math`, `Number`, ... as the receiver of `.member`: mapped as a whole, never translated on their own. */
function isNamespaceReceiver(ctx: Context, node: ts.Expression): boolean {
  return ts.isIdentifier(node) && isGlobalName(ctx, node) && isNamespace(node.text);
}

export const memberVisitors: VisitorEntries = {
  expressions: [
    [
      ts.SyntaxKind.PropertyAccessExpression,
      expression<ts.PropertyAccessExpression>((node, ctx, options) => {
        if (ts.isOptionalChain(node)) return translateOptionalChain(ctx, node, options);
        const receiver =
          node.expression.kind === ts.SyntaxKind.SuperKeyword
            ? py.call(py.name('super'))
            : isNamespaceReceiver(ctx, node.expression)
              ? REFUSED
              : ctx.expr(node.expression);
        return translatePropertyAccess(ctx, node, receiver, options);
      }),
    ],
    [
      ts.SyntaxKind.ElementAccessExpression,
      expression<ts.ElementAccessExpression>((node, ctx, options) => {
        if (ts.isOptionalChain(node)) return translateOptionalChain(ctx, node, options);
        return translateElementAccess(ctx, node, ctx.expr(node.expression), options);
      }),
    ],
    [
      ts.SyntaxKind.CallExpression,
      expression<ts.CallExpression>((node, ctx, options) => {
        if (ts.isOptionalChain(node)) return translateOptionalChain(ctx, node, options);
        return translateCallExpr(ctx, node, options);
      }),
    ],
    [ts.SyntaxKind.NewExpression, expression<ts.NewExpression>((node, ctx) => newExpr(ctx, node))],
  ],
};
