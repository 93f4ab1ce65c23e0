// Imports and re-exports: relative src/ imports -> `from .module import name`, port imports through the port map
// (codegen/ports.ts), `export { A } from './a'` -> `from .a import A` plus `__all__`.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { declarationName, localBindingName, portExportKind } from '../context';
import { diagnostics } from '../diagnostics';
import { portOf, resolvePortExport } from '../ports';
import type * as py from '../python-ast';
import { isPortFile } from '../type-queries';
import { statement, type VisitorEntries } from '../visitor-entries';

/** The emitted module a specifier refers to, or null (reported) when it is not a src/ module. */
function targetModule(
  ctx: Context,
  node: ts.ImportDeclaration | ts.ExportDeclaration,
): { module: string; file: ts.SourceFile } | null {
  const specifier = node.moduleSpecifier as ts.StringLiteral;
  if (!specifier.text.startsWith('.')) {
    ctx.report(diagnostics.unmappedImport(node, specifier.text));
    return null;
  }
  const symbol = ctx.checker.getSymbolAtLocation(specifier);
  const file = symbol?.valueDeclaration?.getSourceFile() ?? symbol?.getDeclarations()?.[0]?.getSourceFile();
  if (file === undefined || !ts.isSourceFile(file)) {
    ctx.report(diagnostics.unmappedImport(node, specifier.text));
    return null;
  }
  const module = ctx.compile.modules.moduleNameOf(file.fileName);
  if (module === null) {
    ctx.report(diagnostics.unmappedImport(node, specifier.text));
    return null;
  }
  return { module, file };
}

function importPortName(
  ctx: Context,
  port: string,
  specifier: ts.ImportSpecifier | ts.ExportSpecifier,
  reexport: boolean,
): void {
  const exported = (specifier.propertyName ?? specifier.name).text;
  const local = specifier.name.text;
  const symbol = ctx.checker.getSymbolAtLocation(specifier.name);
  const target =
    symbol === undefined
      ? undefined
      : (symbol.flags & ts.SymbolFlags.Alias) !== 0
        ? ctx.checker.getAliasedSymbol(symbol)
        : symbol;
  const binding = resolvePortExport(port, exported, target === undefined ? 'typeAlias' : portExportKind(target));
  if (binding === null) {
    ctx.report(diagnostics.unknownPortExport(specifier, port, exported));
    return;
  }
  // An inline binding is imported only where a reference is not a call it writes inline, and a function only where
  // it is referenced (an f-string may leave `intToString` out, translation/interpolation.ts): context.ts.
  if (binding.kind !== 'import' && !(binding.kind === 'inline' && reexport)) return;
  if (binding.kind === 'import' && !reexport && target !== undefined && portExportKind(target) === 'function') return;
  const alias = local === exported ? null : localBindingName(local);
  const name = ctx.imports.addFrom(binding.module, binding.name, alias);
  if (reexport) ctx.reexports.add(name);
}

function importLocalName(
  ctx: Context,
  module: string,
  specifier: ts.ImportSpecifier | ts.ExportSpecifier,
  reexport: boolean,
): void {
  const exported = (specifier.propertyName ?? specifier.name).text;
  const local = specifier.name.text;
  const symbol = ctx.checker.getSymbolAtLocation(specifier.propertyName ?? specifier.name);
  const target =
    symbol === undefined
      ? undefined
      : (symbol.flags & ts.SymbolFlags.Alias) !== 0
        ? ctx.checker.getAliasedSymbol(symbol)
        : symbol;
  const declaration = target?.getDeclarations()?.[0];
  const pyName = declaration === undefined ? localBindingName(exported) : declarationName(declaration, exported);
  const alias =
    local === exported
      ? null
      : declaration !== undefined && ts.isClassDeclaration(declaration)
        ? local
        : localBindingName(local);
  const name = ctx.imports.addFrom(module, pyName, alias);
  if (reexport) ctx.reexports.add(name);
}

