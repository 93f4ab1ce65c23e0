// Identifiers: locals and imports by their Python name, `undefined` -> None, lib globals through the builtins.
import { ts } from 'ts-morph';
import { globalValue, isGlobalName } from '../builtins';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { expression, type VisitorEntries } from './registry';

export function identifierExpr(ctx: Context, node: ts.Identifier): py.Expr {
  if (node.text === 'undefined') return py.none();
  if (node.text === 'arguments' && isGlobalName(ctx, node)) return ctx.report(diagnostics.argumentsObject(node));
  const symbol = ctx.checker.getSymbolAtLocation(node);
  if (symbol === undefined) {
    if (node.text === 'arguments') return ctx.report(diagnostics.argumentsObject(node));
    return ctx.report(diagnostics.unsupportedSyntax(node, `the unresolved name \`${node.text}\``));
  }
  if (isGlobalName(ctx, node)) {
    const value = globalValue(node.text);
    if (value !== undefined) return value(ctx, node);
    if (node.text === 'Symbol') return ctx.report(diagnostics.symbol(node));
    if (node.text === 'eval' || node.text === 'Function') return ctx.report(diagnostics.evalCall(node, node.text));
    return ctx.report(diagnostics.unsupportedBuiltin(node, node.text, 'is not mapped to Python', 'See docs/emitter.md for the mapped builtins'));
  }
  return ctx.pythonNameOf(symbol, node);
}

export const identifierVisitors: VisitorEntries = {
  expressions: [[ts.SyntaxKind.Identifier, expression<ts.Identifier>((node, ctx) => identifierExpr(ctx, node))]],
};
