// `const`/`let` -> assignments (annotated when the type is written, or the value is an empty container mypy cannot
// type); `const f = (...) => ...` -> def f; module-level `as const` objects of literals -> a class of constants.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { hintForType, hintForTypeNode, pythonSetHint } from '../hints';
import { isLiteralUnion } from '../type-queries';
import { isConstObjectDeclaration } from '../translation/access';
import { isNullishLiteral, literalOf } from '../syntax';
import { destructure } from '../translation/destructure';
import { buildDef } from './function';
import { statement, type VisitorEntries } from '../visitor-entries';

function isEmptyContainer(node: ts.Expression): boolean {
  if (ts.isArrayLiteralExpression(node) || ts.isObjectLiteralExpression(node)) {
    return (ts.isArrayLiteralExpression(node) ? node.elements : node.properties).length === 0;
  }
  if (
    ts.isNewExpression(node) &&
    ts.isIdentifier(node.expression) &&
    (node.expression.text === 'Map' || node.expression.text === 'Set')
  ) {
    return (node.arguments ?? []).length === 0;
  }
  return isNullishLiteral(node);
}

/** `c ? 'a' : 'b'`: every value the expression can take is written as a string literal (mypy would widen it). */
function literalLeaves(node: ts.Expression): boolean {
  if (ts.isParenthesizedExpression(node)) return literalLeaves(node.expression);
  if (ts.isConditionalExpression(node)) return literalLeaves(node.whenTrue) && literalLeaves(node.whenFalse);
  return literalOf(node)?.kind === 'string';
}

/** Whether a reference to `declaration` is used where a literal type is expected (`{ kind: kind }` of a StoreOp). */
function usedAsLiteral(ctx: Context, declaration: ts.VariableDeclaration): boolean {
  const symbol = ctx.checker.getSymbolAtLocation(declaration.name);
  const scope =
    ts.findAncestor(declaration.parent, (n) => ts.isFunctionLike(n) || ts.isSourceFile(n)) ??
    declaration.getSourceFile();
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(n) && n !== declaration.name) {
      const shorthand = ts.isShorthandPropertyAssignment(n.parent) && n.parent.name === n;
      const referenced = shorthand
        ? ctx.checker.getShorthandAssignmentValueSymbol(n.parent)
        : ctx.checker.getSymbolAtLocation(n);
      if (referenced === symbol) {
        const contextual = shorthand
          ? ctx.checker.getContextualType(n.parent.parent as ts.ObjectLiteralExpression)?.getProperty(n.text)
          : undefined;
        const type = shorthand
          ? contextual === undefined
            ? undefined
            : ctx.checker.getTypeOfSymbolAtLocation(contextual, n)
          : ctx.checker.getContextualType(n);
        if (type !== undefined && isLiteralUnion(type)) found = true;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}

function constObjectClass(ctx: Context, declaration: ts.VariableDeclaration, name: string): py.ClassDef {
  const literal = (declaration.initializer as ts.AsExpression).expression as ts.ObjectLiteralExpression;
  const body: py.Stmt[] = literal.properties.flatMap((p) => {
    const assignment = p as ts.PropertyAssignment;
    const key = (assignment.name as ts.Identifier | ts.StringLiteral).text;
    return ctx.commentedMember(p, [py.assign(py.name(key), ctx.expr(assignment.initializer))]);
  });
  const statementNode = declaration.parent.parent;
  return { kind: 'ClassDef', name, bases: [], keywords: [], docstring: ctx.docstring(statementNode), body };
}

export function variableDeclaration(ctx: Context, declaration: ts.VariableDeclaration, isConst: boolean): py.Stmt[] {
  const init = declaration.initializer;
  if (!ts.isIdentifier(declaration.name)) {
    if (init === undefined) return [];
    return destructure(ctx, declaration.name, ctx.expr(init), ctx.typeOf(init));
  }
  const tsName = declaration.name.text;
  const name = localBindingName(tsName, declaration);
  ctx.declareBinding(name, tsName, declaration);
  if (
    init !== undefined &&
    isConst &&
    (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) &&
    declaration.type === undefined
  ) {
    const def = buildDef(ctx, init, name, {
      kind: 'function',
      docstring: ctx.docstring(declaration.parent.parent, init),
    });
    return [def];
  }
  if (isConstObjectDeclaration(declaration)) return [constObjectClass(ctx, declaration, name)];
  const hint = (): py.Expr =>
    py.hint(
      pythonSetHint(ctx, declaration) ??
        (declaration.type !== undefined
          ? hintForTypeNode(ctx, declaration.type)
          : hintForType(ctx, ctx.checker.getTypeAtLocation(declaration), declaration)),
    );
  if (init === undefined) {
    return [{ kind: 'AnnAssign', target: py.name(name), annotation: hint(), value: null }];
  }
  const value = ctx.expr(init);
  // mypy widens `'a' if c else 'b'` to str; a literal-union const used where a literal type is expected keeps its type
  // through an annotation.
  const literalUnion =
    isConst &&
    declaration.type === undefined &&
    ctx.checker.getTypeAtLocation(declaration).isUnion() &&
    isLiteralUnion(ctx.checker.getTypeAtLocation(declaration)) &&
    literalLeaves(init) &&
    usedAsLiteral(ctx, declaration);
  const annotate =
    (declaration.type !== undefined || isEmptyContainer(init) || literalUnion) && ctx.firstAnnotation(name);
  if (annotate) return [{ kind: 'AnnAssign', target: py.name(name), annotation: hint(), value }];
  return [py.assign(py.name(name), value)];
}

function variableStatement(ctx: Context, node: ts.VariableStatement): py.Stmt[] {
  const list = node.declarationList;
  if ((ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) return [];
  if ((list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0) {
    ctx.report(diagnostics.varDeclaration(node));
    return [];
  }
  const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
  return list.declarations.flatMap((d) => variableDeclaration(ctx, d, isConst));
}

export const variableVisitors: VisitorEntries = {
  statements: [
    [ts.SyntaxKind.VariableStatement, statement<ts.VariableStatement>((node, ctx) => variableStatement(ctx, node))],
  ],
};
