// Expressions that vanish in Python: parentheses (the printer re-adds what precedence needs), `as`, `satisfies`,
// `<T>x`, `await` (the emitted code is synchronous), and `x!` (a cast for mypy where the value could be None).
import { ts } from 'ts-morph';
import type { Context, ExprOptions } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { hintForType, hintForTypeNode } from '../hints';
import { includesNullish, isRecordType } from '../type-queries';
import { skipOuterExpressions } from '../syntax';
import { translateOptionalChain } from './member';
import { expression, type VisitorEntries } from '../visitor-entries';

/** Whether translating `node` with `asserted` already yields a non-optional Python value (`a[i]`, `m[k]`, ...). */
function assertionConsumed(ctx: Context, node: ts.Expression): boolean {
  const inner = skipOuterExpressions(node);
  if (ts.isElementAccessExpression(inner)) {
    const type = ctx.checker.getNonNullableType(ctx.typeOf(inner.expression));
    return (
      ctx.checker.isArrayType(type) || isRecordType(ctx.checker, type) || type.getSymbol()?.getName() === 'Uint8Array'
    );
  }
  if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression)) {
    const method = inner.expression.name.text;
    const symbol = ctx.checker.getSymbolAtLocation(inner.expression.name);
    const fromLib = (symbol?.getDeclarations() ?? []).some((d) =>
      /node_modules\/typescript\/lib\//.test(d.getSourceFile().fileName),
    );
    return fromLib && ['get', 'pop', 'shift', 'find'].includes(method);
  }
  return false;
}

function nonNull(ctx: Context, node: ts.NonNullExpression): py.Expr {
  if (ts.isOptionalChain(node)) return translateOptionalChain(ctx, node, { asserted: true });
  const value = ctx.expr(node.expression, { asserted: true });
  const type = ctx.typeOf(node.expression);
  if (!includesNullish(type) || assertionConsumed(ctx, node.expression)) return value;
  const hint = hintForType(ctx, ctx.checker.getNonNullableType(type), node);
  return py.call(py.name(ctx.typing('cast')), [py.str(hint), value]);
}

/** `x as T`: nothing at run time; a `cast` for mypy unless the value's type is already assignable to T. */
function assertion(ctx: Context, node: ts.AsExpression | ts.TypeAssertion, options: ExprOptions): py.Expr {
  const value = ctx.expr(node.expression, options);
  if (ts.isTypeReferenceNode(node.type) && node.type.typeName.getText() === 'const') return value;
  const source = ctx.typeOf(node.expression);
  const target = ctx.typeOf(node);
  if (options.target === true || ctx.checker.isTypeAssignableTo(source, target)) return value;
  return py.call(py.name(ctx.typing('cast')), [py.str(hintForTypeNode(ctx, node.type)), value]);
}

export const wrapperVisitors: VisitorEntries = {
  expressions: [
    [
      ts.SyntaxKind.ParenthesizedExpression,
      expression<ts.ParenthesizedExpression>((node, ctx, options) => ctx.expr(node.expression, options)),
    ],
    [ts.SyntaxKind.AsExpression, expression<ts.AsExpression>((node, ctx, options) => assertion(ctx, node, options))],
    [
      ts.SyntaxKind.SatisfiesExpression,
      expression<ts.SatisfiesExpression>((node, ctx, options) => ctx.expr(node.expression, options)),
    ],
    [
      ts.SyntaxKind.TypeAssertionExpression,
      expression<ts.TypeAssertion>((node, ctx, options) => assertion(ctx, node, options)),
    ],
    [ts.SyntaxKind.NonNullExpression, expression<ts.NonNullExpression>((node, ctx) => nonNull(ctx, node))],
    [
      ts.SyntaxKind.AwaitExpression,
      expression<ts.AwaitExpression>((node, ctx, options) => ctx.expr(node.expression, options)),
    ],
    [
      ts.SyntaxKind.YieldExpression,
      expression<ts.YieldExpression>((node, ctx) => {
        if (!ts.isExpressionStatement(node.parent)) {
          return ctx.report(
            diagnostics.unsupportedSyntax(
              node,
              'the value of a `yield` expression (values sent into a generator)',
              'Use `yield` as a statement',
            ),
          );
        }
        if (node.asteriskToken !== undefined) return { kind: 'YieldFrom', value: ctx.expr(node.expression!) };
        return { kind: 'Yield', value: node.expression === undefined ? null : ctx.expr(node.expression) };
      }),
    ],
    [
      ts.SyntaxKind.ThisKeyword,
      expression((node, ctx) => {
        for (let p = node.parent; p !== undefined; p = p.parent) {
          if (ts.isArrowFunction(p)) continue;
          if (ts.isClassStaticBlockDeclaration(p)) break;
          if (
            ts.isMethodDeclaration(p) ||
            ts.isConstructorDeclaration(p) ||
            ts.isGetAccessorDeclaration(p) ||
            ts.isSetAccessorDeclaration(p) ||
            ts.isPropertyDeclaration(p)
          ) {
            const isStatic = (ts.getModifiers(p as ts.HasModifiers) ?? []).some(
              (m) => m.kind === ts.SyntaxKind.StaticKeyword,
            );
            if (isStatic) break;
            return py.name('self');
          }
          if (ts.isFunctionLike(p) || ts.isSourceFile(p)) break;
        }
        return ctx.report(diagnostics.thisOutsideClass(node));
      }),
    ],
    [
      ts.SyntaxKind.SpreadElement,
      expression((node, ctx) => ctx.report(diagnostics.unsupportedSyntax(node, 'a spread here'))),
    ],
    [
      ts.SyntaxKind.MetaProperty,
      expression((node, ctx) => ctx.report(diagnostics.unsupportedSyntax(node, '`new.target` / `import.meta`'))),
    ],
  ],
};
