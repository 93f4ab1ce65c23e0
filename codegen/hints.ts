// TypeScript types -> Python type hints (text). Written annotations are translated from their syntax (so the port
// aliases `Float` and `Bytes` survive); inferred types from the checker.
import { ts } from 'ts-morph';
import type { Context } from './context';
import { diagnostics } from './diagnostics';
import { portOf } from './ports';
import { isLibFile, isPortFile, isSetType, unionParts } from './type-queries';

const NONE = 'None';

/** Joins union members, dropping duplicates, merging string/number literals into one Literal[...], None last. */
function joinUnion(ctx: Context, members: string[]): string {
  const literals: string[] = [];
  const others: string[] = [];
  let hasNone = false;
  for (const m of members) {
    if (m === NONE) hasNone = true;
    else if (m.startsWith('Literal[')) literals.push(m.slice('Literal['.length, -1));
    else if (!others.includes(m)) others.push(m);
  }
  // A literal is redundant next to its widened type (`'a' | string`).
  const keptLiterals = literals.filter(
    (l) =>
      !(others.includes('str') && l.startsWith("'")) &&
      !(others.includes('int') && /^-?\d/.test(l)) &&
      !(others.includes('bool') && /^(True|False)$/.test(l)),
  );
  const unique = [...new Set(keptLiterals)];
  // Literal[True, False] is just bool.
  if (unique.includes('True') && unique.includes('False')) {
    unique.splice(unique.indexOf('True'), 1);
    unique.splice(unique.indexOf('False'), 1);
    if (!others.includes('bool')) others.push('bool');
  }
  const parts: string[] = [];
  if (unique.length > 0) parts.push(`${ctx.typing('Literal')}[${unique.join(', ')}]`);
  parts.push(...others);
  if (hasNone) parts.push(NONE);
  if (parts.length === 0) return ctx.typing('NoReturn');
  return parts.join(' | ');
}

function literalHint(ctx: Context, text: string): string {
  return `${ctx.typing('Literal')}[${text}]`;
}

function pyStringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const LIB_GENERIC_HINTS: Readonly<Record<string, (ctx: Context, args: string[]) => string>> = {
  Array: (_ctx, [t]) => `list[${t ?? 'object'}]`,
  ReadonlyArray: (ctx, [t]) => `${ctx.typing('Sequence')}[${t ?? 'object'}]`,
  Map: (_ctx, [k, v]) => `dict[${k ?? 'object'}, ${v ?? 'object'}]`,
  ReadonlyMap: (ctx, [k, v]) => `${ctx.typing('Mapping')}[${k ?? 'object'}, ${v ?? 'object'}]`,
  // Sets keep insertion order in JavaScript; a dict with None values does in Python (a Python set does not).
  Set: (_ctx, [t]) => `dict[${t ?? 'object'}, None]`,
  ReadonlySet: (ctx, [t]) => `${ctx.typing('Mapping')}[${t ?? 'object'}, None]`,
  Record: (_ctx, [k, v]) => `dict[${k ?? 'str'}, ${v ?? 'object'}]`,
  Promise: (_ctx, [t]) => t ?? NONE,
  PromiseLike: (_ctx, [t]) => t ?? NONE,
  Generator: (ctx, [t, r]) =>
    r === undefined || r === NONE
      ? `${ctx.typing('Iterator')}[${t ?? 'object'}]`
      : `${ctx.typing('Generator')}[${t ?? 'object'}, None, ${r}]`,
  AsyncGenerator: (ctx, [t, r]) =>
    r === undefined || r === NONE
      ? `${ctx.typing('Iterator')}[${t ?? 'object'}]`
      : `${ctx.typing('Generator')}[${t ?? 'object'}, None, ${r}]`,
  Iterator: (ctx, [t]) => `${ctx.typing('Iterator')}[${t ?? 'object'}]`,
  IterableIterator: (ctx, [t]) => `${ctx.typing('Iterator')}[${t ?? 'object'}]`,
  AsyncIterableIterator: (ctx, [t]) => `${ctx.typing('Iterator')}[${t ?? 'object'}]`,
  AsyncIterator: (ctx, [t]) => `${ctx.typing('Iterator')}[${t ?? 'object'}]`,
  Iterable: (ctx, [t]) => `${ctx.typing('Iterable')}[${t ?? 'object'}]`,
  AsyncIterable: (ctx, [t]) => `${ctx.typing('Iterable')}[${t ?? 'object'}]`,
  Error: () => 'Exception',
  TypeError: () => 'TypeError',
  RangeError: () => 'ValueError',
  Uint8Array: () => 'bytes',
};

