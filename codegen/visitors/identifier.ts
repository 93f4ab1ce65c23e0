// Identifiers: locals and imports by their Python name, `undefined` -> None, lib globals through the builtins.
import { ts } from 'ts-morph';
import { globalValue, isGlobalName } from '../builtins';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { hintForType } from '../hints';
import { includesNullish, isBooleanType, isLiteralUnion } from '../type-queries';
import { expression, type VisitorEntries } from '../visitor-entries';

export function identifierExpr(ctx: Context, node: ts.Identifier): py.Expr {
  if (node.text === 'undefined') return py.none();
  const symbol = ctx.checker.getSymbolAtLocation(node);
  if (
    node.text === 'arguments' &&
    (symbol === undefined || (symbol.getDeclarations() ?? []).length === 0 || isGlobalName(ctx, node))
  ) {
    return ctx.report(diagnostics.argumentsObject(node));
  }
  if (symbol === undefined) {
    if (node.text === 'arguments') return ctx.report(diagnostics.argumentsObject(node));
    return ctx.report(diagnostics.unsupportedSyntax(node, `the unresolved name \`${node.text}\``));
  }
  if (isGlobalName(ctx, node)) {
    const value = globalValue(node.text);
    if (value !== undefined) return value(ctx, node);
    if (node.text === 'Symbol') return ctx.report(diagnostics.symbol(node));
    if (node.text === 'eval' || node.text === 'Function') return ctx.report(diagnostics.evalCall(node, node.text));
    return ctx.report(
      diagnostics.unsupportedBuiltin(
        node,
        node.text,
        'is not mapped to Python',
        'See docs/emitter.md for the mapped builtins',
      ),
    );
  }
  return narrowedReference(ctx, node, symbol, ctx.pythonNameOf(symbol, node));
}

function pythonScopeNode(node: ts.Node): ts.Node {
  for (let p = node.parent; p !== undefined; p = p.parent) {
    if (ts.isFunctionLike(p) || ts.isSourceFile(p)) return p;
  }
  return node.getSourceFile();
}

/**
 * TypeScript narrows where mypy does not: a captured variable inside a closure (mypy forgets narrowing there), and
 * `x === 'a'` narrowing a string to a literal. Where the narrowed type matters, the reference gets a `cast`.
 */
export function narrowedReference(ctx: Context, node: ts.Identifier, symbol: ts.Symbol, value: py.Expr): py.Expr {
  if (value.kind !== 'Name') return value;
  const declaration = symbol.valueDeclaration;
  if (
    declaration === undefined ||
    !(ts.isVariableDeclaration(declaration) || ts.isParameter(declaration) || ts.isBindingElement(declaration))
  )
    return value;
  const declared = ctx.checker.getTypeOfSymbol(symbol);
  const narrowed = ctx.typeOf(node);
  if (narrowed === declared) return value;
  const scope = ctx.functionScope;
  const captured = scope.kind !== 'module' && pythonScopeNode(declaration) !== scope.node;
  let needed = captured && includesNullish(declared) && !includesNullish(narrowed);
  if (!needed) {
    const contextual = ctx.checker.getContextualType(node);
    // `boolean` is the union `true | false` to TypeScript, but plain `bool` to mypy, which narrows isinstance itself.
    needed =
      contextual !== undefined &&
      isLiteralUnion(contextual) &&
      isLiteralUnion(narrowed) &&
      !isLiteralUnion(declared) &&
      !isBooleanType(narrowed);
  }
  if (!needed) return value;
  return py.call(py.name(ctx.typing('cast')), [py.str(hintForType(ctx, narrowed, node)), value]);
}

export const identifierVisitors: VisitorEntries = {
  expressions: [[ts.SyntaxKind.Identifier, expression<ts.Identifier>((node, ctx) => identifierExpr(ctx, node))]],
};
