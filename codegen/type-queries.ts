// Questions about TypeScript types that decide which Python form an expression takes (str vs list vs dict vs
// object attribute). Pure functions of the checker; no emitting here.
import { ts } from 'ts-morph';

export function unionParts(type: ts.Type): ts.Type[] {
  return type.isUnion() ? type.types : [type];
}

/** A type parameter stands for its constraint (`T extends string` is a string). */
export function resolveTypeParameter(type: ts.Type): ts.Type {
  if ((type.flags & ts.TypeFlags.TypeParameter) !== 0) {
    const constraint = (type as ts.TypeParameter).getConstraint();
    if (constraint !== undefined) return constraint;
  }
  return type;
}

function every(type: ts.Type, predicate: (t: ts.Type) => boolean): boolean {
  return unionParts(resolveTypeParameter(type)).every((t) => predicate(resolveTypeParameter(t)));
}

export function isNullish(type: ts.Type): boolean {
  return (type.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0;
}

export function nonNullableParts(type: ts.Type): ts.Type[] {
  return unionParts(type).filter((t) => !isNullish(t));
}

export function includesNullish(type: ts.Type): boolean {
  return unionParts(type).some(isNullish);
}

/** A union of literal types (`'a' | 'b'`, `1 | 2`), optionally with null/undefined. */
export function isLiteralUnion(type: ts.Type): boolean {
  const parts = nonNullableParts(type);
  return (
    parts.length > 0 &&
    parts.every(
      (t) =>
        (t.flags &
          (ts.TypeFlags.StringLiteral |
            ts.TypeFlags.NumberLiteral |
            ts.TypeFlags.BooleanLiteral |
            ts.TypeFlags.EnumLiteral)) !==
        0,
    )
  );
}

export function isAny(type: ts.Type): boolean {
  return (type.flags & ts.TypeFlags.Any) !== 0;
}

export function isStringType(type: ts.Type): boolean {
  return every(type, (t) => (t.flags & ts.TypeFlags.StringLike) !== 0);
}

export function isNumberType(type: ts.Type): boolean {
  return every(type, (t) => (t.flags & ts.TypeFlags.NumberLike) !== 0);
}

export function isBooleanType(type: ts.Type): boolean {
  return every(type, (t) => (t.flags & ts.TypeFlags.BooleanLike) !== 0);
}

/** Types whose Python truthiness equals JavaScript's: strings, numbers, booleans, and null/undefined. */
export function isPrimitiveOrNullish(type: ts.Type): boolean {
  return every(
    type,
    (t) =>
      isNullish(t) ||
      (t.flags &
        (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.EnumLike)) !==
        0,
  );
}

/** True when `fileName` is part of TypeScript's own lib (lib.es2022.d.ts, ...) or @types/node. */
export function isLibFile(fileName: string): boolean {
  return /\/node_modules\/(typescript\/lib|@types)\//.test(fileName);
}

export function isPortFile(fileName: string): boolean {
  return /\/src\/ports\/[^/]+\.ts$/.test(fileName);
}

/** The name of the lib symbol behind an object type (Map, Set, Array, Promise, Uint8Array, ...), or null. */
export function libSymbolName(type: ts.Type): string | null {
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol === undefined) return null;
  const declarations = symbol.getDeclarations() ?? [];
  if (declarations.length === 0) return null;
  if (!declarations.every((d) => isLibFile(d.getSourceFile().fileName))) return null;
  return symbol.getName();
}

export function isArrayType(checker: ts.TypeChecker, type: ts.Type): boolean {
  return checker.isArrayType(type);
}

export function isTupleType(checker: ts.TypeChecker, type: ts.Type): boolean {
  return checker.isTupleType(type);
}

export function isMapType(type: ts.Type): boolean {
  const name = libSymbolName(type);
  return name === 'Map' || name === 'ReadonlyMap';
}

export function isSetType(type: ts.Type): boolean {
  const name = libSymbolName(type);
  return name === 'Set' || name === 'ReadonlySet';
}

export function isBytesType(type: ts.Type): boolean {
  return libSymbolName(type) === 'Uint8Array';
}

/** `Record<string, V>` and `{ [key: string]: V }`: Python dicts keyed by data. */
export function isRecordType(checker: ts.TypeChecker, type: ts.Type): boolean {
  if ((type.flags & ts.TypeFlags.Object) === 0) return false;
  if (checker.isArrayType(type) || checker.isTupleType(type) || isClassInstanceType(type)) return false;
  const lib = libSymbolName(type);
  if (lib !== null && lib !== 'Record' && lib !== '__type') return false;
  return checker.getIndexInfosOfType(type).length > 0 && type.getProperties().length === 0;
}

export function isClassInstanceType(type: ts.Type): boolean {
  const symbol = type.getSymbol();
  return symbol !== undefined && (symbol.flags & ts.SymbolFlags.Class) !== 0;
}

/** Whether an object type is (or derives from) the lib `Error` class. */
export function isErrorType(checker: ts.TypeChecker, type: ts.Type): boolean {
  const seen = new Set<ts.Type>();
  const visit = (t: ts.Type): boolean => {
    if (seen.has(t)) return false;
    seen.add(t);
    const name = libSymbolName(t);
    if (name === 'Error' || name === 'TypeError' || name === 'RangeError') return true;
    if (!t.isClassOrInterface()) {
      const symbol = t.getSymbol();
      if (symbol === undefined || (symbol.flags & ts.SymbolFlags.Class) === 0) return false;
      const declared = checker.getDeclaredTypeOfSymbol(symbol);
      return declared !== t && visit(declared);
    }
    return (checker.getBaseTypes(t as ts.InterfaceType) ?? []).some(visit);
  };
  return nonNullableParts(type).length > 0 && nonNullableParts(type).every(visit);
}

/** Object types that hold values as Python objects would (arrays, maps, sets, class instances, dicts). */
export function isObjectType(type: ts.Type): boolean {
  return (type.flags & (ts.TypeFlags.Object | ts.TypeFlags.NonPrimitive | ts.TypeFlags.Intersection)) !== 0;
}

export function typeText(checker: ts.TypeChecker, type: ts.Type): string {
  return checker.typeToString(type);
}

/** Describes a type for a diagnostic: "a number", "an array", "a Map", ... */
export function describeType(checker: ts.TypeChecker, type: ts.Type): string {
  if (isStringType(type)) return 'string';
  if (isNumberType(type)) return 'number';
  if (isBooleanType(type)) return 'boolean';
  if (checker.isArrayType(type)) return 'array';
  if (isMapType(type)) return 'Map';
  if (isSetType(type)) return 'Set';
  return `\`${checker.typeToString(type)}\``;
}
