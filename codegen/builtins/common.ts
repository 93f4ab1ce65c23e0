// Shapes shared by the builtin modules: each JS global, static or method is mapped in exactly one module, and
// builtins/index.ts finds the module that owns a receiver type or a global name.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { REFUSED } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { stringLiteralText } from '../syntax';

export interface MethodCall {
  ctx: Context;
  node: ts.CallExpression;
  /** The receiver, already translated (for statics: the namespace, unused). */
  receiver: py.Expr;
  receiverNode: ts.Expression;
  method: string;
  args: readonly ts.Expression[];
  /** The call is an expression statement: its value is dropped. */
  discarded: boolean;
  /** Under a non-null assertion: the author asserts the result is not undefined. */
  asserted: boolean;
}

/** A mapped call: an expression, or statements when the Python form is a statement (`m[k] = v`). */
export type MethodResult = py.Expr | { statements: py.Stmt[] };
export type MethodMapping = (call: MethodCall) => MethodResult;

export interface PropertyRead {
  ctx: Context;
  node: ts.PropertyAccessExpression;
  receiver: py.Expr;
  asserted: boolean;
}
export type PropertyMapping = (read: PropertyRead) => py.Expr;

export interface GlobalCall {
  ctx: Context;
  node: ts.CallExpression | ts.NewExpression;
  args: readonly ts.Expression[];
  discarded: boolean;
}
export type GlobalMapping = (call: GlobalCall) => MethodResult;

export interface BuiltinModule {
  /** Whether this module maps the members of values of this (non-nullable) receiver type. */
  owns?: (ctx: Context, type: ts.Type) => boolean;
  /** What the diagnostic calls the receiver ("string", "array"). */
  receiverName?: string;
  methods?: Readonly<Record<string, MethodMapping>>;
  properties?: Readonly<Record<string, PropertyMapping>>;
  /** Global namespaces this module owns (`Math`, `JSON`): `Math.floor(x)` and `Math.PI`. */
  namespaces?: Readonly<
    Record<
      string,
      {
        calls?: Readonly<Record<string, GlobalMapping>>;
        values?: Readonly<Record<string, (ctx: Context, node: ts.Node) => py.Expr>>;
      }
    >
  >;
  /** Global functions (`String(x)`, `parseInt(s)`). */
  functions?: Readonly<Record<string, GlobalMapping>>;
  /** Global constructors (`new Map()`, `new Error(m)`). */
  constructors?: Readonly<Record<string, GlobalMapping>>;
  /** Global values referenced by name (`Infinity`, `Error` in `instanceof Error`). */
  values?: Readonly<Record<string, (ctx: Context, node: ts.Node) => py.Expr>>;
}

/** The translated argument `i`; spread arguments are refused here (mappings that accept them check first). */
export function arg(call: { ctx: Context; args: readonly ts.Expression[] }, i: number): py.Expr {
  const node = call.args[i];
  if (node === undefined) return REFUSED;
  if (ts.isSpreadElement(node)) {
    return call.ctx.report(
      diagnostics.unsupportedSyntax(node, 'a spread argument to this builtin', 'Pass the arguments one by one'),
    );
  }
  return call.ctx.expr(node);
}

export function refuseArity(
  call: { ctx: Context; node: ts.Node; args: readonly ts.Expression[] },
  name: string,
  allowed: number[],
): py.Expr | null {
  if (allowed.includes(call.args.length)) return null;
  return call.ctx.report(
    diagnostics.unsupportedBuiltin(
      call.node,
      name,
      `is mapped only with ${allowed.join(' or ')} argument(s)`,
      'Call it with the supported arguments',
    ),
  );
}

/** Refuses using the value of a call whose Python form is a statement. */
export function statementOnly(call: MethodCall, statements: py.Stmt[]): MethodResult {
  if (!call.discarded) return call.ctx.report(diagnostics.valueUsed(call.node, `${call.method}(...)`));
  return { statements };
}

export function method(receiver: py.Expr, name: string, args: py.Expr[] = [], keywords: py.Keyword[] = []): py.Call {
  return py.call(py.attr(receiver, name), args, keywords);
}

/** The literal text of a string-literal argument, or null. */
export const literalString = stringLiteralText;

export const len = (value: py.Expr): py.Expr => py.call(py.name('len'), [value]);
