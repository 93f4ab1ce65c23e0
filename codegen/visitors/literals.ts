// Literals: strings (exact code points; lone surrogates refused), integers (within 2^53), floats (only where a
// `Float` is expected), booleans, null. Regular expressions and bigints are refused.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { expression, type VisitorEntries } from '../visitor-entries';

export function hasLoneSurrogate(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) return true;
  }
  return false;
}

export function stringExpr(ctx: Context, node: ts.Node, text: string): py.Expr {
  if (hasLoneSurrogate(text)) return ctx.report(diagnostics.loneSurrogate(node));
  return py.str(text);
}

const FLOAT_ANNOTATION = /\bFloat\b/;

/** Whether a float literal lands in a place typed `Float` (a declaration, parameter or return annotation). */
function inFloatContext(ctx: Context, node: ts.Node): boolean {
  let current: ts.Node = node;
  for (let parent = node.parent; parent !== undefined; current = parent, parent = parent.parent) {
    if (
      ts.isParenthesizedExpression(parent) ||
      ts.isPrefixUnaryExpression(parent) ||
      ts.isBinaryExpression(parent) ||
      ts.isConditionalExpression(parent)
    )
      continue;
    if (
      (ts.isVariableDeclaration(parent) ||
        ts.isParameter(parent) ||
        ts.isPropertyDeclaration(parent) ||
        ts.isPropertySignature(parent)) &&
      parent.type !== undefined
    ) {
      return FLOAT_ANNOTATION.test(parent.type.getText());
    }
    if (ts.isPropertyAssignment(parent)) {
      const symbol = ctx.checker.getContextualType(parent.parent)?.getProperty(parent.name.getText());
      const declaration = symbol?.getDeclarations()?.[0];
      return (
        declaration !== undefined &&
        (ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration)) &&
        declaration.type !== undefined &&
        FLOAT_ANNOTATION.test(declaration.type.getText())
      );
    }
    if (ts.isReturnStatement(parent) || ts.isArrowFunction(parent)) {
      const fn = ts.findAncestor(parent, ts.isFunctionLike);
      return fn !== undefined && fn.type !== undefined && FLOAT_ANNOTATION.test(fn.type.getText());
    }
    if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
      const index = (parent.arguments ?? ts.factory.createNodeArray()).indexOf(current as ts.Expression);
      const declaration = ctx.checker.getResolvedSignature(parent)?.getDeclaration();
      const parameter =
        declaration !== undefined && ts.isFunctionLike(declaration) ? declaration.parameters[index] : undefined;
      return parameter?.type !== undefined && FLOAT_ANNOTATION.test(parameter.type.getText());
    }
    return false;
  }
  return false;
}

function numericExpr(ctx: Context, node: ts.NumericLiteral): py.Expr {
  const text = node.getText();
  const clean = text.replace(/_/g, '');
  const isRadix = /^0[xXoObB]/.test(clean);
  if (!isRadix && /[.eE]/.test(clean)) {
    const value = Number(clean);
    if (
      Number.isInteger(value) &&
      !inFloatContext(ctx, node) &&
      Math.abs(value) <= Number.MAX_SAFE_INTEGER &&
      !/\./.test(clean)
    ) {
      return py.int(BigInt(value));
    }
    if (!inFloatContext(ctx, node)) return ctx.report(diagnostics.floatForInt(node, text));
    return { kind: 'Constant', value: { float: value } };
  }
  const value = BigInt(clean);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return ctx.report(diagnostics.unsafeInteger(node, text));
  if (inFloatContext(ctx, node)) return { kind: 'Constant', value: { float: Number(value) } };
  return { kind: 'Constant', value, hex: /^0[xX]/.test(clean) };
}

export const literalVisitors: VisitorEntries = {
  expressions: [
    [ts.SyntaxKind.StringLiteral, expression<ts.StringLiteral>((node, ctx) => stringExpr(ctx, node, node.text))],
    [
      ts.SyntaxKind.NoSubstitutionTemplateLiteral,
      expression<ts.NoSubstitutionTemplateLiteral>((node, ctx) => stringExpr(ctx, node, node.text)),
    ],
    [ts.SyntaxKind.NumericLiteral, expression<ts.NumericLiteral>((node, ctx) => numericExpr(ctx, node))],
    [ts.SyntaxKind.TrueKeyword, expression(() => py.bool(true))],
    [ts.SyntaxKind.FalseKeyword, expression(() => py.bool(false))],
    [ts.SyntaxKind.NullKeyword, expression(() => py.none())],
    [ts.SyntaxKind.RegularExpressionLiteral, expression((node, ctx) => ctx.report(diagnostics.regex(node)))],
    [
      ts.SyntaxKind.BigIntLiteral,
      expression((node, ctx) =>
        ctx.report(diagnostics.unsupportedSyntax(node, 'a bigint literal', 'Use number (a Python int)')),
      ),
    ],
  ],
};
