// Which Python name a word of a comment stands for (comments.ts writes comments for a Python reader). A word is a
// name when something visible at the comment is declared with it: a parameter or local of an enclosing function, a
// member of an enclosing class, a declaration or import of the module, or else any declaration of the project. Its
// Python name is the one the emitter gives that declaration (snake_case, a leading underscore for private members).
import { ts } from 'ts-morph';
import { PORTS, portOf, resolvePortExport } from './ports';
import { memberName, recordKeyName, snakeCase } from './names';

function isPrivateMember(declaration: ts.Node): boolean {
  const modifiers = ts.canHaveModifiers(declaration) ? (ts.getModifiers(declaration) ?? []) : [];
  const name = (declaration as ts.NamedDeclaration).name;
  return (
    modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword) ||
    (name !== undefined && ts.isPrivateIdentifier(name))
  );
}

function nameText(name: ts.Node | undefined): string | null {
  if (name === undefined) return null;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return null;
}

/** Python names keep names that start with an uppercase letter (classes, constants); the others are snake_cased. */
function bindingName(tsName: string): string {
  return /^[A-Z]/.test(tsName) ? tsName : snakeCase(tsName);
}

/** The Python name the emitter gives a declaration named `tsName`, or null for declarations it does not name. */
export function pythonNameOfDeclaration(declaration: ts.Node, tsName: string): string | null {
  const bare = tsName.startsWith('#') ? tsName.slice(1) : tsName;
  const file = declaration.getSourceFile().fileName;
  const inPort = portOf(file) !== null;
  if (
    ts.isClassDeclaration(declaration) ||
    ts.isInterfaceDeclaration(declaration) ||
    ts.isTypeAliasDeclaration(declaration) ||
    ts.isEnumDeclaration(declaration)
  ) {
    return tsName;
  }
  if (ts.isPropertySignature(declaration) || ts.isMethodSignature(declaration)) {
    const owner = declaration.parent;
    const isProtocol = ts.isInterfaceDeclaration(owner) && owner.members.some((m) => ts.isMethodSignature(m));
    return inPort || isProtocol ? snakeCase(bare) : recordKeyName(bare);
  }
  if (
    ts.isClassElement(declaration) ||
    (ts.isParameter(declaration) &&
      ts.isConstructorDeclaration(declaration.parent) &&
      ts.getModifiers(declaration) !== undefined)
  ) {
    return inPort ? snakeCase(bare) : memberName(tsName, isPrivateMember(declaration));
  }
  if (
    ts.isFunctionDeclaration(declaration) ||
    ts.isVariableDeclaration(declaration) ||
    ts.isParameter(declaration) ||
    ts.isBindingElement(declaration)
  ) {
    return bindingName(bare);
  }
  return null;
}