function importDeclaration(ctx: Context, node: ts.ImportDeclaration): py.Stmt[] {
  const specifierText = (node.moduleSpecifier as ts.StringLiteral).text;
  const clause = node.importClause;
  if (
    clause === undefined ||
    clause.name !== undefined ||
    (clause.namedBindings !== undefined && ts.isNamespaceImport(clause.namedBindings))
  ) {
    ctx.report(diagnostics.unmappedImport(node, specifierText));
    return [];
  }
  const port = portOf(specifierText);
  const named = clause.namedBindings;
  if (named === undefined) return [];
  if (port !== null) {
    for (const element of named.elements) importPortName(ctx, port, element, false);
    return [];
  }
  const target = targetModule(ctx, node);
  if (target === null) return [];
  if (isPortFile(target.file.fileName)) {
    ctx.report(diagnostics.unmappedImport(node, specifierText));
    return [];
  }
  for (const element of named.elements) importLocalName(ctx, target.module, element, false);
  return [];
}

function exportDeclaration(ctx: Context, node: ts.ExportDeclaration): py.Stmt[] {
  if (node.moduleSpecifier === undefined) {
    // `export { a, b }`: every module-level Python name is public already; renaming exports has no Python form.
    if (node.exportClause !== undefined && ts.isNamedExports(node.exportClause)) {
      for (const element of node.exportClause.elements) {
        if (element.propertyName !== undefined && element.propertyName.text !== element.name.text) {
          ctx.report(diagnostics.unsupportedSyntax(element, 'a renamed export', 'Export the name as it is declared'));
        }
      }
    }
    return [];
  }
  const specifierText = (node.moduleSpecifier as ts.StringLiteral).text;
  const port = portOf(specifierText);
  if (node.exportClause !== undefined && ts.isNamespaceExport(node.exportClause)) {
    ctx.report(diagnostics.unsupportedSyntax(node, '`export * as name`', 'Re-export the names one by one'));
    return [];
  }
  if (port !== null) {
    if (node.exportClause === undefined) {
      ctx.report(diagnostics.unsupportedSyntax(node, '`export *` from a port', 'Re-export the names one by one'));
      return [];
    }
    for (const element of node.exportClause.elements) importPortName(ctx, port, element, true);
    return [];
  }
  const target = targetModule(ctx, node);
  if (target === null) return [];
  if (node.exportClause !== undefined) {
    for (const element of node.exportClause.elements) importLocalName(ctx, target.module, element, true);
    return [];
  }
  const moduleSymbol = ctx.checker.getSymbolAtLocation(node.moduleSpecifier);
  const exports = moduleSymbol === undefined ? [] : ctx.checker.getExportsOfModule(moduleSymbol);
  for (const symbol of [...exports].sort((a, b) => (a.getName() < b.getName() ? -1 : 1))) {
    const resolved = (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? ctx.checker.getAliasedSymbol(symbol) : symbol;
    const declaration = resolved.getDeclarations()?.[0];
    const pyName =
      declaration === undefined ? localBindingName(symbol.getName()) : declarationName(declaration, symbol.getName());
    ctx.reexports.add(ctx.imports.addFrom(target.module, pyName));
  }
  return [];
}

export const moduleVisitors: VisitorEntries = {
  statements: [
    [ts.SyntaxKind.ImportDeclaration, statement<ts.ImportDeclaration>((node, ctx) => importDeclaration(ctx, node))],
    [ts.SyntaxKind.ExportDeclaration, statement<ts.ExportDeclaration>((node, ctx) => exportDeclaration(ctx, node))],
    [
      ts.SyntaxKind.ExportAssignment,
      statement(
        (node, ctx) => (
          ctx.report(diagnostics.unsupportedSyntax(node, '`export default` / `export =`', 'Use named exports')),
          []
        ),
      ),
    ],
    [
      ts.SyntaxKind.ImportEqualsDeclaration,
      statement(
        (node, ctx) => (
          ctx.report(diagnostics.unsupportedSyntax(node, '`import x = require(...)`', 'Use `import { x } from ...`')),
          []
        ),
      ),
    ],
  ],
};
