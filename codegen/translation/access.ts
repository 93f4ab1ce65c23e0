// Member access, element access and calls, with the receiver already translated: the plain visitors and the
// optional-chain visitor (`a?.b.c()`) share these, so `?.` changes only the None guard, never the member mapping.
import { ts } from 'ts-morph';
import {
  builtinMethod,
  builtinProperty,
  globalFunction,
  isGlobalName,
  isNamespace,
  namespaceCall,
  namespaceValue,
  ownerOf,
} from '../builtins';
import type { MethodResult } from '../builtins/common';
import { type Context, type ExprOptions } from '../context';
import { diagnostics } from '../diagnostics';
import { attributeProblem, memberName, recordKeyName, snakeCase } from '../names';
import { isKeywordOptionsType, portOf, type InlineArgument } from '../ports';
import * as py from '../python-ast';
import { isLibFile, isPortFile, isRecordType, isStringType } from '../type-queries';
import { isPrimitiveLiteral, literalOf, skipOuterExpressions, stringLiteralText } from '../syntax';

/** How a property of an object type is stored in Python. */
type MemberForm =
  { kind: 'attribute'; name: string } | { kind: 'key'; key: string } | { kind: 'lib' } | { kind: 'mixed' };

function isPrivateMember(declaration: ts.Declaration): boolean {
  const modifiers = ts.canHaveModifiers(declaration) ? (ts.getModifiers(declaration) ?? []) : [];
  return (
    modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword) ||
    (declaration as ts.NamedDeclaration).name?.kind === ts.SyntaxKind.PrivateIdentifier
  );
}

/** `const X = { ... } as const` at module level: emitted as a class of constants, read by attribute. */
export function isConstObjectDeclaration(declaration: ts.Node): boolean {
  if (!ts.isVariableDeclaration(declaration) || declaration.initializer === undefined) return false;
  const init = declaration.initializer;
  if (!ts.isAsExpression(init) || !ts.isTypeReferenceNode(init.type) || init.type.typeName.getText() !== 'const')
    return false;
  if (!ts.isObjectLiteralExpression(init.expression)) return false;
  if (!ts.isSourceFile(declaration.parent.parent.parent)) return false;
  return init.expression.properties.every(
    (p) =>
      ts.isPropertyAssignment(p) &&
      (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) &&
      isPrimitiveLiteral(p.initializer, { nullish: false }),
  );
}

/** A property declared by a src/ interface or named object type: a TypedDict field, whose key is a name. */
export function isRecordField(declaration: ts.Declaration): boolean {
  const file = declaration.getSourceFile().fileName;
  if (isLibFile(file) || isPortFile(file)) return false;
  return (
    ts.isPropertySignature(declaration) &&
    (ts.isInterfaceDeclaration(declaration.parent) ||
      (ts.isTypeLiteralNode(declaration.parent) && ts.isTypeAliasDeclaration(declaration.parent.parent)))
  );
}

/** Decides attribute vs dict key from where the property is declared (class/port -> attribute, interface -> key). */
export function memberForm(ctx: Context, symbol: ts.Symbol | undefined, name: string): MemberForm {
  const declarations = symbol?.getDeclarations() ?? [];
  if (declarations.length === 0) return { kind: 'key', key: name };
  const forms = new Set<string>();
  let result: MemberForm | null = null;
  for (const d of declarations) {
    const file = d.getSourceFile().fileName;
    let form: MemberForm;
    if (isLibFile(file)) form = { kind: 'lib' };
    else if (isPortFile(file)) form = { kind: 'attribute', name: snakeCase(name) };
    else if (
      ts.isClassElement(d) ||
      ts.isParameter(d) ||
      ts.isClassDeclaration(d.parent) ||
      (ts.isPropertyAccessExpression(d) && d.expression.kind === ts.SyntaxKind.ThisKeyword)
    ) {
      form = { kind: 'attribute', name: memberName(name, isPrivateMember(d)) };
    } else if (ts.isEnumMember(d)) form = { kind: 'attribute', name };
    else if (
      (ts.isPropertySignature(d) || ts.isMethodSignature(d)) &&
      ts.isInterfaceDeclaration(d.parent) &&
      d.parent.members.some((m) => ts.isMethodSignature(m))
    ) {
      // Members of an interface with methods (a Protocol) are attributes of objects.
      form = { kind: 'attribute', name: snakeCase(name) };
    } else if (ts.isPropertyAssignment(d) && isConstObjectDeclaration(d.parent.parent.parent))
      form = { kind: 'attribute', name };
    else if (isRecordField(d)) form = { kind: 'key', key: recordKeyName(name) };
    else form = { kind: 'key', key: name };
    forms.add(form.kind);
    result = form;
  }
  if (forms.size > 1) return { kind: 'mixed' };
  return result!;
}

