// Finds the one builtin module that maps a member, a namespace call, a global function, constructor or value.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { isLibFile } from '../type-queries';
import { arrayBuiltins } from './array';
import type { BuiltinModule, GlobalMapping, MethodMapping, PropertyMapping } from './common';
import { errorBuiltins } from './error';
import { jsonBuiltins } from './json';
import { mapBuiltins } from './map';
import { mathBuiltins } from './math';
import { numberBuiltins } from './number';
import { objectBuiltins } from './object';
import { promiseBuiltins } from './promise';
import { setBuiltins } from './set';
import { stringBuiltins } from './string';

/** Receiver-owning modules first in an order where ownership never overlaps (a type is one of these at most). */
export const BUILTIN_MODULES: readonly BuiltinModule[] = [
  stringBuiltins,
  numberBuiltins,
  arrayBuiltins,
  mapBuiltins,
  setBuiltins,
  errorBuiltins,
  promiseBuiltins,
  mathBuiltins,
  jsonBuiltins,
  objectBuiltins,
];

/** The module owning members of `type` (the non-nullable receiver type), or null for user types. */
export function ownerOf(ctx: Context, type: ts.Type): BuiltinModule | null {
  const parts = type.isUnion() ? type.types : [type];
  for (const module of BUILTIN_MODULES) {
    if (module.owns !== undefined && parts.every((t) => module.owns!(ctx, t))) return module;
  }
  return null;
}

export function builtinMethod(module: BuiltinModule, name: string): MethodMapping | undefined {
  return Object.prototype.hasOwnProperty.call(module.methods ?? {}, name) ? module.methods![name] : undefined;
}

export function builtinProperty(module: BuiltinModule, name: string): PropertyMapping | undefined {
  return Object.prototype.hasOwnProperty.call(module.properties ?? {}, name) ? module.properties![name] : undefined;
}

/** A global (lib-declared) identifier: `Math`, `JSON`, `String`, `Error`, ... */
export function isGlobalName(ctx: Context, node: ts.Identifier): boolean {
  const symbol = ctx.checker.getSymbolAtLocation(node);
  const declarations = symbol?.getDeclarations() ?? [];
  return declarations.length > 0 && declarations.every((d) => isLibFile(d.getSourceFile().fileName));
}

function find<T>(pick: (m: BuiltinModule) => Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  for (const module of BUILTIN_MODULES) {
    const table = pick(module);
    if (table !== undefined && Object.prototype.hasOwnProperty.call(table, name)) return table[name];
  }
  return undefined;
}

export function namespaceCall(namespace: string, member: string): GlobalMapping | undefined {
  const ns = find((m) => m.namespaces, namespace);
  return ns?.calls !== undefined && Object.prototype.hasOwnProperty.call(ns.calls, member)
    ? ns.calls[member]
    : undefined;
}

export function namespaceValue(
  namespace: string,
  member: string,
): ((ctx: Context, node: ts.Node) => import('../python-ast').Expr) | undefined {
  const ns = find((m) => m.namespaces, namespace);
  return ns?.values !== undefined && Object.prototype.hasOwnProperty.call(ns.values, member)
    ? ns.values[member]
    : undefined;
}

export function isNamespace(name: string): boolean {
  return find((m) => m.namespaces, name) !== undefined;
}

export const globalFunction = (name: string): GlobalMapping | undefined => find((m) => m.functions, name);
export const globalConstructor = (name: string): GlobalMapping | undefined => find((m) => m.constructors, name);
export const globalValue = (
  name: string,
): ((ctx: Context, node: ts.Node) => import('../python-ast').Expr) | undefined => find((m) => m.values, name);
