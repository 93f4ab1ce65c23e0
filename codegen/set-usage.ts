// Which Set bindings may be Python sets. A JavaScript Set iterates in insertion order and a Python set does not, so a
// Set is a `dict[T, None]` (whose keys keep that order) unless its order can never be observed: a binding (variable,
// class field, parameter) whose every use, anywhere in src/, is membership: `s.has(x)`, `s.size`, `s.add(x)`,
// `s.delete(x)`, `s.clear()` as statements, assigning `new Set(...)` to it, or passing it to a parameter that is itself
// such a binding. Anything else (iterating, spreading, `Array.from`, `values()`, returning it, storing it elsewhere,
// comparing it, passing it to a parameter that is not one) keeps the ordered dict. A parameter is one only when every
// call in src/ passes a Python set (`new Set(...)` or such a binding), its function is never used as a value, and it
// is not an override of, or overridden by, another src/ method; a method overriding a port class method receives
// what the host passes (multicorn2 passes `columns` as a Python set). The analysis runs to a fixed point, so a
// binding passed to a parameter that turns out to be an ordered dict is one too.
import { ts } from 'ts-morph';
import { portOf } from './ports';
import { skipOuterExpressions } from './syntax';
import { isLibFile, isSetType, nonNullableParts } from './type-queries';

/** How a Python-set binding is typed: `set[T]`, or `AbstractSet[T]` for a parameter that is only read. */
export type SetForm = 'set' | 'abstract';

export interface SetUsage {
  /** The Python form of the binding a symbol names, or undefined when it is an ordered dict (or not a Set). */
  formOf(symbol: ts.Symbol | undefined): SetForm | undefined;
  /** Whether a `new Set(...)` expression is stored in a Python-set binding (or passed to a Python-set parameter). */
  isSetPosition(node: ts.NewExpression): boolean;
}

interface Candidate {
  declaration: ts.VariableDeclaration | ts.PropertyDeclaration | ts.ParameterDeclaration;
  isParameter: boolean;
  /** The use demands a mutable set (add, delete, clear, assignment). */
  mutated: boolean;
}

function isNewSet(checker: ts.TypeChecker, node: ts.Expression | undefined): node is ts.NewExpression {
  if (node === undefined) return false;
  const inner = skipOuterExpressions(node);
  if (!ts.isNewExpression(inner) || !ts.isIdentifier(inner.expression) || inner.expression.text !== 'Set') return false;
  const declarations = checker.getSymbolAtLocation(inner.expression)?.getDeclarations() ?? [];
  return declarations.length > 0 && declarations.every((d) => isLibFile(d.getSourceFile().fileName));
}

function isSetDeclaration(checker: ts.TypeChecker, declaration: ts.Node): boolean {
  const parts = nonNullableParts(checker.getTypeAtLocation(declaration));
  return parts.length > 0 && parts.every(isSetType);
}

/** The expression a reference to a binding stands in: `x` itself, or `o.x` for a field read through an object. */
function referenceExpression(identifier: ts.Identifier): ts.Expression {
  let node: ts.Expression =
    ts.isPropertyAccessExpression(identifier.parent) && identifier.parent.name === identifier
      ? identifier.parent
      : identifier;
  while (
    ts.isParenthesizedExpression(node.parent) ||
    ts.isNonNullExpression(node.parent) ||
    ts.isAsExpression(node.parent) ||
    ts.isSatisfiesExpression(node.parent)
  ) {
    node = node.parent;
  }
  return node;
}

const MEMBERSHIP = new Set(['has']);
const MUTATIONS = new Set(['add', 'delete', 'clear']);

