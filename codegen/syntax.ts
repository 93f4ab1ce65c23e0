// Questions about TypeScript syntax (not types): what wraps an expression without run-time meaning, and which literal
// an expression is. The one place that recognises literals; visitors and builtins ask `literalOf` and its helpers.
import { ts } from 'ts-morph';

/** Skips parentheses, type assertions and `satisfies`, which have no runtime meaning. */
export function skipOuterExpressions(node: ts.Expression): ts.Expression {
  let current = node;
  for (;;) {
    if (
      ts.isParenthesizedExpression(current) ||
      ts.isAsExpression(current) ||
      ts.isTypeAssertionExpression(current) ||
      ts.isSatisfiesExpression(current)
    ) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

/** A literal as written: strings (and templates without substitutions), signed numbers, booleans, null, undefined. */
export type Literal =
  | { kind: 'string'; text: string }
  /** `text` is the literal as written, without its sign (`0x1f`, `1e3`, `10`). */
  | { kind: 'number'; text: string; negative: boolean }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'undefined' };

/** The literal `node` is (through parentheses and assertions, and a unary `-`/`+` on a number), or null. */
export function literalOf(node: ts.Expression): Literal | null {
  const inner = skipOuterExpressions(node);
  if (ts.isStringLiteral(inner) || ts.isNoSubstitutionTemplateLiteral(inner))
    return { kind: 'string', text: inner.text };
  if (ts.isNumericLiteral(inner)) return { kind: 'number', text: inner.text, negative: false };
  if (
    ts.isPrefixUnaryExpression(inner) &&
    (inner.operator === ts.SyntaxKind.MinusToken || inner.operator === ts.SyntaxKind.PlusToken)
  ) {
    const operand = literalOf(inner.operand);
    if (operand?.kind !== 'number') return null;
    return {
      kind: 'number',
      text: operand.text,
      negative: operand.negative !== (inner.operator === ts.SyntaxKind.MinusToken),
    };
  }
  if (inner.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'boolean', value: true };
  if (inner.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'boolean', value: false };
  if (inner.kind === ts.SyntaxKind.NullKeyword) return { kind: 'null' };
  if (ts.isIdentifier(inner) && inner.text === 'undefined') return { kind: 'undefined' };
  return null;
}

/** `null` or `undefined` (both are Python's None). */
export function isNullishLiteral(node: ts.Expression): boolean {
  const literal = literalOf(node);
  return literal !== null && (literal.kind === 'null' || literal.kind === 'undefined');
}

/** A string, number or boolean literal; with `nullish`, also null and undefined. */
export function isPrimitiveLiteral(node: ts.Expression, options: { nullish: boolean }): boolean {
  const literal = literalOf(node);
  if (literal === null) return false;
  return options.nullish || (literal.kind !== 'null' && literal.kind !== 'undefined');
}

/** The text of a string literal (or a template without substitutions), or null. */
export function stringLiteralText(node: ts.Expression | undefined): string | null {
  if (node === undefined) return null;
  const literal = literalOf(node);
  return literal?.kind === 'string' ? literal.text : null;
}

/** The value of an integer literal written in decimal, hex, octal or binary (`-2`, `0x10`), or undefined. */
export function integerLiteralValue(node: ts.Expression): bigint | undefined {
  const literal = literalOf(node);
  if (literal?.kind !== 'number') return undefined;
  const text = literal.text.replace(/_/g, '');
  // `1e3`, `1.5` are not integer literals (BigInt throws on them); hex, octal and binary are.
  if (!/^(0[xob][0-9a-f]+|[0-9]+)$/i.test(text)) return undefined;
  const value = BigInt(text);
  return literal.negative ? -value : value;
}