/** `obj.prop` with `receiver` = translated `obj`. */
export function translatePropertyAccess(
  ctx: Context,
  node: ts.PropertyAccessExpression,
  receiver: py.Expr,
  options: ExprOptions,
): py.Expr {
  const name = node.name.text;
  const receiverNode = node.expression;
  if (receiverNode.kind === ts.SyntaxKind.SuperKeyword)
    return py.attr(py.call(py.name('super')), memberName(name, false));
  // Namespaces: Math.PI, Number.MAX_SAFE_INTEGER.
  if (ts.isIdentifier(receiverNode) && isGlobalName(ctx, receiverNode) && isNamespace(receiverNode.text)) {
    const value = namespaceValue(receiverNode.text, name);
    if (value !== undefined) return value(ctx, node);
    return ctx.report(
      diagnostics.unsupportedBuiltin(
        node,
        `${receiverNode.text}.${name}`,
        'is not mapped to Python',
        'See docs/emitter.md for the mapped builtins',
      ),
    );
  }
  const symbol = ctx.checker.getSymbolAtLocation(node.name);
  const receiverType = ctx.checker.getNonNullableType(ctx.typeOf(receiverNode));
  const form = memberForm(ctx, symbol, name);
  if (form.kind === 'lib' || (symbol === undefined && ownerOf(ctx, receiverType) !== null)) {
    const owner = ownerOf(ctx, receiverType);
    const mapping = owner === null ? undefined : builtinProperty(owner, name);
    if (mapping === undefined || options.target === true) {
      return ctx.report(
        diagnostics.unsupportedBuiltin(
          node,
          `.${name}`,
          `on ${owner?.receiverName ?? ctx.checker.typeToString(receiverType)} is not mapped to Python`,
          'See docs/emitter.md for the mapped builtins',
        ),
      );
    }
    return mapping({ ctx, node, receiver, asserted: options.asserted === true });
  }
  if (form.kind === 'mixed') return ctx.report(diagnostics.mixedMemberAccess(node, name));
  if (form.kind === 'key') {
    // `r.p` on a Record reads undefined when the key is absent, like `r['p']`: dict.get.
    if (isRecordType(ctx.checker, receiverType) && options.target !== true && options.asserted !== true)
      return py.call(py.attr(receiver, 'get'), [py.str(form.key)]);
    return py.subscript(receiver, py.str(form.key));
  }
  const problem = attributeProblem(form.name);
  if (problem !== null) return ctx.report(diagnostics.nameClash(node.name, name, form.name, problem));
  return py.attr(receiver, form.name);
}

/** The literal value of an index expression, if it is a literal. */
function literalIndex(node: ts.Expression): number | string | null {
  const literal = literalOf(node);
  if (literal?.kind === 'number' && !literal.negative) return Number(literal.text);
  if (literal?.kind === 'string') return literal.text;
  return null;
}

/** Whether `a[i] = v` is provably in range: `i` is the index of `for (let i = 0; i < a.length; i++)` over this `a`. */
function provablyInRange(ctx: Context, node: ts.ElementAccessExpression): boolean {
  const index = skipOuterExpressions(node.argumentExpression);
  const array = skipOuterExpressions(node.expression);
  if (!ts.isIdentifier(index) || !ts.isIdentifier(array)) return false;
  const indexSymbol = ctx.checker.getSymbolAtLocation(index);
  const arraySymbol = ctx.checker.getSymbolAtLocation(array);
  return indexSymbol !== undefined && arraySymbol !== undefined && ctx.rangeIndexes.get(indexSymbol) === arraySymbol;
}

