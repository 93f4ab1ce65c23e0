// Type-level declarations that exist in Python too: interfaces and object type aliases -> TypedDict (every
// property is always present; optional ones may hold None), other type aliases -> `X: TypeAlias = '...'`, enums ->
// a class of constants (JS enum values are plain strings/numbers, so Python's Enum would not compare equal).
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import { PYTHON_KEYWORDS, recordKeyName, snakeCase } from '../names';
import { returnHint, translateParameters } from './function';
import * as py from '../python-ast';
import { hintForTypeNode } from '../hints';
import { statement, type VisitorEntries } from '../visitor-entries';

/**
 * `A: TypeAlias = '<hint>'`. The value is a string: an alias is a hint, and hints are never evaluated at run time
 * (Python 3.9 has no `X | Y`, and names imported for type checking only do not exist at run time). TypeAlias itself is
 * imported for the type checker only (typing has it from 3.10).
 */
function aliasStatement(ctx: Context, name: string, hint: string): py.AnnAssign {
  ctx.imports.addTypeOnly('typing_extensions', 'TypeAlias');
  return { kind: 'AnnAssign', target: py.name(name), annotation: py.hint('TypeAlias'), value: py.str(hint) };
}

function typedDict(
  ctx: Context,
  node: ts.Node,
  name: string,
  members: ts.NodeArray<ts.TypeElement>,
  heritage: readonly ts.ExpressionWithTypeArguments[],
): py.Stmt[] {
  const index = members.filter(ts.isIndexSignatureDeclaration);
  if (index.length > 0) {
    if (members.length > 1 || heritage.length > 0) {
      ctx.report(
        diagnostics.unsupportedType(
          node,
          name,
          'Use either an index signature (a Record) or named properties, not both',
        ),
      );
      return [];
    }
    const signature = index[0]!;
    const key = hintForTypeNode(ctx, signature.parameters[0]!.type!);
    const hint = `dict[${key}, ${hintForTypeNode(ctx, signature.type)}]`;
    return [aliasStatement(ctx, name, hint)];
  }
  const fields: Array<{ key: string; hint: string; member: ts.TypeElement }> = [];
  for (const member of members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) {
      ctx.report(
        diagnostics.unsupportedType(
          member,
          member.getText().slice(0, 40),
          'Interfaces become TypedDicts: declare only properties (use a class for methods)',
        ),
      );
      continue;
    }
    const key = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : null;
    if (key === null) {
      ctx.report(diagnostics.unsupportedType(member, member.name.getText(), 'Use identifier or string keys'));
      continue;
    }
    let hint = hintForTypeNode(ctx, member.type);
    if (member.questionToken !== undefined && !hint.endsWith('None')) hint = `${hint} | None`;
    fields.push({ key: recordKeyName(key), hint, member });
  }
  const bases = heritage.map((h) => ctx.expr(h.expression));
  const typedDictName = ctx.typing('TypedDict');
  const classSyntax = fields.every((f) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(f.key) && !PYTHON_KEYWORDS.has(f.key));
  if (classSyntax) {
    return [
      {
        kind: 'ClassDef',
        name,
        bases: bases.length > 0 ? bases : [py.name(typedDictName)],
        keywords: [],
        docstring: ctx.docstring(node),
        body: fields.flatMap((f) =>
          ctx.commentedMember(f.member, [
            { kind: 'AnnAssign', target: py.name(f.key), annotation: py.hint(f.hint), value: null },
          ]),
        ),
      },
    ];
  }
  if (bases.length > 0) {
    ctx.report(
      diagnostics.unsupportedType(
        node,
        name,
        'Keys that are not Python identifiers need the functional TypedDict form, which cannot extend: inline the base properties',
      ),
    );
    return [];
  }
  // The functional form evaluates its values: hints as strings, like the value of an alias.
  const dict: py.DictExpr = {
    kind: 'Dict',
    entries: fields.map((f) => ({ key: py.str(f.key), value: py.str(f.hint) })),
  };
  return [py.assign(py.name(name), py.call(py.name(typedDictName), [py.str(name), dict]))];
}

/** An interface with methods describes objects (class instances), not dicts: a typing.Protocol. */
export function isProtocolInterface(node: ts.Node): boolean {
  return ts.isInterfaceDeclaration(node) && node.members.some((m) => ts.isMethodSignature(m));
}

