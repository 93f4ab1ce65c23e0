// Functions: declarations -> def, arrow functions -> lambda (expression body) or a def hoisted in front of the
// statement (block body), async -> plain def, generators -> def with yield. Parameters get hints; defaults that are
// not literals are evaluated at call time like JavaScript's (`p=None` + `if p is None: p = ...`).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { hintForType, hintForTypeNode, pythonSetHint, typeVariable } from '../hints';
import { destructure } from '../translation/destructure';
import { isPrimitiveLiteral } from '../syntax';
import { expression, statement, type VisitorEntries } from '../visitor-entries';

export type FunctionKind = 'function' | 'method' | 'static' | 'getter' | 'setter' | 'constructor';

/** A default that Python may evaluate once, at definition time: a primitive literal (also null/undefined). */
export function isLiteralDefault(node: ts.Expression): boolean {
  return isPrimitiveLiteral(node, { nullish: true });
}

function withNone(hint: string): string {
  return hint === 'None' || hint.endsWith('| None') || hint === 'object' ? hint : `${hint} | None`;
}

export function parameterHint(ctx: Context, parameter: ts.ParameterDeclaration): string {
  if (parameter.dotDotDotToken !== undefined) {
    const type = ctx.checker.getTypeAtLocation(parameter);
    const element = ctx.checker.getIndexTypeOfType(type, ts.IndexKind.Number);
    if (parameter.type !== undefined && ts.isArrayTypeNode(parameter.type))
      return hintForTypeNode(ctx, parameter.type.elementType);
    return element === undefined ? 'object' : hintForType(ctx, element, parameter);
  }
  const hint =
    pythonSetHint(ctx, parameter) ??
    (parameter.type !== undefined
      ? hintForTypeNode(ctx, parameter.type)
      : hintForType(ctx, ctx.checker.getTypeAtLocation(parameter), parameter));
  return parameter.questionToken !== undefined ? withNone(hint) : hint;
}

/** Python parameters plus the statements that must open the body (defaults, destructuring). */
export function translateParameters(
  ctx: Context,
  parameters: readonly ts.ParameterDeclaration[],
  withHints: boolean,
): { params: py.Param[]; prologue: py.Stmt[] } {
  const params: py.Param[] = [];
  const prologue: py.Stmt[] = [];
  for (const parameter of parameters) {
    if (ts.isIdentifier(parameter.name) && parameter.name.text === 'this') continue;
    let name: string;
    if (ts.isIdentifier(parameter.name)) {
      name = localBindingName(parameter.name.text, parameter);
      ctx.declareBinding(name, parameter.name.text, parameter);
    } else {
      name = ctx.fresh('arg');
      prologue.push(...destructure(ctx, parameter.name, py.name(name), ctx.checker.getTypeAtLocation(parameter)));
    }
    let hint = withHints ? parameterHint(ctx, parameter) : null;
    let defaultValue: py.Expr | null = null;
    if (parameter.initializer !== undefined) {
      if (isLiteralDefault(parameter.initializer)) {
        defaultValue = ctx.expr(parameter.initializer);
      } else {
        // JavaScript evaluates a default at each call where the argument is undefined.
        defaultValue = py.none();
        if (hint !== null) hint = withNone(hint);
        prologue.unshift(
          py.ifStmt(py.compare(py.name(name), 'is', py.none()), [
            py.assign(py.name(name), ctx.expr(parameter.initializer)),
          ]),
        );
      }
    } else if (parameter.questionToken !== undefined) {
      defaultValue = py.none();
    }
    params.push({
      name,
      annotation: hint === null ? null : py.hint(hint),
      default: defaultValue,
      rest: parameter.dotDotDotToken !== undefined,
    });
  }
  return { params, prologue };
}

function containsYield(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isYieldExpression(n)) found = true;
    else if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

export function returnHint(ctx: Context, node: ts.SignatureDeclaration, kind: FunctionKind): string {
  if (kind === 'constructor' || kind === 'setter') return 'None';
  if (node.type !== undefined) return hintForTypeNode(ctx, node.type);
  const signature = ctx.checker.getSignatureFromDeclaration(node);
  if (signature === undefined) return 'object';
  return hintForType(ctx, signature.getReturnType(), node);
}

/** Scope declarations (`global x`, `nonlocal y`) a function body needs, sorted. */
function scopeDeclarations(globals: Set<string>, nonlocals: Set<string>): py.Stmt[] {
  const out: py.Stmt[] = [];
  if (globals.size > 0) out.push({ kind: 'ScopeDecl', keyword: 'global', names: [...globals].sort() });
  if (nonlocals.size > 0) out.push({ kind: 'ScopeDecl', keyword: 'nonlocal', names: [...nonlocals].sort() });
  return out;
}

export interface DefOptions {
  kind: FunctionKind;
  decorators?: py.Expr[];
  /** Parameters prepended (self). */
  leading?: py.Param[];
  /** Builds the body from the translated TS body (the class visitor reorders constructor statements). */
  body?: (ctx: Context) => py.Stmt[];
  docstring?: string | null;
}

