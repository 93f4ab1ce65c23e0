// A value interpolated into an f-string (a template literal's `${...}`, a string concatenation's operand). Python's
// f-string formats with format(value, ''), which is str(value) for ints and exceptions, so two conversions the
// TypeScript needs are left out where they are exactly what the f-string does anyway:
// * `intToString(n)` -> `{n}` when n is provably a safe integer: intToString only checks that its argument is one
//   (and throws InvalidArgumentError otherwise) before it returns str(n), so the check must be known to pass: an
//   integer literal or a `const` holding one (or +, -, * of those), a length (`.length` of an array, tuple or Bytes,
//   `.size` of a Map or Set, `utf8ByteLength(s)`, all below 2^53 in JavaScript), the index of a
//   `for (let i = 0; i < a.length; i++)` loop, and + or - of these while the bounds stay within ±(2^53-1). A value
//   that only has the type `number` is not enough: it may come from the host (a bigint beyond 2^53, which
//   intToString refuses).
// * `e.message` of an Error, `str(e)`, -> `{e}`: exceptions do not define __format__, so format(e, '') is str(e).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import * as py from '../python-ast';
import { integerLiteralValue, skipOuterExpressions } from '../syntax';
import { isBytesType, isErrorType, isMapType, isSetType } from '../type-queries';

const MAX_SAFE = 2n ** 53n - 1n;
/** A length is an integer from 0 to this: the largest safe integer (JavaScript's bound for a typed array). */
const MAX_LENGTH = MAX_SAFE;

interface Bounds {
  low: bigint;
  high: bigint;
}

/** The bounds a safe-integer expression stays within, or null when nothing bounds it (it may not be an integer). */
function integerBounds(ctx: Context, node: ts.Expression, depth = 0): Bounds | null {
  if (depth > 8) return null;
  const inner = skipOuterExpressions(node);
  const literal = integerLiteralValue(inner);
  if (literal !== undefined) return { low: literal, high: literal };
  if (ts.isIdentifier(inner)) return nameBounds(ctx, inner, depth);
  if (ts.isPropertyAccessExpression(inner) && inner.questionDotToken === undefined) {
    const receiver = ctx.checker.getNonNullableType(ctx.typeOf(inner.expression));
    const sized =
      (inner.name.text === 'length' &&
        (ctx.checker.isArrayType(receiver) || ctx.checker.isTupleType(receiver) || isBytesType(receiver))) ||
      (inner.name.text === 'size' && (isMapType(receiver) || isSetType(receiver)));
    return sized ? { low: 0n, high: MAX_LENGTH } : null;
  }
  if (ts.isCallExpression(inner) && ts.isIdentifier(inner.expression) && inner.arguments.length === 1) {
    const exported = ctx.portExportOf(inner.expression);
    if (exported?.port === 'runtime' && exported.exportName === 'utf8ByteLength') return { low: 0n, high: MAX_LENGTH };
    return null;
  }
  if (ts.isBinaryExpression(inner)) {
    const op = inner.operatorToken.kind;
    if (op !== ts.SyntaxKind.PlusToken && op !== ts.SyntaxKind.MinusToken && op !== ts.SyntaxKind.AsteriskToken)
      return null;
    const left = integerBounds(ctx, inner.left, depth + 1);
    const right = left === null ? null : integerBounds(ctx, inner.right, depth + 1);
    if (left === null || right === null) return null;
    const bounds =
      op === ts.SyntaxKind.PlusToken
        ? { low: left.low + right.low, high: left.high + right.high }
        : op === ts.SyntaxKind.MinusToken
          ? { low: left.low - right.high, high: left.high - right.low }
          : left.low === left.high && right.low === right.high
            ? { low: left.low * right.low, high: left.low * right.low }
            : null;
    return bounds !== null && bounds.low >= -MAX_SAFE && bounds.high <= MAX_SAFE ? bounds : null;
  }
  return null;
}

/** A `const` initialized with a bounded integer (here or imported), or the index of a range loop over a length. */
function nameBounds(ctx: Context, name: ts.Identifier, depth: number): Bounds | null {
  let symbol = ctx.checker.getSymbolAtLocation(name);
  if (symbol === undefined) return null;
  const rangeArray = ctx.rangeIndexes.get(symbol);
  if (rangeArray !== undefined) return { low: 0n, high: MAX_LENGTH - 1n };
  if ((symbol.flags & ts.SymbolFlags.Alias) !== 0) symbol = ctx.checker.getAliasedSymbol(symbol);
  const declaration = symbol.getDeclarations()?.[0];
  if (
    declaration === undefined ||
    !ts.isVariableDeclaration(declaration) ||
    declaration.initializer === undefined ||
    !ts.isVariableDeclarationList(declaration.parent) ||
    (declaration.parent.flags & ts.NodeFlags.Const) === 0 ||
    // An integer literal where `Float` is declared is a Python float (`1.0`), which intToString refuses.
    (declaration.type !== undefined && /\bFloat\b/.test(declaration.type.getText()))
  )
    return null;
  return integerBounds(ctx, declaration.initializer, depth + 1);
}

/** `intToString(n)` of the runtime port whose argument is provably a safe integer: that argument, else null. */
function safeIntToString(ctx: Context, node: ts.Expression): ts.Expression | null {
  if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || node.arguments.length !== 1) return null;
  const argument = node.arguments[0]!;
  if (ts.isSpreadElement(argument)) return null;
  const exported = ctx.portExportOf(node.expression);
  if (exported?.port !== 'runtime' || exported.exportName !== 'intToString') return null;
  return integerBounds(ctx, argument) === null ? null : argument;
}

/** A value to interpolate: how the f-string shows it, and how to write it as a string outside one. */
export interface Interpolated {
  /** The expression inside `{}`. */
  value: py.Expr;
  /** The same value as a str, for a concatenation that ends up not being an f-string. */
  asString: () => py.Expr;
}

/** `node` (a string-typed expression) as an f-string's `{...}`, without a conversion the f-string makes itself. */
export function interpolated(ctx: Context, node: ts.Expression): Interpolated {
  const inner = skipOuterExpressions(node);
  const number = safeIntToString(ctx, inner);
  if (number !== null) {
    const call = inner as ts.CallExpression;
    const value = ctx.expr(number);
    return { value, asString: () => py.call(ctx.expr(call.expression), [value]) };
  }
  const value = ctx.expr(node);
  if (
    ts.isPropertyAccessExpression(inner) &&
    inner.name.text === 'message' &&
    inner.questionDotToken === undefined &&
    isErrorType(ctx.checker, ctx.typeOf(inner.expression)) &&
    value.kind === 'Call' &&
    value.func.kind === 'Name' &&
    value.func.id === 'str' &&
    value.args.length === 1
  ) {
    return { value: value.args[0]!, asString: () => value };
  }
  return { value, asString: () => value };
}