/** The hint of a written type annotation. */
export function hintForTypeNode(ctx: Context, node: ts.TypeNode): string {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return 'str';
    case ts.SyntaxKind.NumberKeyword:
      return 'int';
    case ts.SyntaxKind.BooleanKeyword:
      return 'bool';
    case ts.SyntaxKind.VoidKeyword:
    case ts.SyntaxKind.UndefinedKeyword:
      return NONE;
    case ts.SyntaxKind.UnknownKeyword:
    case ts.SyntaxKind.ObjectKeyword:
      return 'object';
    case ts.SyntaxKind.NeverKeyword:
      return ctx.typing('NoReturn');
    case ts.SyntaxKind.AnyKeyword:
      ctx.report(diagnostics.anyType(node, 'this annotation'));
      return 'object';
    default:
      break;
  }
  if (ts.isParenthesizedTypeNode(node)) return hintForTypeNode(ctx, node.type);
  if (ts.isLiteralTypeNode(node)) {
    const literal = node.literal;
    if (literal.kind === ts.SyntaxKind.NullKeyword) return NONE;
    if (literal.kind === ts.SyntaxKind.TrueKeyword) return literalHint(ctx, 'True');
    if (literal.kind === ts.SyntaxKind.FalseKeyword) return literalHint(ctx, 'False');
    if (ts.isStringLiteral(literal)) return literalHint(ctx, pyStringLiteral(literal.text));
    if (ts.isNumericLiteral(literal)) return literalHint(ctx, String(Number(literal.text)));
    if (ts.isPrefixUnaryExpression(literal) && ts.isNumericLiteral(literal.operand))
      return literalHint(ctx, `-${Number(literal.operand.text)}`);
    return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
  }
  if (ts.isArrayTypeNode(node)) {
    const inner = hintForTypeNode(ctx, node.elementType);
    const readonly = ts.isTypeOperatorNode(node.parent) && node.parent.operator === ts.SyntaxKind.ReadonlyKeyword;
    return readonly ? `${ctx.typing('Sequence')}[${inner}]` : `list[${inner}]`;
  }
  if (ts.isTypeOperatorNode(node)) {
    if (node.operator === ts.SyntaxKind.ReadonlyKeyword) return hintForTypeNode(ctx, node.type);
    return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
  }
  if (ts.isTupleTypeNode(node)) {
    if (node.elements.length === 0) return 'tuple[()]';
    const elements = node.elements.map((e) => {
      const element = ts.isNamedTupleMember(e) ? e.type : e;
      if (
        ts.isOptionalTypeNode(element) ||
        ts.isRestTypeNode(element) ||
        (ts.isNamedTupleMember(e) && (e.questionToken !== undefined || e.dotDotDotToken !== undefined))
      ) {
        ctx.report(diagnostics.unsupportedType(e, e.getText(), 'Use a tuple of fixed length, or an array'));
        return 'object';
      }
      return hintForTypeNode(ctx, element);
    });
    return `tuple[${elements.join(', ')}]`;
  }
  if (ts.isUnionTypeNode(node))
    return joinUnion(
      ctx,
      node.types.map((t) => hintForTypeNode(ctx, t)),
    );
  if (ts.isFunctionTypeNode(node)) {
    const params = node.parameters.map((p) => (p.type === undefined ? 'object' : hintForTypeNode(ctx, p.type)));
    return `${ctx.typing('Callable')}[[${params.join(', ')}], ${hintForTypeNode(ctx, node.type)}]`;
  }
  if (ts.isTypeReferenceNode(node)) return hintForTypeReference(ctx, node);
  if (ts.isTypeLiteralNode(node)) {
    const type = ctx.checker.getTypeFromTypeNode(node);
    const index = ctx.checker.getIndexInfosOfType(type);
    if (node.members.length === 1 && index.length === 1) {
      return `dict[${hintForType(ctx, index[0]!.keyType, node)}, ${hintForType(ctx, index[0]!.type, node)}]`;
    }
    ctx.report(
      diagnostics.unsupportedType(
        node,
        node.getText().replace(/\s+/g, ' ').slice(0, 60),
        'Declare an interface (it becomes a TypedDict) and use its name',
      ),
    );
    return 'object';
  }
  return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
}