/** `obj[index]` with `receiver` = translated `obj`. */
export function translateElementAccess(
  ctx: Context,
  node: ts.ElementAccessExpression,
  receiver: py.Expr,
  options: ExprOptions,
): py.Expr {
  const receiverType = ctx.checker.getNonNullableType(ctx.typeOf(node.expression));
  const checker = ctx.checker;
  if (isStringType(receiverType)) return ctx.report(diagnostics.stringIndex(node));
  const literal = literalIndex(node.argumentExpression);
  if (checker.isTupleType(receiverType)) {
    if (typeof literal !== 'number') {
      return ctx.report(
        diagnostics.unsupportedSyntax(
          node,
          'indexing a tuple with a non-literal index',
          'Destructure the tuple, or index it with a number literal',
        ),
      );
    }
    if (options.target === true)
      return ctx.report(
        diagnostics.unsupportedSyntax(
          node,
          'assigning into a tuple (Python tuples are immutable)',
          'Build a new tuple',
        ),
      );
    return py.subscript(receiver, py.int(literal));
  }
  const index = ctx.expr(node.argumentExpression);
  if (checker.isArrayType(receiverType) || ownerOf(ctx, receiverType)?.receiverName === 'array') {
    if (options.target === true) {
      if (!provablyInRange(ctx, node)) return ctx.report(diagnostics.arrayAssignment(node));
      return py.subscript(receiver, index);
    }
    if (options.asserted === true) return py.subscript(receiver, index);
    return arrayItem(ctx, receiver, index);
  }
  if (isRecordType(checker, receiverType)) {
    if (options.target === true || options.asserted === true) return py.subscript(receiver, index);
    return py.call(py.attr(receiver, 'get'), [index]);
  }
  if (typeof literal === 'string') {
    const symbol = receiverType.getProperty(literal);
    const form = memberForm(ctx, symbol, literal);
    if (form.kind === 'key') return py.subscript(receiver, py.str(form.key));
    if (form.kind === 'attribute') return py.attr(receiver, form.name);
  }
  return ctx.report(
    diagnostics.unsupportedSyntax(
      node,
      `element access on ${ctx.checker.typeToString(receiverType)}`,
      'Index arrays, tuples and Records only; use a Map for other lookups',
    ),
  );
}

// ---- calls ----

/** The port a declaration comes from, when it is declared in src/ports/. */
function portOfDeclaration(declaration: ts.Declaration | undefined): string | null {
  if (declaration === undefined) return null;
  const file = declaration.getSourceFile().fileName;
  return isPortFile(file) ? portOf(file) : null;
}