/** Every declared name of the project (src/ and the ports) -> the Python names its declarations get. */
export function projectNames(files: readonly ts.SourceFile[]): Map<string, Set<string>> {
  const names = new Map<string, Set<string>>();
  const add = (tsName: string, pyName: string | null): void => {
    if (pyName === null) return;
    const bare = tsName.startsWith('#') ? tsName.slice(1) : tsName;
    let set = names.get(bare);
    if (set === undefined) names.set(bare, (set = new Set()));
    set.add(pyName);
  };
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      const name = nameText((node as ts.NamedDeclaration).name);
      if (
        name !== null &&
        (ts.isDeclarationStatement(node) ||
          ts.isClassElement(node) ||
          ts.isTypeElement(node) ||
          ts.isParameter(node) ||
          ts.isVariableDeclaration(node) ||
          ts.isBindingElement(node))
      ) {
        add(name, pythonNameOfDeclaration(node, name));
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return names;
}

/** The names an import binds, as the emitter binds them (port names through the port map). */
function importedName(specifier: ts.ImportSpecifier, checker: ts.TypeChecker): string | null {
  const imported = (specifier.propertyName ?? specifier.name).text;
  const local = specifier.name.text;
  const port = portOf((specifier.parent.parent.parent.moduleSpecifier as ts.StringLiteral).text);
  if (port !== null && Object.prototype.hasOwnProperty.call(PORTS, port)) {
    const symbol = checker.getSymbolAtLocation(specifier.name);
    const target =
      symbol === undefined
        ? undefined
        : (symbol.flags & ts.SymbolFlags.Alias) !== 0
          ? checker.getAliasedSymbol(symbol)
          : symbol;
    const flags = target?.flags ?? 0;
    const kind =
      (flags & ts.SymbolFlags.Class) !== 0
        ? 'class'
        : (flags & ts.SymbolFlags.Function) !== 0
          ? 'function'
          : (flags & ts.SymbolFlags.Variable) !== 0
            ? 'variable'
            : 'typeAlias';
    const binding = resolvePortExport(port, imported, kind);
    if (binding === null) return null;
    if (binding.kind === 'import' || binding.kind === 'inline')
      return local === imported ? binding.name : bindingName(local);
    if (binding.kind === 'builtin') return binding.name;
    return local;
  }
  return bindingName(local);
}

/**
 * The namer of one module: `nameAt(word, node)` is the Python name of `word` in a comment at `node`, or null when
 * the word names nothing the emitter renames.
 */
export class CommentNamer {
  private readonly moduleNames = new Map<string, string>();

  constructor(
    file: ts.SourceFile,
    checker: ts.TypeChecker,
    private readonly project: ReadonlyMap<string, ReadonlySet<string>>,
  ) {
    for (const statement of file.statements) {
      if (
        ts.isImportDeclaration(statement) &&
        statement.importClause?.namedBindings !== undefined &&
        ts.isNamedImports(statement.importClause.namedBindings)
      ) {
        for (const specifier of statement.importClause.namedBindings.elements) {
          const name = importedName(specifier, checker);
          if (name !== null) this.moduleNames.set(specifier.name.text, name);
        }
      } else if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations)
          if (ts.isIdentifier(d.name)) this.moduleNames.set(d.name.text, bindingName(d.name.text));
      } else if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) {
        this.moduleNames.set(statement.name.text, bindingName(statement.name.text));
      }
    }
  }

  nameAt(word: string, at: ts.Node): string | null {
    const renamed = (name: string | null): string | null => (name === null || name === word ? null : name);
    for (let node: ts.Node | undefined = at; node !== undefined && !ts.isSourceFile(node); node = node.parent) {
      if (ts.isFunctionLike(node)) {
        const local = findLocal(node, word);
        if (local !== null) return renamed(pythonNameOfDeclaration(local, word));
      }
      if (ts.isClassDeclaration(node)) {
        for (const member of node.members) {
          if (nameText(member.name) === word || nameText(member.name) === `#${word}`)
            return renamed(pythonNameOfDeclaration(member, nameText(member.name)!));
        }
        const ctor = node.members.find(ts.isConstructorDeclaration);
        const property = ctor?.parameters.find((p) => nameText(p.name) === word && ts.getModifiers(p) !== undefined);
        if (property !== undefined) return renamed(pythonNameOfDeclaration(property, word));
      }
    }
    const moduleName = this.moduleNames.get(word);
    if (moduleName !== undefined) return renamed(moduleName);
    const candidates = this.project.get(word);
    if (candidates === undefined) return null;
    // Several declarations of one name (a private method and a parameter): the plain snake_case one if any.
    const plain = snakeCase(word);
    return renamed(candidates.has(plain) ? plain : ([...candidates].sort()[0] ?? null));
  }
}

/** A parameter or local of `fn` (at any depth of its body) named `name`. */
function findLocal(fn: ts.SignatureDeclaration, name: string): ts.Node | null {
  for (const p of fn.parameters) if (nameText(p.name) === name) return p;
  let found: ts.Node | null = null;
  const visit = (node: ts.Node): void => {
    if (found !== null) return;
    if (
      (ts.isVariableDeclaration(node) || ts.isBindingElement(node) || ts.isParameter(node)) &&
      nameText(node.name) === name
    ) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  const body = (fn as ts.FunctionLikeDeclaration).body;
  if (body !== undefined) visit(body);
  return found;
}
