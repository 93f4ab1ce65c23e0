// The transformation context: one per emitted module. It dispatches TS nodes to the visitor table, collects
// diagnostics and imports, and tracks the Python scopes (temporaries, hoisted functions, global/nonlocal, loops).
import { ts } from 'ts-morph';
import { CommentNamer } from './comment-names';
import {
  blankLineBefore,
  danglingComments,
  headerComment,
  leadingComments,
  pythonizeComment,
  trailingComment,
  type SourceComment,
} from './comments';
import type { CompileContext } from './compile-context';
import { diagnostics, type Diagnostic } from './diagnostics';
import { ImportCollector } from './imports';
import { docstringOf, jsDocsOf, jsDocText } from './jsdoc';
import { bindingProblem, EMITTED_BUILTINS, snakeCase } from './names';
import { portOf, resolvePortExport, type PortBinding, type PortExportKind, type StdlibModule, PACKAGE } from './ports';
import * as py from './python-ast';
import { isAny } from './type-queries';

/** How an expression is used: as an assignment target, under a non-null assertion `!`, or with its value dropped. */
export interface ExprOptions {
  target?: boolean;
  asserted?: boolean;
}

export type ExpressionVisitor = (node: ts.Node, ctx: Context, options: ExprOptions) => py.Expr;
export type StatementVisitor = (node: ts.Node, ctx: Context) => py.Stmt[];

export interface VisitorTable {
  expressions: ReadonlyMap<ts.SyntaxKind, ExpressionVisitor>;
  statements: ReadonlyMap<ts.SyntaxKind, StatementVisitor>;
}

/** A Python function (or module, or class body) scope. */
export interface PythonScope {
  kind: 'module' | 'function' | 'class';
  node: ts.Node;
  /** Python name -> the TS declarations bound to it in this scope (to refuse block-scoped shadowing). */
  bindings: Map<string, ts.Node[]>;
  globals: Set<string>;
  nonlocals: Set<string>;
  counters: Map<string, number>;
  /** Names already annotated in this scope (mypy refuses a second annotation of the same name). */
  annotated: Set<string>;
}

/** A loop or switch being emitted: what `continue` must run first, and whether `break` is allowed. */
export interface BreakableFrame {
  kind: 'loop' | 'switch';
  node: ts.Node;
  /** Statements emitted before each `continue` that targets this loop (a classic for's incrementor). */
  continuePrefix: py.Stmt[];
}

export interface ClassFrame {
  node: ts.ClassDeclaration;
  name: string;
  isStatic: boolean;
}

export const REFUSED = py.name('__refused__');

export class Context {
  readonly imports = new ImportCollector();
  readonly diagnostics: Diagnostic[] = [];
  private readonly scopes: PythonScope[] = [];
  private readonly preambles: py.Stmt[][] = [];
  readonly breakables: BreakableFrame[] = [];
  readonly classes: ClassFrame[] = [];
  /** Module-level TypeVars the module needs: name -> bound hint (`T = TypeVar('T', bound=str)`), null when unbounded. */
  readonly typeVars = new Map<string, string | null>();
  /** Names re-exported by this module (index.ts), for `__all__`. */
  readonly reexports = new Set<string>();
  /** Symbols of `for (let i = 0; i < a.length; i++)` index variables -> the symbol of `a`: `a[i] = v` is in range. */
  readonly rangeIndexes = new Map<ts.Symbol, ts.Symbol>();
  private readonly reportedAny = new Set<ts.Node>();
  /** Declarations whose JSDoc became a docstring (and is therefore not repeated as a comment). */
  private readonly documented = new Set<ts.Node>();
  private readonly namer: CommentNamer;
  /** Where the file's header comment (the module docstring) ends. */
  readonly headerEnd: number;
  private readonly nameCache = new Map<ts.Symbol, string>();

  readonly checker: ts.TypeChecker;

  constructor(
    /** The compilation this module is part of (paths, module names, project-wide analyses). */
    readonly compile: CompileContext,
    readonly sourceFile: ts.SourceFile,
    /** Dotted Python module of this file (`pymcache_fdw.keys`). */
    readonly moduleName: string,
    readonly isPackageInit: boolean,
    private readonly visitors: VisitorTable,
  ) {
    this.checker = compile.checker;
    this.scopes.push(newScope('module', sourceFile));
    this.namer = new CommentNamer(sourceFile, this.checker, compile.projectNames);
    this.headerEnd = headerComment(sourceFile)?.end ?? 0;
  }

