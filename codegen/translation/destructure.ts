// Destructuring: `const [a, b] = t` unpacks a tuple of the same length directly; arrays (whose missing elements are
// undefined in JavaScript) read each element with array_item; objects read attributes or dict keys like `o.a`.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { localBindingName } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { arrayItem, memberForm } from './access';

function bindName(ctx: Context, name: ts.Identifier): py.Name {
  const pyName = localBindingName(name.text, name.parent);
  ctx.declareBinding(pyName, name.text, name);
  return py.name(pyName);
}

/** `a, b = value` when the pattern is plain names over a tuple type of exactly that length. */
export function simpleTupleTarget(ctx: Context, pattern: ts.BindingName, type: ts.Type): py.Expr | null {
  if (!ts.isArrayBindingPattern(pattern)) return null;
  const checker = ctx.checker;
  const parts = type.isUnion() ? null : type;
  if (parts === null || !checker.isTupleType(parts)) return null;
  const length = checker.getTypeArguments(parts as ts.TypeReference).length;
  if (pattern.elements.length !== length) return null;
  const names: py.Expr[] = [];
  for (const element of pattern.elements) {
    if (ts.isOmittedExpression(element)) {
      names.push(py.name('_'));
      continue;
    }
    if (element.dotDotDotToken !== undefined || element.initializer !== undefined) return null;
    if (ts.isIdentifier(element.name)) names.push(bindName(ctx, element.name));
    else {
      const nested = simpleTupleTarget(ctx, element.name, checker.getTypeAtLocation(element));
      if (nested === null) return null;
      names.push(nested);
    }
  }
  return py.tuple(names);
}

function withDefault(ctx: Context, target: py.Name, initializer: ts.Expression | undefined): py.Stmt[] {
  if (initializer === undefined) return [];
  return [py.ifStmt(py.compare(target, 'is', py.none()), [py.assign(target, ctx.expr(initializer))])];
}

/** Statements binding the names of `pattern` from `value` (of TS type `type`). */
export function destructure(ctx: Context, pattern: ts.BindingName, value: py.Expr, type: ts.Type): py.Stmt[] {
  if (ts.isIdentifier(pattern)) return [py.assign(bindName(ctx, pattern), value)];
  const simple = simpleTupleTarget(ctx, pattern, type);
  if (simple !== null) return [py.assign(simple, value)];
  const out: py.Stmt[] = [];
  let source = value;
  if (value.kind !== 'Name') {
    const temp = ctx.fresh('d');
    out.push(py.assign(py.name(temp), value));
    source = py.name(temp);
  }
  const checker = ctx.checker;
  const nonNull = checker.getNonNullableType(type);
  if (ts.isArrayBindingPattern(pattern)) {
    const isTuple = checker.isTupleType(nonNull);
    pattern.elements.forEach((element, i) => {
      if (ts.isOmittedExpression(element)) return;
      if (element.dotDotDotToken !== undefined) {
        const rest = py.subscript(source, { kind: 'Slice', lower: py.int(i), upper: null });
        if (!ts.isIdentifier(element.name)) {
          ctx.report(diagnostics.unsupportedSyntax(element, 'a nested pattern after `...`', 'Bind the rest to a name'));
          return;
        }
        out.push(py.assign(bindName(ctx, element.name), isTuple ? py.call(py.name('list'), [rest]) : rest));
        return;
      }
      const item = isTuple ? py.subscript(source, py.int(i)) : arrayItem(ctx, source, py.int(i));
      const elementType = checker.getTypeAtLocation(element);
      if (ts.isIdentifier(element.name)) {
        const target = bindName(ctx, element.name);
        out.push(py.assign(target, item), ...withDefault(ctx, target, element.initializer));
      } else {
        out.push(...destructure(ctx, element.name, item, elementType));
      }
    });
    return out;
  }
  for (const element of pattern.elements) {
    if (element.dotDotDotToken !== undefined) {
      ctx.report(
        diagnostics.unsupportedSyntax(element, 'an object rest pattern `...rest`', 'Read the properties you need'),
      );
      continue;
    }
    const keyNode = element.propertyName ?? element.name;
    if (!ts.isIdentifier(keyNode) && !ts.isStringLiteral(keyNode)) {
      ctx.report(diagnostics.unsupportedSyntax(element, 'a computed key in a pattern'));
      continue;
    }
    const key = keyNode.text;
    const form = memberForm(ctx, nonNull.getProperty(key), key);
    let item: py.Expr;
    if (form.kind === 'attribute') item = py.attr(source, form.name);
    else if (form.kind === 'key') item = py.subscript(source, py.str(form.key));
    else {
      ctx.report(
        diagnostics.unsupportedSyntax(
          element,
          `destructuring \`${key}\` from a builtin or mixed type`,
          'Read the property explicitly',
        ),
      );
      continue;
    }
    if (ts.isIdentifier(element.name)) {
      const target = bindName(ctx, element.name);
      out.push(py.assign(target, item), ...withDefault(ctx, target, element.initializer));
    } else {
      out.push(...destructure(ctx, element.name, item, checker.getTypeAtLocation(element)));
    }
  }
  return out;
}