/** Translates call arguments; an object literal passed to a port's keyword-options parameter becomes keywords. */
export function translateArguments(
  ctx: Context,
  node: ts.CallExpression | ts.NewExpression,
  args: readonly ts.Expression[],
): { args: py.Expr[]; keywords: py.Keyword[] } {
  const signature = ctx.checker.getResolvedSignature(node);
  const declaration = signature?.getDeclaration();
  const port = portOfDeclaration(declaration);
  const pyArgs: py.Expr[] = [];
  const keywords: py.Keyword[] = [];
  args.forEach((argument, i) => {
    if (ts.isSpreadElement(argument)) {
      pyArgs.push({ kind: 'Starred', value: ctx.expr(argument.expression) });
      return;
    }
    const parameter =
      declaration !== undefined && ts.isFunctionLike(declaration) ? declaration.parameters[i] : undefined;
    const typeName =
      parameter?.type !== undefined && ts.isTypeReferenceNode(parameter.type)
        ? parameter.type.typeName.getText()
        : null;
    if (port !== null && typeName !== null && isKeywordOptionsType(port, typeName)) {
      const literal = skipOuterExpressions(argument);
      if (!ts.isObjectLiteralExpression(literal)) {
        ctx.report(diagnostics.portOptionsNotLiteral(argument, node.expression.getText()));
        return;
      }
      for (const property of literal.properties) {
        if (
          ts.isPropertyAssignment(property) &&
          (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
        ) {
          keywords.push({ name: snakeCase(property.name.text), value: ctx.expr(property.initializer) });
        } else if (ts.isShorthandPropertyAssignment(property)) {
          keywords.push({ name: snakeCase(property.name.text), value: ctx.expr(property.name) });
        } else {
          ctx.report(diagnostics.portOptionsNotLiteral(property, node.expression.getText()));
        }
      }
      return;
    }
    pyArgs.push(ctx.expr(argument));
  });
  return { args: pyArgs, keywords };
}

export interface CallOptions {
  discarded: boolean;
  asserted: boolean;
}

function resultToExpr(ctx: Context, node: ts.Node, result: MethodResult, what: string): py.Expr {
  if ('kind' in result) return result;
  return ctx.report(diagnostics.valueUsed(node, what));
}

/**
 * A call. `calleeReceiver` is the translated receiver of a method call when the optional-chain visitor already
 * translated it. Returns statements only when `discarded` and the Python form is a statement.
 */
/**
 * `a[i]` that is None out of range, as in JavaScript. With a plain name for `a` and a name or a non-negative literal
 * for `i`, evaluating them twice is harmless, so the body of the runtime's array_item is written inline
 * (`a[i] if 0 <= i and i < len(a) else None`, one Python call fewer); otherwise array_item(a, i).
 */
export function arrayItem(ctx: Context, receiver: py.Expr, index: py.Expr): py.Expr {
  const length = py.call(py.name('len'), [receiver]);
  if (receiver.kind === 'Name' && index.kind === 'Constant' && typeof index.value === 'bigint' && index.value >= 0n) {
    return py.ifExp(py.compare(length, '>', index), py.subscript(receiver, index), py.none());
  }
  if (receiver.kind === 'Name' && index.kind === 'Name') {
    const inRange: py.Expr = {
      kind: 'BoolOp',
      op: 'and',
      values: [py.compare(py.int(0n), '<=', index), py.compare(index, '<', length)],
    };
    return py.ifExp(inRange, py.subscript(receiver, index), py.none());
  }
  return py.call(ctx.runtime('array_item'), [receiver, index]);
}

export function translateCall(
  ctx: Context,
  node: ts.CallExpression,
  options: CallOptions,
  calleeReceiver?: py.Expr,
): MethodResult {
  const callee = skipOuterExpressions(node.expression);
  if (callee.kind === ts.SyntaxKind.SuperKeyword) {
    const { args, keywords } = translateArguments(ctx, node, node.arguments);
    return py.call(py.attr(py.call(py.name('super')), '__init__'), args, keywords);
  }
  if (callee.kind === ts.SyntaxKind.ImportKeyword)
    return ctx.report(diagnostics.unsupportedSyntax(node, 'dynamic import()'));
  if (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) {
    const receiverNode = callee.expression;
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : null;
    // Namespace calls: Math.max(...), Object.keys(...).
    if (
      name !== null &&
      ts.isIdentifier(receiverNode) &&
      isGlobalName(ctx, receiverNode) &&
      isNamespace(receiverNode.text)
    ) {
      const mapping = namespaceCall(receiverNode.text, name);
      if (mapping === undefined) {
        return ctx.report(
          diagnostics.unsupportedBuiltin(
            node,
            `${receiverNode.text}.${name}`,
            'is not mapped to Python',
            'See docs/emitter.md for the mapped builtins',
          ),
        );
      }
      return mapping({ ctx, node, args: node.arguments, discarded: options.discarded });
    }
    if (name !== null && receiverNode.kind !== ts.SyntaxKind.SuperKeyword) {
      const symbol = ctx.checker.getSymbolAtLocation((callee as ts.PropertyAccessExpression).name);
      const receiverType = ctx.checker.getNonNullableType(ctx.typeOf(receiverNode));
      const form = memberForm(ctx, symbol, name);
      if (form.kind === 'lib' || (symbol === undefined && ownerOf(ctx, receiverType) !== null)) {
        const owner = ownerOf(ctx, receiverType);
        const mapping = owner === null ? undefined : builtinMethod(owner, name);
        if (mapping === undefined) {
          return ctx.report(
            diagnostics.unsupportedBuiltin(
              node,
              `.${name}()`,
              `on ${owner?.receiverName ?? ctx.checker.typeToString(receiverType)} is not mapped to Python`,
              'See docs/emitter.md for the mapped builtins',
            ),
          );
        }
        const receiver = calleeReceiver ?? ctx.expr(receiverNode);
        return mapping({
          ctx,
          node,
          receiver,
          receiverNode,
          method: name,
          args: node.arguments,
          discarded: options.discarded,
          asserted: options.asserted,
        });
      }
    }
    const receiver =
      calleeReceiver ??
      (receiverNode.kind === ts.SyntaxKind.SuperKeyword ? py.call(py.name('super')) : ctx.expr(receiverNode));
    const func = ts.isPropertyAccessExpression(callee)
      ? translatePropertyAccess(ctx, callee, receiver, {})
      : translateElementAccess(ctx, callee, receiver, { asserted: true });
    const { args, keywords } = translateArguments(ctx, node, node.arguments);
    return py.call(func, args, keywords);
  }
  if (ts.isIdentifier(callee) && isGlobalName(ctx, callee)) {
    const mapping = globalFunction(callee.text);
    if (mapping === undefined) {
      if (callee.text === 'eval') return ctx.report(diagnostics.evalCall(node, 'eval'));
      if (callee.text === 'Symbol') return ctx.report(diagnostics.symbol(node));
      return ctx.report(
        diagnostics.unsupportedBuiltin(
          node,
          `${callee.text}()`,
          'is not mapped to Python',
          'See docs/emitter.md for the mapped builtins',
        ),
      );
    }
    return mapping({ ctx, node, args: node.arguments, discarded: options.discarded });
  }
  if (calleeReceiver === undefined && ts.isIdentifier(callee)) {
    const inline = ctx.inlinePortFunction(callee);
    if (
      inline !== null &&
      node.arguments.length === inline.arity &&
      !node.arguments.some(ts.isSpreadElement) &&
      inlineArgumentsQualify(ctx, node.arguments, inline.requires)
    ) {
      const { args } = translateArguments(ctx, node, node.arguments);
      return inline.call(args, (module) => ctx.module(module));
    }
  }
  const func = calleeReceiver ?? ctx.expr(node.expression);
  const { args, keywords } = translateArguments(ctx, node, node.arguments);
  return py.call(func, args, keywords);
}

/** Whether each argument is what the inline form requires of it (ports.ts InlineArgument); no requirement: any. */
function inlineArgumentsQualify(
  ctx: Context,
  args: readonly ts.Expression[],
  requires: readonly InlineArgument[] | undefined,
): boolean {
  if (requires === undefined) return true;
  return args.every((argument, i) => {
    const requirement = requires[i] ?? 'any';
    const inner = skipOuterExpressions(argument);
    if (requirement === 'name') return ts.isIdentifier(inner);
    if (requirement === 'non-empty-bytes-constant') return isNonEmptyBytesConstant(ctx, inner);
    return true;
  });
}

/** A name bound (here or in the module it is imported from) by `const X = utf8Encode('<non-empty string literal>')`. */
function isNonEmptyBytesConstant(ctx: Context, node: ts.Expression): boolean {
  if (!ts.isIdentifier(node)) return false;
  const local = ctx.checker.getSymbolAtLocation(node);
  // An imported constant is judged by its declaration in the module that exports it.
  const symbol =
    local !== undefined && (local.flags & ts.SymbolFlags.Alias) !== 0 ? ctx.checker.getAliasedSymbol(local) : local;
  const declaration = symbol?.getDeclarations()?.[0];
  if (declaration === undefined || !ts.isVariableDeclaration(declaration) || declaration.initializer === undefined)
    return false;
  if (!ts.isVariableDeclarationList(declaration.parent) || (declaration.parent.flags & ts.NodeFlags.Const) === 0)
    return false;
  const init = skipOuterExpressions(declaration.initializer);
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || init.arguments.length !== 1) return false;
  const text = stringLiteralText(init.arguments[0]);
  return text !== null && text !== '' && isRuntimeFunction(ctx, init.expression, 'utf8Encode');
}

/** Whether `callee` names the runtime port's export `exportName` (imported under any local name). */
function isRuntimeFunction(ctx: Context, callee: ts.Identifier, exportName: string): boolean {
  const symbol = ctx.checker.getSymbolAtLocation(callee);
  if (symbol === undefined || (symbol.flags & ts.SymbolFlags.Alias) === 0) return false;
  const declaration = symbol.getDeclarations()?.[0];
  if (declaration === undefined || !ts.isImportSpecifier(declaration)) return false;
  const specifier = (declaration.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text;
  return portOf(specifier) === 'runtime' && (declaration.propertyName ?? declaration.name).text === exportName;
}

export function translateCallExpr(ctx: Context, node: ts.CallExpression, options: ExprOptions): py.Expr {
  return resultToExpr(
    ctx,
    node,
    translateCall(ctx, node, { discarded: false, asserted: options.asserted === true }),
    `${node.expression.getText()}(...)`,
  );
}