  // ---- diagnostics ----

  report(diagnostic: Diagnostic): py.Expr {
    const duplicate = this.diagnostics.some(
      (d) =>
        d.file === diagnostic.file &&
        d.line === diagnostic.line &&
        d.column === diagnostic.column &&
        d.code === diagnostic.code,
    );
    if (!duplicate) this.diagnostics.push(diagnostic);
    return REFUSED;
  }

  // ---- dispatch ----

  expr(node: ts.Expression, options: ExprOptions = {}): py.Expr {
    this.checkAny(node);
    const visitor = this.visitors.expressions.get(node.kind);
    if (visitor === undefined) {
      return this.report(diagnostics.unsupportedSyntax(node, `the expression kind ${ts.SyntaxKind[node.kind]}`));
    }
    return visitor(node, this, options);
  }

  /** A statement plus whatever its expressions hoisted (nested defs) in front of it. */
  stmt(node: ts.Statement): py.Stmt[] {
    const visitor = this.visitors.statements.get(node.kind);
    if (visitor === undefined) {
      this.report(diagnostics.unsupportedSyntax(node, `the statement kind ${ts.SyntaxKind[node.kind]}`));
      return [];
    }
    this.preambles.push([]);
    const result = visitor(node, this);
    const hoisted = this.preambles.pop()!;
    return this.commented(node, [...hoisted, ...result]);
  }

  /**
   * Statements (from `from` on), with the comments left after the last one (when `statements` are a whole block of
   * the source).
   */
  block(statements: readonly ts.Statement[], from = 0): py.Stmt[] {
    const out = statements.slice(from).flatMap((s) => this.stmt(s));
    if (isNodeArray(statements))
      out.push(...this.commentStmts(danglingComments(statements, this.sourceFile), statements[0] ?? this.sourceFile));
    return out;
  }

  // ---- comments and docstrings ----

  /** A comment's text for a Python reader: names as the emitter writes them at `at` (comments.ts). */
  pythonize(text: string, at: ts.Node): string {
    return pythonizeComment(text, (word) => this.namer.nameAt(word, at));
  }

  /** The docstring of a declaration's JSDoc (names resolved inside `scope`); its JSDoc is not repeated as a comment. */
  docstring(node: ts.Node, scope: ts.Node = node): string | null {
    const text = docstringOf(node);
    if (text === null) return null;
    this.documented.add(node);
    return this.pythonize(text, scope);
  }

  /**
   * `#` comment statements for source comments before `at`; a JSDoc comment keeps its tags as reST fields. A run of
   * `//` lines, one under the other, is one comment (one paragraph for the printer to refill).
   */
  commentStmts(comments: readonly SourceComment[], at: ts.Node): py.Stmt[] {
    const docs = jsDocsOf(at);
    const out: py.Comment[] = [];
    for (const comment of comments) {
      const doc = comment.jsDoc ? docs.find((d) => d.pos === comment.pos) : undefined;
      const text = doc === undefined ? comment.lines.join('\n') : (jsDocText(doc) ?? '');
      const lines = this.pythonize(text, at).split('\n');
      const last = out[out.length - 1];
      if (last !== undefined && comment.continuesLine)
        out[out.length - 1] = { ...last, lines: [...last.lines, ...lines] };
      else out.push({ ...py.comment(lines), ...(comment.blankBefore ? { blankBefore: true } : {}) });
    }
    return out;
  }

  /** The comments before a statement or class member, as statements (minus its JSDoc when that is its docstring). */
  commentsBefore(node: ts.Node): py.Stmt[] {
    const parent = node.parent as ts.Node | undefined;
    const siblings =
      parent === undefined
        ? undefined
        : ((parent as { statements?: ts.NodeArray<ts.Node>; members?: ts.NodeArray<ts.Node> }).statements ??
          (parent as { members?: ts.NodeArray<ts.Node> }).members);
    const first = siblings !== undefined && siblings[0] === node && !ts.isSourceFile(parent!);
    const docstringDoc = this.documented.has(node) ? jsDocsOf(node).slice(-1)[0] : undefined;
    const comments = leadingComments(node, { afterOpeningBrace: first, after: this.headerEnd }).filter(
      (c) => docstringDoc === undefined || c.pos !== docstringDoc.pos,
    );
    return this.commentStmts(comments, node);
  }