function hintForTypeReference(ctx: Context, node: ts.TypeReferenceNode): string {
  let symbol = ctx.checker.getSymbolAtLocation(node.typeName);
  const args = (node.typeArguments ?? []).map((a) => hintForTypeNode(ctx, a));
  if (symbol === undefined) return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
  const name = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
  if ((symbol.flags & ts.SymbolFlags.Alias) !== 0) {
    const declaration = symbol.getDeclarations()?.[0];
    if (declaration !== undefined && ts.isImportSpecifier(declaration)) {
      const specifier = (declaration.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text;
      const port = portOf(specifier);
      if (port !== null) {
        const exported = (declaration.propertyName ?? declaration.name).text;
        const binding = ctx.portBinding(port, exported, symbol, node);
        if (binding === null) return 'object';
        if (binding.kind === 'type') return binding.hint;
        if (binding.kind === 'builtin') return binding.name;
        if (binding.kind === 'import')
          return ctx.pythonNameOf(symbol, node).kind === 'Name'
            ? (ctx.pythonNameOf(symbol, node) as { id: string }).id
            : binding.name;
        return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
      }
    }
    symbol = ctx.checker.getAliasedSymbol(symbol);
  }
  const declaration = symbol.getDeclarations()?.[0];
  if (declaration === undefined) return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
  const fileName = declaration.getSourceFile().fileName;
  if (isLibFile(fileName)) {
    const lib = LIB_GENERIC_HINTS[name];
    if (lib !== undefined) return lib(ctx, args);
    ctx.report(diagnostics.unsupportedType(node, node.getText()));
    return 'object';
  }
  if (isPortFile(fileName)) {
    // A port type used without importing it by name (through another alias): expand it.
    return hintForType(ctx, ctx.checker.getTypeFromTypeNode(node), node);
  }
  if (ts.isTypeParameterDeclaration(declaration)) return typeVariable(ctx, declaration);
  if (ts.isEnumDeclaration(declaration)) return enumBaseHint(ctx, declaration);
  if (args.length > 0) {
    ctx.report(diagnostics.unsupportedType(node, node.getText(), 'Use a non-generic type'));
    return 'object';
  }
  const local = ctx.pythonNameOf(ctx.checker.getSymbolAtLocation(node.typeName)!, node);
  return local.kind === 'Name' ? local.id : name;
}

function enumBaseHint(ctx: Context, declaration: ts.EnumDeclaration): string {
  const allStrings = declaration.members.every(
    (m) => m.initializer !== undefined && ts.isStringLiteralLike(m.initializer),
  );
  void ctx;
  return allStrings ? 'str' : 'int';
}

/** The hint of a type the checker inferred. */
export function hintForType(ctx: Context, type: ts.Type, location: ts.Node): string {
  const checker = ctx.checker;
  const flags = type.flags;
  if ((flags & ts.TypeFlags.Any) !== 0) {
    ctx.report(diagnostics.anyType(location, 'this value'));
    return 'object';
  }
  if ((flags & ts.TypeFlags.Unknown) !== 0 || (flags & ts.TypeFlags.NonPrimitive) !== 0) return 'object';
  if ((flags & ts.TypeFlags.Never) !== 0) return ctx.typing('NoReturn');
  if ((flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined | ts.TypeFlags.Null)) !== 0) return NONE;
  if ((flags & ts.TypeFlags.EnumLiteral) !== 0 || (flags & ts.TypeFlags.Enum) !== 0) {
    if (type.isUnion())
      return joinUnion(
        ctx,
        type.types.map((t) => hintForType(ctx, t, location)),
      );
    return (flags & ts.TypeFlags.StringLike) !== 0 ? 'str' : 'int';
  }
  if (type.isUnion()) {
    // `boolean` is the union true | false.
    return joinUnion(
      ctx,
      unionParts(type).map((t) => hintForType(ctx, t, location)),
    );
  }
  if ((flags & ts.TypeFlags.BooleanLiteral) !== 0) return 'bool';
  if ((flags & ts.TypeFlags.Boolean) !== 0) return 'bool';
  if (type.isStringLiteral()) return literalHint(ctx, pyStringLiteral(type.value));
  if ((flags & ts.TypeFlags.StringLike) !== 0) return 'str';
  if (type.isNumberLiteral()) return Number.isInteger(type.value) ? literalHint(ctx, String(type.value)) : 'float';
  if ((flags & ts.TypeFlags.NumberLike) !== 0) return 'int';
  if ((flags & ts.TypeFlags.TypeParameter) !== 0) {
    const declaration = type.getSymbol()?.getDeclarations()?.[0];
    if (declaration !== undefined && ts.isTypeParameterDeclaration(declaration)) return typeVariable(ctx, declaration);
    return 'object';
  }
  if (checker.isTupleType(type)) {
    const elements = checker.getTypeArguments(type as ts.TypeReference).map((t) => hintForType(ctx, t, location));
    return elements.length === 0 ? 'tuple[()]' : `tuple[${elements.join(', ')}]`;
  }
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    const inner = element === undefined ? 'object' : hintForType(ctx, element, location);
    const readonly = type.getSymbol()?.getName() === 'ReadonlyArray';
    return readonly ? `${ctx.typing('Sequence')}[${inner}]` : `list[${inner}]`;
  }
  const alias = aliasHint(ctx, type, location);
  if (alias !== null) return alias;
  const symbol = type.getSymbol();
  if (symbol !== undefined) {
    const declaration = symbol.getDeclarations()?.[0];
    const fileName = declaration?.getSourceFile().fileName ?? '';
    const typeArgs = (
      type.aliasSymbol !== undefined
        ? (type.aliasTypeArguments ?? [])
        : (type as ts.TypeReference).target !== undefined
          ? checker.getTypeArguments(type as ts.TypeReference)
          : []
    ).map((t) => hintForType(ctx, t, location));
    if (isLibFile(fileName)) {
      const lib = LIB_GENERIC_HINTS[symbol.getName()];
      if (lib !== undefined) return lib(ctx, typeArgs);
    } else if (
      declaration !== undefined &&
      (ts.isClassDeclaration(declaration) ||
        ts.isInterfaceDeclaration(declaration) ||
        ts.isTypeAliasDeclaration(declaration))
    ) {
      if (isPortFile(fileName)) {
        const port = portOf(fileName);
        if (port !== null) {
          const binding = ctx.portBinding(port, symbol.getName(), symbol, location);
          if (binding?.kind === 'import') return ctx.imports.addFrom(binding.module, binding.name);
          if (binding?.kind === 'builtin') return binding.name;
          if (binding?.kind === 'type') return binding.hint;
        }
      } else if (typeArgs.length === 0) {
        return localHintName(ctx, symbol, declaration, location);
      }
    }
  }
  const signatures = type.getCallSignatures();
  if (signatures.length === 1) {
    const signature = signatures[0]!;
    const params = signature
      .getParameters()
      .map((p) => hintForType(ctx, checker.getTypeOfSymbolAtLocation(p, location), location));
    return `${ctx.typing('Callable')}[[${params.join(', ')}], ${hintForType(ctx, signature.getReturnType(), location)}]`;
  }
  const index = checker.getIndexInfosOfType(type);
  if (index.length === 1 && type.getProperties().length === 0) {
    return `dict[${hintForType(ctx, index[0]!.keyType, location)}, ${hintForType(ctx, index[0]!.type, location)}]`;
  }
  ctx.report(
    diagnostics.unsupportedType(
      location,
      checker.typeToString(type),
      'Annotate it with a named type (an interface becomes a TypedDict)',
    ),
  );
  return 'object';
}