function protocol(ctx: Context, node: ts.InterfaceDeclaration): py.Stmt[] {
  const body: py.Stmt[] = [];
  for (const member of node.members) {
    const text =
      member.name !== undefined && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))
        ? member.name.text
        : null;
    if (text === null) {
      ctx.report(diagnostics.unsupportedType(member, member.getText().slice(0, 40), 'Use identifier member names'));
      continue;
    }
    const name = snakeCase(text);
    if (ts.isPropertySignature(member) && member.type !== undefined) {
      let hint = hintForTypeNode(ctx, member.type);
      if (member.questionToken !== undefined && !hint.endsWith('None')) hint = `${hint} | None`;
      body.push(
        ...ctx.commentedMember(member, [
          { kind: 'AnnAssign', target: py.name(name), annotation: py.hint(hint), value: null },
        ]),
      );
    } else if (ts.isMethodSignature(member)) {
      const def = ctx.withScope('function', member, () => {
        const { params } = translateParameters(ctx, member.parameters, true);
        return {
          kind: 'FunctionDef',
          name,
          params: [{ name: 'self', annotation: null, default: null }, ...params],
          returns: py.hint(returnHint(ctx, member, 'method')),
          decorators: [],
          docstring: ctx.docstring(member),
          body: [py.exprStmt(py.hint('...'))],
        } satisfies py.FunctionDef;
      });
      body.push(...ctx.commentedMember(member, [def]));
    } else {
      ctx.report(
        diagnostics.unsupportedType(member, member.getText().slice(0, 40), 'Declare properties and methods only'),
      );
    }
  }
  const bases = (node.heritageClauses?.flatMap((h) => h.types) ?? []).map((h) => ctx.expr(h.expression));
  return [
    {
      kind: 'ClassDef',
      name: node.name.text,
      bases: [...bases, py.name(ctx.typing('Protocol'))],
      keywords: [],
      docstring: ctx.docstring(node),
      body,
    },
  ];
}

function interfaceDeclaration(ctx: Context, node: ts.InterfaceDeclaration): py.Stmt[] {
  const name = node.name.text;
  ctx.declareBinding(name, name, node);
  if (node.typeParameters !== undefined) {
    ctx.report(diagnostics.unsupportedType(node, `${name}<...>`, 'Use a non-generic interface'));
    return [];
  }
  if (isProtocolInterface(node)) return protocol(ctx, node);
  const heritage = node.heritageClauses?.flatMap((h) => h.types) ?? [];
  return typedDict(ctx, node, name, node.members, heritage);
}

function typeAlias(ctx: Context, node: ts.TypeAliasDeclaration): py.Stmt[] {
  const name = node.name.text;
  ctx.declareBinding(name, name, node);
  if (node.typeParameters !== undefined) {
    ctx.report(diagnostics.unsupportedType(node, `${name}<...>`, 'Use a non-generic type alias'));
    return [];
  }
  if (ts.isTypeLiteralNode(node.type) && !node.type.members.some(ts.isIndexSignatureDeclaration))
    return typedDict(ctx, node, name, node.type.members, []);
  const hint = hintForTypeNode(ctx, node.type);
  return [aliasStatement(ctx, name, hint)];
}

function enumDeclaration(ctx: Context, node: ts.EnumDeclaration): py.Stmt[] {
  const name = node.name.text;
  ctx.declareBinding(name, name, node);
  let next = 0;
  const body: py.Stmt[] = [];
  for (const member of node.members) {
    const key = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : null;
    if (key === null || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || PYTHON_KEYWORDS.has(key)) {
      ctx.report(
        diagnostics.unsupportedSyntax(
          member,
          'an enum member whose name is not a Python identifier',
          'Rename the member',
        ),
      );
      continue;
    }
    let value: py.Expr;
    const init = member.initializer;
    if (init === undefined) {
      value = py.int(next);
      next += 1;
    } else if (ts.isStringLiteral(init)) {
      value = py.str(init.text);
    } else if (ts.isNumericLiteral(init)) {
      value = py.int(Number(init.text));
      next = Number(init.text) + 1;
    } else {
      ctx.report(diagnostics.unsupportedSyntax(member, 'a computed enum value', 'Use a string or number literal'));
      continue;
    }
    body.push(...ctx.commentedMember(member, [py.assign(py.name(key), value)]));
  }
  return [{ kind: 'ClassDef', name, bases: [], keywords: [], docstring: ctx.docstring(node), body }];
}

export const declarationVisitors: VisitorEntries = {
  statements: [
    [
      ts.SyntaxKind.InterfaceDeclaration,
      statement<ts.InterfaceDeclaration>((node, ctx) => interfaceDeclaration(ctx, node)),
    ],
    [ts.SyntaxKind.TypeAliasDeclaration, statement<ts.TypeAliasDeclaration>((node, ctx) => typeAlias(ctx, node))],
    [ts.SyntaxKind.EnumDeclaration, statement<ts.EnumDeclaration>((node, ctx) => enumDeclaration(ctx, node))],
    [
      ts.SyntaxKind.ModuleDeclaration,
      statement(
        (node, ctx) => (
          ctx.report(diagnostics.unsupportedSyntax(node, 'a namespace or module declaration', 'Use a module (a file)')),
          []
        ),
      ),
    ],
  ],
};