export function analyzeSetUsage(checker: ts.TypeChecker, files: readonly ts.SourceFile[]): SetUsage {
  const candidates = new Map<ts.Symbol, Candidate>();
  /** The symbol a name refers to, through imports (`import { S } from './m'` names m's S). */
  const resolved = (symbol: ts.Symbol | undefined): ts.Symbol | undefined =>
    symbol !== undefined && (symbol.flags & ts.SymbolFlags.Alias) !== 0 ? checker.getAliasedSymbol(symbol) : symbol;
  const symbolOf = (node: ts.Node): ts.Symbol | undefined => {
    const name = (node as ts.NamedDeclaration).name;
    return name === undefined ? undefined : checker.getSymbolAtLocation(name);
  };
  // 1. Set-typed bindings that start as a new Set (or as whatever a caller passes, for parameters).
  const visitDeclarations = (node: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node)) &&
      ts.isIdentifier(node.name) &&
      isSetDeclaration(checker, node)
    ) {
      const symbol = symbolOf(node);
      if (symbol !== undefined && (node.initializer === undefined || isNewSet(checker, node.initializer))) {
        candidates.set(symbol, { declaration: node, isParameter: false, mutated: false });
      }
    } else if (
      ts.isParameter(node) &&
      ts.isIdentifier(node.name) &&
      node.dotDotDotToken === undefined &&
      isSetDeclaration(checker, node)
    ) {
      const symbol = symbolOf(node);
      // A parameter property is also a field; keeping it an ordered dict is the simple answer.
      if (symbol !== undefined && (ts.getModifiers(node) ?? []).length === 0) {
        candidates.set(symbol, { declaration: node, isParameter: true, mutated: false });
      }
    }
    ts.forEachChild(node, visitDeclarations);
  };
  for (const file of files) visitDeclarations(file);

  // Uses that pass a binding to a parameter: the argument's binding stays a set only if the parameter does.
  const passes: Array<{ from: ts.Symbol; to: ts.Symbol | null }> = [];
  const demoted = new Set<ts.Symbol>();
  const demote = (symbol: ts.Symbol): void => {
    demoted.add(symbol);
  };
  // Arguments of parameter candidates: each must be a new Set or a candidate binding.
  const argumentsOf = new Map<ts.Symbol, ts.Expression[]>();

  const parameterSymbol = (call: ts.CallExpression | ts.NewExpression, index: number): ts.Symbol | null => {
    const declaration = checker.getResolvedSignature(call)?.getDeclaration();
    if (declaration === undefined || !ts.isFunctionLike(declaration)) return null;
    const parameter = declaration.parameters[index];
    if (parameter === undefined || parameter.dotDotDotToken !== undefined) return null;
    return symbolOf(parameter) ?? null;
  };

  const classify = (symbol: ts.Symbol, candidate: Candidate, reference: ts.Expression): void => {
    const parent = reference.parent;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === reference) {
      const member = parent.name.text;
      if (member === 'size') return;
      const call = parent.parent;
      if (ts.isCallExpression(call) && call.expression === parent) {
        if (MEMBERSHIP.has(member)) return;
        if (MUTATIONS.has(member) && ts.isExpressionStatement(call.parent)) {
          candidate.mutated = true;
          return;
        }
      }
      demote(symbol);
      return;
    }
    if (
      ts.isBinaryExpression(parent) &&
      parent.left === reference &&
      parent.operatorToken.kind === ts.SyntaxKind.EqualsToken
    ) {
      if (isNewSet(checker, parent.right)) {
        candidate.mutated = true;
        return;
      }
      demote(symbol);
      return;
    }
    if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
      const args: readonly ts.Expression[] = parent.arguments ?? [];
      if (args.includes(reference)) {
        passes.push({ from: symbol, to: parameterSymbol(parent, args.indexOf(reference)) });
        return;
      }
    }
    demote(symbol);
  };

  // 2. Every reference, every call passing something to a parameter candidate, every function used as a value.
  const visitUses = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !ts.isImportSpecifier(node.parent) && !ts.isExportSpecifier(node.parent)) {
      const symbol = resolved(checker.getSymbolAtLocation(node));
      const candidate = symbol === undefined ? undefined : candidates.get(symbol);
      const declaration = candidate?.declaration;
      if (symbol !== undefined && candidate !== undefined && declaration !== undefined && node !== declaration.name) {
        classify(symbol, candidate, referenceExpression(node));
      }
      // A function or method used as a value may be called with anything.
      const fn = symbol?.valueDeclaration;
      const reference = referenceExpression(node);
      const called = ts.isCallExpression(reference.parent) && reference.parent.expression === reference;
      if (fn !== undefined && ts.isFunctionLike(fn) && !called && node !== (fn as ts.NamedDeclaration).name) {
        for (const p of fn.parameters) {
          const s = symbolOf(p);
          if (s !== undefined && candidates.has(s)) demote(s);
        }
      }
    }
    if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
      const name = node.propertyName ?? node.name;
      if (ts.isIdentifier(name)) {
        const property = checker.getTypeAtLocation(node.parent).getProperty(name.text);
        if (property !== undefined && candidates.has(property)) demote(property);
      }
    }
    if (ts.isShorthandPropertyAssignment(node)) {
      const symbol = checker.getShorthandAssignmentValueSymbol(node);
      if (symbol !== undefined && candidates.has(symbol)) demote(symbol);
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      (node.arguments ?? []).forEach((argument, i) => {
        const parameter = parameterSymbol(node, i);
        if (parameter === null || !candidates.has(parameter)) return;
        const list = argumentsOf.get(parameter) ?? [];
        list.push(argument);
        argumentsOf.set(parameter, list);
      });
    }
    ts.forEachChild(node, visitUses);
  };
  for (const file of files) visitUses(file);

  // Parameters of methods that override, or are overridden by, another src/ method are called through either one.
  for (const [symbol, candidate] of candidates) {
    if (!candidate.isParameter) continue;
    const method = candidate.declaration.parent;
    if (!ts.isMethodDeclaration(method) || !ts.isClassDeclaration(method.parent) || method.name === undefined) continue;
    const name = method.name.getText();
    const classType = checker.getTypeAtLocation(method.parent);
    const bases = classType.getBaseTypes() ?? [];
    const overridden = bases.flatMap((b) => b.getProperty(name)?.getDeclarations() ?? []);
    const fromPort = overridden.length > 0 && overridden.every((d) => portOf(d.getSourceFile().fileName) !== null);
    if (overridden.length > 0 && !fromPort) demote(symbol);
    const isOverriddenInSrc = files.some((file) => {
      let found = false;
      const visit = (n: ts.Node): void => {
        if (found) return;
        if (ts.isClassDeclaration(n) && n !== method.parent && n.heritageClauses !== undefined) {
          const derived = checker.getTypeAtLocation(n);
          const inherits = (derived.getBaseTypes() ?? []).some((b) => b.getSymbol() === classType.getSymbol());
          if (inherits && n.members.some((m) => m.name !== undefined && m.name.getText() === name)) found = true;
        }
        ts.forEachChild(n, visit);
      };
      visit(file);
      return found;
    });
    if (isOverriddenInSrc) demote(symbol);
  }

  // 3. Fixed point: a binding passed to a parameter stays a set only if the parameter does, and a parameter only if
  // every argument it receives is a new Set or a set binding.
  const referencedSymbol = (argument: ts.Expression): ts.Symbol | undefined => {
    const inner = skipOuterExpressions(argument);
    if (ts.isIdentifier(inner)) return resolved(checker.getSymbolAtLocation(inner));
    if (ts.isPropertyAccessExpression(inner)) return resolved(checker.getSymbolAtLocation(inner.name));
    return undefined;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const { from, to } of passes) {
      if (!demoted.has(from) && (to === null || !candidates.has(to) || demoted.has(to))) {
        demote(from);
        changed = true;
      }
    }
    for (const [parameter, args] of argumentsOf) {
      if (demoted.has(parameter)) continue;
      const ok = args.every((a) => {
        if (isNewSet(checker, a)) return true;
        const symbol = referencedSymbol(a);
        return symbol !== undefined && candidates.has(symbol) && !demoted.has(symbol);
      });
      if (!ok) {
        demote(parameter);
        changed = true;
      }
    }
  }

  const forms = new Map<ts.Symbol, SetForm>();
  for (const [symbol, candidate] of candidates) {
    if (demoted.has(symbol)) continue;
    forms.set(symbol, candidate.isParameter && !candidate.mutated ? 'abstract' : 'set');
  }
  return {
    formOf: (symbol) => {
      const target = resolved(symbol);
      return target === undefined ? undefined : forms.get(target);
    },
    isSetPosition: (node) => {
      let current: ts.Node = node;
      while (
        ts.isParenthesizedExpression(current.parent) ||
        ts.isAsExpression(current.parent) ||
        ts.isSatisfiesExpression(current.parent)
      )
        current = current.parent;
      const parent = current.parent;
      if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent)) && parent.initializer === current)
        return forms.has(symbolOf(parent)!);
      if (
        ts.isBinaryExpression(parent) &&
        parent.right === current &&
        parent.operatorToken.kind === ts.SyntaxKind.EqualsToken
      ) {
        const symbol = referencedSymbol(parent.left);
        return symbol !== undefined && forms.has(symbol);
      }
      if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
        const args: readonly ts.Node[] = parent.arguments ?? [];
        if (!args.includes(current)) return false;
        const parameter = parameterSymbol(parent, args.indexOf(current));
        return parameter !== null && forms.has(parameter);
      }
      return false;
    },
  };
}