  /** The translation of a class or interface member with the comments before it (and a blank line of the source). */
  commentedMember(node: ts.Node, stmts: py.Stmt[]): py.Stmt[] {
    const out = [...this.commentsBefore(node), ...stmts];
    if (out.length > 0 && blankLineBefore(node)) out[0] = { ...out[0]!, blankBefore: true };
    return out;
  }

  /** `stmts` (the translation of `node`) with the source's comments: before, after on the same line, blank line. */
  private commented(node: ts.Statement, stmts: py.Stmt[]): py.Stmt[] {
    // Imports become the import block; a comment there would land in the body, away from what it explains.
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined))
      return stmts;
    const out = [...this.commentsBefore(node), ...stmts];
    if (out.length === 0) return out;
    if (blankLineBefore(node)) out[0] = { ...out[0]!, blankBefore: true };
    const trailing = trailingComment(node);
    if (trailing !== null) {
      const text = this.pythonize(trailing, node);
      const last = out[out.length - 1]!;
      if (stmts.length > 0 && isSimple(last) && last.trailing === undefined)
        out[out.length - 1] = { ...last, trailing: text };
      else out.push(py.comment([text]));
    }
    return out;
  }

  /** `src/fdw.ts:112`, for the comment after a def or class line. */
  anchor(node: ts.Node): string {
    return this.compile.anchor(node);
  }

  /** Runs `fn` with a fresh preamble frame and returns its result and whatever it hoisted. */
  withPreamble<T>(fn: () => T): { value: T; hoisted: py.Stmt[] } {
    this.preambles.push([]);
    const value = fn();
    return { value, hoisted: this.preambles.pop()! };
  }

  /** Places a statement (a nested def) in front of the statement being emitted. */
  hoist(stmt: py.Stmt): void {
    const frame = this.preambles[this.preambles.length - 1];
    if (frame === undefined) throw new Error('hoist outside a statement');
    frame.push(stmt);
  }

  // ---- types ----

  typeOf(node: ts.Node): ts.Type {
    return this.checker.getTypeAtLocation(node);
  }

  private checkAny(node: ts.Expression): void {
    // A yield's own value is what the generator is sent (TNext, `any` by default); the emitter refuses using it.
    if (ts.isYieldExpression(node)) return;
    const type = this.typeOf(node);
    if (!isAny(type)) return;
    // Report where `any` enters, not at every enclosing expression.
    for (let p: ts.Node | undefined = node.parent; p !== undefined; p = p.parent) {
      if (this.reportedAny.has(p)) return;
    }
    this.reportedAny.add(node);
    this.report(diagnostics.anyType(node, `\`${node.getText(this.sourceFile).slice(0, 40)}\``));
  }

  // ---- scopes and names ----

  get scope(): PythonScope {
    return this.scopes[this.scopes.length - 1]!;
  }

  get moduleScope(): PythonScope {
    return this.scopes[0]!;
  }

  /** The innermost Python function scope, skipping class bodies (which are not closures in Python). */
  get functionScope(): PythonScope {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      if (this.scopes[i]!.kind !== 'class') return this.scopes[i]!;
    }
    return this.scopes[0]!;
  }

  withScope<T>(kind: 'function' | 'class', node: ts.Node, fn: (scope: PythonScope) => T): T {
    const scope = newScope(kind, node);
    this.scopes.push(scope);
    const savedBreakables = this.breakables.splice(0, this.breakables.length);
    try {
      return fn(scope);
    } finally {
      this.scopes.pop();
      this.breakables.push(...savedBreakables);
    }
  }

  /** A fresh Python name in the current function scope: `_t0`, `_t1`, ... */
  fresh(prefix: string): string {
    const scope = this.functionScope;
    const n = scope.counters.get(prefix) ?? 0;
    scope.counters.set(prefix, n + 1);
    return `_${prefix}${n}`;
  }

  /**
   * Evaluates `value` once and uses it again: the first use binds a temporary with `:=` (unless the value is a name
   * or constant), later uses read the temporary. The caller must place `first` where Python evaluates it first.
   */
  once(value: py.Expr): { first: py.Expr; again: py.Expr } {
    if (value.kind === 'Name' || value.kind === 'Constant') return { first: value, again: value };
    if (value.kind === 'Attribute' && value.value.kind === 'Name' && value.value.id === 'self')
      return { first: value, again: value };
    const temp = this.fresh('t');
    return { first: { kind: 'NamedExpr', target: temp, value }, again: py.name(temp) };
  }

  /** Records a binding of `pyName` by `declaration` in the current scope; refuses names Python cannot bind. */
  declareBinding(pyName: string, tsName: string, declaration: ts.Node): void {
    const problem = bindingProblem(pyName);
    if (problem !== null) {
      this.report(diagnostics.nameClash(declaration, tsName, pyName, problem));
      return;
    }
    const scope = this.scope.kind === 'class' ? this.scope : this.functionScope;
    const existing = scope.bindings.get(pyName) ?? [];
    for (const other of existing) {
      if (other === declaration) return;
      // Two bindings of one Python name in one scope are only safe when neither block contains the other.
      const a = enclosingBlock(other);
      const b = enclosingBlock(declaration);
      if (contains(a, b) || contains(b, a)) {
        this.report(diagnostics.shadowedBinding(declaration, pyName));
        return;
      }
    }
    existing.push(declaration);
    scope.bindings.set(pyName, existing);
  }

  /** True the first time `pyName` is annotated in the current scope. */
  firstAnnotation(pyName: string): boolean {
    const scope = this.scope.kind === 'class' ? this.scope : this.functionScope;
    if (scope.annotated.has(pyName)) return false;
    scope.annotated.add(pyName);
    return true;
  }

  /** The Python name a TS symbol is referred to by (after import mapping and snake_casing). */
  pythonNameOf(symbol: ts.Symbol, location: ts.Node): py.Expr {
    if ((symbol.flags & ts.SymbolFlags.Alias) !== 0) return this.importedName(symbol, location);
    const cached = this.nameCache.get(symbol);
    if (cached !== undefined) return py.name(cached);
    const declaration = symbol.getDeclarations()?.[0];
    const pyName = declaration === undefined ? symbol.getName() : declarationName(declaration, symbol.getName());
    this.nameCache.set(symbol, pyName);
    return py.name(pyName);
  }

  /** The binding of an imported name: a port name maps through codegen/ports.ts, a src/ name is snake_cased. */
  private importedName(symbol: ts.Symbol, location: ts.Node): py.Expr {
    const declaration = symbol.getDeclarations()?.[0];
    if (declaration === undefined || !ts.isImportSpecifier(declaration)) {
      return this.report(diagnostics.unmappedImport(location, symbol.getName()));
    }
    const specifier = (declaration.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text;
    const port = portOf(specifier);
    const importedName = (declaration.propertyName ?? declaration.name).text;
    const localName = declaration.name.text;
    if (port !== null) {
      const binding = this.portBinding(port, importedName, symbol, location);
      if (binding === null) return REFUSED;
      if (binding.kind === 'builtin') return py.name(binding.name);
      if (binding.kind === 'import' && portExportKind(this.checker.getAliasedSymbol(symbol)) === 'function')
        // A port function is imported where it is referenced (visitors/modules.ts).
        return py.name(
          this.imports.addFrom(
            binding.module,
            binding.name,
            localName === importedName ? null : localBindingName(localName),
          ),
        );
      if (binding.kind === 'import') return py.name(localName === importedName ? binding.name : localName);
      if (binding.kind === 'inline') {
        // Referenced as a value (not a call written inline): import it like any runtime name.
        return py.name(
          this.imports.addFrom(
            binding.module,
            binding.name,
            localName === importedName ? null : localBindingName(localName),
          ),
        );
      }
      return this.report(
        diagnostics.unsupportedSyntax(location, `the type-only port export \`${importedName}\` used as a value`),
      );
    }
    const target = this.checker.getAliasedSymbol(symbol);
    const targetDeclaration = target.getDeclarations()?.[0];
    const targetName =
      targetDeclaration === undefined ? importedName : declarationName(targetDeclaration, importedName);
    return py.name(localName === importedName ? targetName : localBindingName(localName));
  }

  /** The port and export name `name` refers to through its import (`intToString` -> runtime, intToString), or null. */
  portExportOf(name: ts.Identifier): { port: string; exportName: string; symbol: ts.Symbol } | null {
    const symbol = this.checker.getSymbolAtLocation(name);
    if (symbol === undefined || (symbol.flags & ts.SymbolFlags.Alias) === 0) return null;
    const declaration = symbol.getDeclarations()?.[0];
    if (declaration === undefined || !ts.isImportSpecifier(declaration)) return null;
    const port = portOf((declaration.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text);
    if (port === null) return null;
    return { port, exportName: (declaration.propertyName ?? declaration.name).text, symbol };
  }

  /** The inline binding of a port function `callee` names (`codePoints` -> `list(...)`), or null. */
  inlinePortFunction(callee: ts.Identifier): Extract<PortBinding, { kind: 'inline' }> | null {
    const exported = this.portExportOf(callee);
    if (exported === null) return null;
    const binding = this.portBinding(exported.port, exported.exportName, exported.symbol, callee);
    return binding !== null && binding.kind === 'inline' ? binding : null;
  }

  portBinding(port: string, exportName: string, aliasSymbol: ts.Symbol, location: ts.Node): PortBinding | null {
    const target =
      (aliasSymbol.flags & ts.SymbolFlags.Alias) !== 0 ? this.checker.getAliasedSymbol(aliasSymbol) : aliasSymbol;
    const binding = resolvePortExport(port, exportName, portExportKind(target));
    if (binding === null) this.report(diagnostics.unknownPortExport(location, port, exportName));
    return binding;
  }

  // ---- imports of helpers ----

  /** A name from the runtime port's Python binding (`array_item`, ...). */
  runtime(pythonName: string): py.Expr {
    return py.name(this.imports.addFrom(`${PACKAGE}._runtime`, pythonName));
  }

  typing(name: string): string {
    return this.imports.addFrom('typing', name);
  }

  module(name: 'math' | 'functools' | 'unicodedata' | StdlibModule): py.Expr {
    this.imports.addModule(name);
    return py.name(name);
  }
}

function isNodeArray(statements: readonly ts.Statement[]): statements is ts.NodeArray<ts.Statement> {
  return 'pos' in statements && 'end' in statements;
}

/** Statements that are one line of their own (a trailing comment fits after them). */
function isSimple(stmt: py.Stmt): boolean {
  return !['If', 'For', 'While', 'Try', 'FunctionDef', 'ClassDef', 'Comment'].includes(stmt.kind);
}

function newScope(kind: PythonScope['kind'], node: ts.Node): PythonScope {
  return {
    kind,
    node,
    bindings: new Map(),
    globals: new Set(),
    nonlocals: new Set(),
    counters: new Map(),
    annotated: new Set(),
  };
}

function enclosingBlock(node: ts.Node): ts.Node {
  for (let p = node.parent; p !== undefined; p = p.parent) {
    if (
      ts.isBlock(p) ||
      ts.isSourceFile(p) ||
      ts.isForStatement(p) ||
      ts.isForOfStatement(p) ||
      ts.isCaseClause(p) ||
      ts.isDefaultClause(p) ||
      ts.isCatchClause(p) ||
      ts.isFunctionLike(p)
    ) {
      return p;
    }
  }
  return node.getSourceFile();
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  return outer.pos <= inner.pos && inner.end <= outer.end;
}

function isInsideFunction(node: ts.Node): boolean {
  for (let p: ts.Node | undefined = node; p !== undefined; p = p.parent) {
    if (ts.isFunctionLike(p) && p !== node) return true;
    if (ts.isParameter(p)) return true;
  }
  return false;
}

/**
 * The Python name of a binding. Names starting with an uppercase letter (classes, PascalCase and SCREAMING_CASE
 * constants) are kept, others snake_cased. A local or parameter that would shadow a builtin the emitted code uses
 * (`bytes`, `min`, `len`) gets PEP 8's trailing underscore (`bytes_`); module-level names are refused instead
 * (they are the module's API), see Context.declareBinding.
 */
export function localBindingName(tsName: string, declaration?: ts.Node): string {
  const base = /^[A-Z]/.test(tsName) ? tsName : snakeCase(tsName);
  if (declaration !== undefined && EMITTED_BUILTINS.has(base) && isInsideFunction(declaration)) return `${base}_`;
  return base;
}

export function declarationName(declaration: ts.Declaration, fallback: string): string {
  if (
    ts.isClassDeclaration(declaration) ||
    ts.isInterfaceDeclaration(declaration) ||
    ts.isEnumDeclaration(declaration) ||
    ts.isTypeAliasDeclaration(declaration)
  ) {
    return declaration.name?.text ?? fallback;
  }
  return localBindingName(fallback, declaration);
}

export function portExportKind(symbol: ts.Symbol): PortExportKind {
  const flags = symbol.flags;
  if ((flags & ts.SymbolFlags.Class) !== 0) return 'class';
  if ((flags & ts.SymbolFlags.Function) !== 0) return 'function';
  if ((flags & ts.SymbolFlags.Variable) !== 0) return 'variable';
  if ((flags & ts.SymbolFlags.Interface) !== 0) return 'interface';
  return 'typeAlias';
}