/** A module-level TypeVar for a type parameter; its constraint becomes the bound. */
export function typeVariable(ctx: Context, declaration: ts.TypeParameterDeclaration): string {
  const name = declaration.name.text;
  const bound = declaration.constraint === undefined ? null : hintForTypeNode(ctx, declaration.constraint);
  const existing = ctx.typeVars.get(name);
  if (existing !== undefined && existing !== bound) {
    ctx.report(
      diagnostics.unsupportedType(
        declaration,
        name,
        'Give type parameters with different constraints different names within one module',
      ),
    );
  }
  ctx.typeVars.set(name, bound);
  return name;
}

/** A named src/ type (class, interface, alias) in a hint; imported for type checking when declared elsewhere. */
function localHintName(ctx: Context, symbol: ts.Symbol, declaration: ts.Declaration, location: ts.Node): string {
  const name = ctx.pythonNameOf(symbol, location);
  const pyName = name.kind === 'Name' ? name.id : symbol.getName();
  const file = declaration.getSourceFile();
  if (file !== ctx.sourceFile) {
    const module = ctx.compile.modules.moduleNameOf(file.fileName);
    if (module !== null) ctx.imports.addTypeOnly(module, pyName);
  }
  return pyName;
}

/** Hints for types that carry an alias: port aliases (Bytes -> bytes), lib aliases (Record), src/ aliases. */
function aliasHint(ctx: Context, type: ts.Type, location: ts.Node): string | null {
  const alias = type.aliasSymbol;
  const declaration = alias?.getDeclarations()?.[0];
  if (alias === undefined || declaration === undefined) return null;
  const fileName = declaration.getSourceFile().fileName;
  const args = (type.aliasTypeArguments ?? []).map((t) => hintForType(ctx, t, location));
  if (isPortFile(fileName)) {
    const port = portOf(fileName);
    if (port === null) return null;
    const binding = ctx.portBinding(port, alias.getName(), alias, location);
    if (binding === null) return 'object';
    if (binding.kind === 'type') return binding.hint;
    if (binding.kind === 'builtin') return binding.name;
    if (binding.kind === 'import') return ctx.imports.addFrom(binding.module, binding.name);
    return null;
  }
  if (isLibFile(fileName)) {
    const lib = LIB_GENERIC_HINTS[alias.getName()];
    return lib === undefined ? null : lib(ctx, args);
  }
  if (args.length > 0 || !ts.isTypeAliasDeclaration(declaration)) return null;
  return localHintName(ctx, alias, declaration, location);
}

