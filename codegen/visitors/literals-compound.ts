// Array literals -> lists (tuples where the type is a tuple), object literals -> dicts keyed by data. An object
// literal typed by an interface stores every optional property, absent ones as None, so reads are `o['k']`.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import {
  isClassInstanceType,
  isMapType,
  isRecordType,
  isSetType,
  isStringType,
  libSymbolName,
  unionParts,
} from '../type-queries';
import { isRecordField } from '../translation/access';
import { recordKeyName } from '../names';
import { narrowedReference } from './identifier';
import { stringExpr } from './literals';
import { expression, type VisitorEntries } from '../visitor-entries';

/** `...x` inside a list/tuple: Maps spread their entries, Sets their members, strings are refused. */
export function spreadInto(ctx: Context, node: ts.SpreadElement): py.Expr {
  const type = ctx.checker.getNonNullableType(ctx.typeOf(node.expression));
  const value = ctx.expr(node.expression);
  if (isStringType(type)) return ctx.report(diagnostics.stringMethod(node, 'spread'));
  if (isMapType(type)) return { kind: 'Starred', value: py.call(py.attr(value, 'items')) };
  if (isSetType(type)) return { kind: 'Starred', value };
  return { kind: 'Starred', value };
}

function arrayLiteral(ctx: Context, node: ts.ArrayLiteralExpression): py.Expr {
  const elements: py.Expr[] = [];
  for (const element of node.elements) {
    if (ts.isOmittedExpression(element)) {
      elements.push(
        ctx.report(diagnostics.unsupportedSyntax(element, 'an array hole', 'Write `undefined` explicitly')),
      );
    } else if (ts.isSpreadElement(element)) {
      elements.push(spreadInto(ctx, element));
    } else {
      elements.push(ctx.expr(element));
    }
  }
  const contextual = ctx.checker.getContextualType(node);
  const own = ctx.typeOf(node);
  const isTuple = (t: ts.Type | undefined): boolean =>
    t !== undefined && unionParts(t).some((p) => ctx.checker.isTupleType(p));
  if (isTuple(contextual) || (contextual === undefined && isTuple(own)) || isTuple(own)) return py.tuple(elements);
  return py.list(elements);
}

/** The interface-like type an object literal is built for, for filling absent optional properties with None. */
function targetInterface(ctx: Context, node: ts.ObjectLiteralExpression): ts.Type | null {
  const contextual = ctx.checker.getContextualType(node);
  if (contextual === undefined) return null;
  const own = ctx.typeOf(node);
  const candidates = unionParts(ctx.checker.getNonNullableType(contextual)).filter(
    (t) =>
      (t.flags & ts.TypeFlags.Object) !== 0 &&
      !isRecordType(ctx.checker, t) &&
      !isClassInstanceType(t) &&
      libSymbolName(t) === null &&
      !ctx.checker.isArrayType(t),
  );
  const matching = candidates.filter((t) => ctx.checker.isTypeAssignableTo(own, t));
  return matching.length === 1 ? matching[0]! : null;
}

function propertyKey(ctx: Context, name: ts.PropertyName): py.Expr {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return py.str(name.text);
  if (ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return stringExpr(ctx, name, name.text);
  // Object keys are strings in JavaScript: `{ 1: x }` has the key '1'.
  if (ts.isNumericLiteral(name)) return py.str(String(Number(name.text)));
  if (ts.isComputedPropertyName(name)) {
    const type = ctx.typeOf(name.expression);
    if (!isStringType(type))
      return ctx.report(diagnostics.unsupportedSyntax(name, 'a computed key that is not a string', 'Use string keys'));
    return ctx.expr(name.expression);
  }
  return ctx.report(diagnostics.unsupportedSyntax(name, 'this property name'));
}

/**
 * The Python key of a property written `name` in an object literal: snake_case when the literal is built for an
 * interface that declares the property (a TypedDict field), as written otherwise (data, anonymous objects).
 */
function fieldKey(ctx: Context, node: ts.ObjectLiteralExpression, target: ts.Type | null, name: string): string {
  const contextual = ctx.checker.getContextualType(node);
  const symbol =
    target?.getProperty(name) ??
    (contextual === undefined ? undefined : ctx.checker.getNonNullableType(contextual).getProperty(name));
  const declaration = symbol?.getDeclarations()?.[0];
  return declaration !== undefined && isRecordField(declaration) ? recordKeyName(name) : name;
}

function objectLiteral(ctx: Context, node: ts.ObjectLiteralExpression): py.Expr {
  const entries: py.DictEntry[] = [];
  const present = new Set<string>();
  let hasSpread = false;
  const target = targetInterface(ctx, node);
  for (const property of node.properties) {
    if (ts.isPropertyAssignment(property)) {
      const named =
        ts.isIdentifier(property.name) ||
        ts.isStringLiteral(property.name) ||
        ts.isNoSubstitutionTemplateLiteral(property.name);
      const key = named
        ? stringExpr(ctx, property.name, fieldKey(ctx, node, target, property.name.text))
        : propertyKey(ctx, property.name);
      entries.push({ key, value: ctx.expr(property.initializer) });
      if (!ts.isComputedPropertyName(property.name)) present.add(property.name.getText().replace(/^['"]|['"]$/g, ''));
    } else if (ts.isShorthandPropertyAssignment(property)) {
      const symbol = ctx.checker.getShorthandAssignmentValueSymbol(property);
      const value =
        symbol === undefined
          ? ctx.report(diagnostics.unsupportedSyntax(property, 'this shorthand property'))
          : narrowedReference(ctx, property.name, symbol, ctx.pythonNameOf(symbol, property.name));
      entries.push({ key: py.str(fieldKey(ctx, node, target, property.name.text)), value });
      present.add(property.name.text);
    } else if (ts.isSpreadAssignment(property)) {
      hasSpread = true;
      const type = ctx.checker.getNonNullableType(ctx.typeOf(property.expression));
      if (isClassInstanceType(type) || ctx.checker.isArrayType(type) || isMapType(type)) {
        entries.push({
          key: null,
          value: ctx.report(
            diagnostics.unsupportedSyntax(
              property,
              'spreading a class instance, array or Map into an object',
              'Spread only dict-like values (interfaces, Records)',
            ),
          ),
        });
      } else {
        entries.push({ key: null, value: ctx.expr(property.expression) });
      }
    } else {
      ctx.report(diagnostics.objectLiteralAccessor(property));
    }
  }
  if (!hasSpread && target !== null) {
    for (const symbol of target.getProperties()) {
      if ((symbol.flags & ts.SymbolFlags.Optional) !== 0 && !present.has(symbol.getName())) {
        entries.push({ key: py.str(fieldKey(ctx, node, target, symbol.getName())), value: py.none() });
      }
    }
  }
  return { kind: 'Dict', entries };
}

export const compoundLiteralVisitors: VisitorEntries = {
  expressions: [
    [
      ts.SyntaxKind.ArrayLiteralExpression,
      expression<ts.ArrayLiteralExpression>((node, ctx) => arrayLiteral(ctx, node)),
    ],
    [
      ts.SyntaxKind.ObjectLiteralExpression,
      expression<ts.ObjectLiteralExpression>((node, ctx) => objectLiteral(ctx, node)),
    ],
  ],
};