/** A def for any function-like declaration with a body. */
export function buildDef(
  ctx: Context,
  node: ts.FunctionLikeDeclaration,
  name: string,
  options: DefOptions,
): py.FunctionDef {
  return ctx.withScope('function', node, (scope) => {
    const { params, prologue } = translateParameters(ctx, node.parameters, true);
    const returns = returnHint(ctx, node, options.kind);
    let body: py.Stmt[];
    if (options.body !== undefined) body = options.body(ctx);
    else if (node.body === undefined) body = [{ kind: 'Raise', exc: py.call(py.name('NotImplementedError')) }];
    else if (ts.isBlock(node.body)) body = ctx.block(node.body.statements);
    else {
      const expressionBody = node.body;
      const returned = ctx.withPreamble(() => ctx.expr(expressionBody));
      body = [...returned.hoisted, py.ret(returned.value)];
    }
    if (node.asteriskToken !== undefined && node.body !== undefined && !containsYield(node.body)) {
      // A generator function without yield is still a generator in JavaScript.
      body.push({ kind: 'ExprStmt', value: { kind: 'YieldFrom', value: py.tuple([]) } });
    }
    return {
      kind: 'FunctionDef',
      name,
      params: [...(options.leading ?? []), ...params],
      returns: py.hint(returns),
      decorators: options.decorators ?? [],
      docstring: options.docstring === undefined ? ctx.docstring(node) : options.docstring,
      anchor: ctx.anchor(node),
      body: [...scopeDeclarations(scope.globals, scope.nonlocals), ...prologue, ...body],
    };
  });
}

/** An arrow function or function expression used as a value: a lambda when it can be one, else a hoisted def. */
/** A variable declared inside a loop enclosing `fn` (in the same function) that `fn` refers to, or null. */
function capturedLoopVariable(ctx: Context, fn: ts.ArrowFunction | ts.FunctionExpression): string | null {
  let outermostLoop: ts.Node | null = null;
  for (let p: ts.Node | undefined = fn.parent; p !== undefined; p = p.parent) {
    if (ts.isFunctionLike(p) || ts.isSourceFile(p)) break;
    if (ts.isIterationStatement(p, false)) outermostLoop = p;
  }
  if (outermostLoop === null) return null;
  const loop = outermostLoop;
  let captured: string | null = null;
  const visit = (n: ts.Node): void => {
    if (captured !== null) return;
    if (ts.isIdentifier(n)) {
      const declaration = ctx.checker.getSymbolAtLocation(n)?.valueDeclaration;
      const inLoop =
        declaration !== undefined &&
        declaration.getSourceFile() === fn.getSourceFile() &&
        declaration.pos >= loop.pos &&
        declaration.end <= loop.end;
      const inFn = declaration !== undefined && declaration.pos >= fn.pos && declaration.end <= fn.end;
      if (
        inLoop &&
        !inFn &&
        (ts.isVariableDeclaration(declaration) || ts.isBindingElement(declaration) || ts.isParameter(declaration))
      )
        captured = n.text;
    }
    ts.forEachChild(n, visit);
  };
  visit(fn.body);
  return captured;
}

export function functionValue(ctx: Context, node: ts.ArrowFunction | ts.FunctionExpression): py.Expr {
  if (ts.isFunctionExpression(node) && containsThis(node.body)) return ctx.report(diagnostics.thisOutsideClass(node));
  const captured = capturedLoopVariable(ctx, node);
  if (captured !== null) return ctx.report(diagnostics.closureInLoop(node, captured));
  const simpleParams = node.parameters.every(
    (p) => ts.isIdentifier(p.name) && (p.initializer === undefined || isLiteralDefault(p.initializer)),
  );
  if (ts.isArrowFunction(node) && !ts.isBlock(node.body) && simpleParams && node.asteriskToken === undefined) {
    const bodyNode = node.body;
    const attempt = ctx.withScope('function', node, () => {
      const { params } = translateParameters(ctx, node.parameters, false);
      const body = ctx.withPreamble(() => ctx.expr(bodyNode));
      return { params, body };
    });
    if (attempt.body.hoisted.length === 0) {
      return { kind: 'Lambda', params: attempt.params, body: attempt.body.value };
    }
  }
  return hoistedDef(ctx, node);
}

/** A def placed in front of the current statement, referenced by its fresh name. */
export function hoistedDef(ctx: Context, node: ts.ArrowFunction | ts.FunctionExpression): py.Expr {
  const name = ctx.fresh('f');
  ctx.hoist(buildDef(ctx, node, name, { kind: 'function', docstring: null }));
  return py.name(name);
}

function containsThis(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (n.kind === ts.SyntaxKind.ThisKeyword) found = true;
    else if (!(ts.isFunctionLike(n) && !ts.isArrowFunction(n))) ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function functionDeclaration(ctx: Context, node: ts.FunctionDeclaration): py.Stmt[] {
  if (node.body === undefined) return []; // an overload signature; the implementation follows
  const symbol = node.name === undefined ? undefined : ctx.checker.getSymbolAtLocation(node.name);
  const overloads = (symbol?.getDeclarations() ?? []).filter(
    (d) => ts.isFunctionDeclaration(d) && d.body === undefined,
  );
  if (overloads.length > 0) {
    ctx.report(diagnostics.overloads(overloads[0]!));
    return [];
  }
  if (node.name === undefined) {
    ctx.report(diagnostics.unsupportedSyntax(node, 'an anonymous default-exported function', 'Name the function'));
    return [];
  }
  if ((ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) {
    ctx.report(diagnostics.unsupportedSyntax(node, '`export default`', 'Use a named export'));
  }
  const name = localBindingName(node.name.text, node);
  ctx.declareBinding(name, node.name.text, node);
  if (node.typeParameters !== undefined) for (const tp of node.typeParameters) typeVariable(ctx, tp);
  return [buildDef(ctx, node, name, { kind: 'function' })];
}

export const functionVisitors: VisitorEntries = {
  statements: [
    [
      ts.SyntaxKind.FunctionDeclaration,
      statement<ts.FunctionDeclaration>((node, ctx) => functionDeclaration(ctx, node)),
    ],
  ],
  expressions: [
    [ts.SyntaxKind.ArrowFunction, expression<ts.ArrowFunction>((node, ctx) => functionValue(ctx, node))],
    [ts.SyntaxKind.FunctionExpression, expression<ts.FunctionExpression>((node, ctx) => functionValue(ctx, node))],
  ],
};