/** The hint of a declaration: its annotation when written, else what the checker infers. */
export function hintOf(ctx: Context, declaration: ts.Node & { type?: ts.TypeNode | undefined }): string {
  if (declaration.type !== undefined) return hintForTypeNode(ctx, declaration.type);
  return hintForType(ctx, ctx.checker.getTypeAtLocation(declaration), declaration);
}

/**
 * The hint of a binding that set-usage.ts made a Python set: `set[T]` (or `AbstractSet[T]` for a parameter it only
 * reads) where its type says `Set<T>`; null for every other binding (whose Set stays `dict[T, None]`).
 */
export function pythonSetHint(
  ctx: Context,
  declaration: ts.VariableDeclaration | ts.PropertyDeclaration | ts.ParameterDeclaration,
): string | null {
  const form = ctx.compile.setUsage.formOf(ctx.checker.getSymbolAtLocation(declaration.name));
  if (form === undefined) return null;
  const container = form === 'set' ? 'set' : ctx.typing('AbstractSet');
  const fromNode = (node: ts.TypeNode): string => {
    if (ts.isParenthesizedTypeNode(node)) return fromNode(node.type);
    if (ts.isUnionTypeNode(node)) return joinUnion(ctx, node.types.map(fromNode));
    if (ts.isTypeReferenceNode(node) && node.typeName.getText() === 'Set' && node.typeArguments?.length === 1) {
      return `${container}[${hintForTypeNode(ctx, node.typeArguments[0]!)}]`;
    }
    return hintForTypeNode(ctx, node);
  };
  const fromType = (type: ts.Type): string => {
    if (type.isUnion() && !(type.flags & ts.TypeFlags.Boolean)) return joinUnion(ctx, type.types.map(fromType));
    if (isSetType(type)) {
      const [element] = ctx.checker.getTypeArguments(type as ts.TypeReference);
      return `${container}[${element === undefined ? 'object' : hintForType(ctx, element, declaration)}]`;
    }
    return hintForType(ctx, type, declaration);
  };
  return declaration.type !== undefined
    ? fromNode(declaration.type)
    : fromType(ctx.checker.getTypeAtLocation(declaration));
}
