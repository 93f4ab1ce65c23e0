// Classes: fields -> class-level annotations + assignments in __init__ (after super().__init__ in derived classes,
// as ES2022 initialises them), parameter properties -> self.x = x, getters/setters -> @property, static members ->
// class attributes and @staticmethod. Error subclasses are Exception subclasses through the base mapping.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import { memberName } from '../names';
import * as py from '../python-ast';
import { hintForType, hintForTypeNode, pythonSetHint } from '../hints';
import { includesNullish, isErrorType, libSymbolName } from '../type-queries';
import { buildDef, isLiteralDefault, parameterHint } from './function';
import { statement, type VisitorEntries } from '../visitor-entries';

const SELF: py.Param = { name: 'self', annotation: null, default: null };

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function isPrivate(node: ts.Node): boolean {
  return (
    hasModifier(node, ts.SyntaxKind.PrivateKeyword) ||
    (node as ts.NamedDeclaration).name?.kind === ts.SyntaxKind.PrivateIdentifier
  );
}

function memberText(name: ts.PropertyName): string | null {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name)) return name.text;
  return null;
}

function isParameterProperty(p: ts.ParameterDeclaration): boolean {
  return [
    ts.SyntaxKind.PublicKeyword,
    ts.SyntaxKind.PrivateKeyword,
    ts.SyntaxKind.ProtectedKeyword,
    ts.SyntaxKind.ReadonlyKeyword,
  ].some((k) => hasModifier(p, k));
}

function fieldHint(ctx: Context, node: ts.PropertyDeclaration | ts.ParameterDeclaration): string {
  if (ts.isParameter(node)) return parameterHint(ctx, node);
  const set = pythonSetHint(ctx, node);
  if (set !== null) return node.questionToken !== undefined && !set.endsWith('None') ? `${set} | None` : set;
  // An unannotated readonly field has a literal type (`10`); its Python hint is the widened type (int).
  const hint =
    node.type !== undefined
      ? hintForTypeNode(ctx, node.type)
      : hintForType(ctx, ctx.checker.getBaseTypeOfLiteralType(ctx.checker.getTypeAtLocation(node)), node);
  return node.questionToken !== undefined && !hint.endsWith('None') ? `${hint} | None` : hint;
}

/** `self.x = <initializer>` for each instance field, in declaration order (JS initialises them in that order). */
function fieldInitializers(ctx: Context, fields: ts.PropertyDeclaration[]): py.Stmt[] {
  const out: py.Stmt[] = [];
  for (const field of fields) {
    const name = memberName(memberText(field.name) ?? '', isPrivate(field));
    const target = py.attr(py.name('self'), name);
    if (field.initializer !== undefined) {
      const init = field.initializer;
      out.push(...ctx.withPreamble(() => ctx.expr(init)).hoisted);
      out.push(py.assign(target, ctx.expr(init)));
    } else if (field.questionToken !== undefined || includesNullish(ctx.checker.getTypeAtLocation(field))) {
      // ES2022 fields without initializer start as undefined.
      out.push(py.assign(target, py.none()));
    }
  }
  return out;
}

function findSuperCall(statements: readonly ts.Statement[]): number {
  return statements.findIndex(
    (s) =>
      ts.isExpressionStatement(s) &&
      ts.isCallExpression(s.expression) &&
      s.expression.expression.kind === ts.SyntaxKind.SuperKeyword,
  );
}

function constructorDef(
  ctx: Context,
  node: ts.ClassDeclaration,
  fields: ts.PropertyDeclaration[],
  isDerived: boolean,
  baseIsError: boolean,
): py.FunctionDef | null {
  const ctor = node.members.find(
    (m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined,
  );
  if (ctor !== undefined) {
    const parameterProperties = ctor.parameters.filter(isParameterProperty);
    return buildDef(ctx, ctor, '__init__', {
      kind: 'constructor',
      leading: [SELF],
      body: (inner) => {
        const propertyAssignments = parameterProperties.map((p) => {
          const text = (p.name as ts.Identifier).text;
          return py.assign(
            py.attr(py.name('self'), memberName(text, isPrivate(p))),
            inner.pythonNameOf(inner.checker.getSymbolAtLocation(p.name)!, p.name),
          );
        });
        const statements = ctor.body!.statements;
        if (!isDerived)
          return [...fieldInitializers(inner, fields), ...propertyAssignments, ...inner.block(statements)];
        const superIndex = findSuperCall(statements);
        if (superIndex < 0) {
          inner.report(
            diagnostics.unsupportedSyntax(
              ctor,
              'a derived constructor whose super(...) call is not a top-level statement',
              'Call super(...) as a statement of the constructor body',
            ),
          );
          return [];
        }
        return [
          ...inner.block(statements.slice(0, superIndex)),
          ...inner.stmt(statements[superIndex]!),
          ...fieldInitializers(inner, fields),
          ...propertyAssignments,
          ...inner.block(statements.slice(superIndex + 1)),
        ];
      },
    });
  }
  const needsInit = fields.some(
    (f) =>
      f.initializer !== undefined || f.questionToken !== undefined || includesNullish(ctx.checker.getTypeAtLocation(f)),
  );
  if (!needsInit) return null;
  return ctx.withScope('function', node, () => {
    if (!isDerived) {
      return {
        kind: 'FunctionDef',
        name: '__init__',
        params: [SELF],
        returns: py.hint('None'),
        decorators: [],
        docstring: null,
        body: fieldInitializers(ctx, fields),
      } satisfies py.FunctionDef;
    }
    // JavaScript passes all arguments of an implicit constructor to the base: mirror the base's parameters.
    const heritage = node.heritageClauses!.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)!.types[0]!;
    const params: py.Param[] = [];
    const args: py.Expr[] = [];
    if (baseIsError) {
      params.push({ name: 'args', annotation: py.hint('object'), default: null, rest: true });
      args.push({ kind: 'Starred', value: py.name('args') });
    } else {
      const signature = ctx.checker.getSignaturesOfType(
        ctx.checker.getTypeAtLocation(heritage.expression),
        ts.SignatureKind.Construct,
      )[0];
      for (const p of signature?.getParameters() ?? []) {
        const declaration = p.valueDeclaration;
        const hint =
          declaration !== undefined && ts.isParameter(declaration) ? parameterHint(ctx, declaration) : 'object';
        const name = memberName(p.getName(), false);
        // A literal default is repeated (JS passes undefined through, which selects the base's default); other
        // defaults are None, which the base's `if p is None` prologue replaces.
        const parameter = declaration !== undefined && ts.isParameter(declaration) ? declaration : undefined;
        const literal =
          parameter?.initializer !== undefined && isLiteralDefault(parameter.initializer)
            ? ctx.expr(parameter.initializer)
            : null;
        const optional =
          parameter !== undefined && (parameter.questionToken !== undefined || parameter.initializer !== undefined);
        const annotation = optional && literal === null && !hint.endsWith('None') ? `${hint} | None` : hint;
        params.push({ name, annotation: py.hint(annotation), default: literal ?? (optional ? py.none() : null) });
        args.push(py.name(name));
      }
    }
    const superCall = py.exprStmt(py.call(py.attr(py.call(py.name('super')), '__init__'), args));
    return {
      kind: 'FunctionDef',
      name: '__init__',
      params: [SELF, ...params],
      returns: py.hint('None'),
      decorators: [],
      docstring: null,
      body: [superCall, ...fieldInitializers(ctx, fields)],
    } satisfies py.FunctionDef;
  });
}

function classDeclaration(ctx: Context, node: ts.ClassDeclaration): py.Stmt[] {
  if (node.name === undefined) {
    ctx.report(diagnostics.unsupportedSyntax(node, 'an anonymous class', 'Name the class'));
    return [];
  }
  const name = node.name.text;
  ctx.declareBinding(name, name, node);
  if (node.typeParameters !== undefined) ctx.report(diagnostics.genericClass(node));
  const extendsClause = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword);
  const baseNode = extendsClause?.types[0];
  const bases: py.Expr[] = [];
  if (baseNode !== undefined) {
    if (baseNode.typeArguments !== undefined) ctx.report(diagnostics.genericClass(baseNode));
    bases.push(ctx.expr(baseNode.expression));
  }
  const baseType = baseNode === undefined ? undefined : ctx.checker.getTypeAtLocation(baseNode);
  const baseIsError = baseType !== undefined && libSymbolName(baseType) !== null && isErrorType(ctx.checker, baseType);
  const declaredType = ctx.checker.getTypeAtLocation(node);
  void isErrorType(ctx.checker, declaredType);
  ctx.classes.push({ node, name, isStatic: false });
  try {
    return [
      ctx.withScope('class', node, () => {
        const staticPart: py.Stmt[] = [];
        const annotations: py.Stmt[] = [];
        const members: py.Stmt[] = [];
        const instanceFields: ts.PropertyDeclaration[] = [];
        const ctor = node.members.find(
          (m): m is ts.ConstructorDeclaration => ts.isConstructorDeclaration(m) && m.body !== undefined,
        );
        for (const p of ctor?.parameters ?? []) {
          if (isParameterProperty(p) && ts.isIdentifier(p.name)) {
            const annotation: py.AnnAssign = {
              kind: 'AnnAssign',
              target: py.name(memberName(p.name.text, isPrivate(p))),
              annotation: py.hint(fieldHint(ctx, p)),
              value: null,
            };
            annotations.push(...ctx.commentedMember(p, [annotation]));
          }
        }
        const setters = new Map<string, ts.SetAccessorDeclaration>();
        for (const member of node.members)
          if (ts.isSetAccessorDeclaration(member)) setters.set(memberText(member.name) ?? '', member);
        let constructorPlaced = false;
        const placeConstructor = (): void => {
          if (constructorPlaced) return;
          constructorPlaced = true;
          const init = constructorDef(ctx, node, instanceFields, bases.length > 0, baseIsError);
          if (init === null) return;
          members.push(...(ctor === undefined ? [init] : ctx.commentedMember(ctor, [init])));
        };
        // Fields first (they are needed by __init__), then members in source order.
        for (const member of node.members) {
          if (!ts.isPropertyDeclaration(member)) continue;
          const text = memberText(member.name);
          if (text === null) {
            ctx.report(diagnostics.unsupportedSyntax(member.name, 'a computed class member name'));
            continue;
          }
          const pyName = memberName(text, isPrivate(member));
          if (hasModifier(member, ts.SyntaxKind.StaticKeyword)) {
            const value = member.initializer === undefined ? py.none() : ctx.expr(member.initializer);
            const annotation = py.hint(`${ctx.typing('ClassVar')}[${fieldHint(ctx, member)}]`);
            staticPart.push(
              ...ctx.commentedMember(member, [{ kind: 'AnnAssign', target: py.name(pyName), annotation, value }]),
            );
          } else {
            if (!hasModifier(member, ts.SyntaxKind.DeclareKeyword)) instanceFields.push(member);
            const annotation: py.AnnAssign = {
              kind: 'AnnAssign',
              target: py.name(pyName),
              annotation: py.hint(fieldHint(ctx, member)),
              value: null,
            };
            annotations.push(...ctx.commentedMember(member, [annotation]));
          }
        }
        for (const member of node.members) {
          if (ts.isPropertyDeclaration(member) || ts.isSemicolonClassElement(member)) continue;
          if (ts.isConstructorDeclaration(member)) {
            if (member.body === undefined) {
              ctx.report(diagnostics.overloads(member));
              continue;
            }
            placeConstructor();
            continue;
          }
          const text = member.name === undefined ? null : memberText(member.name);
          if (ts.isMethodDeclaration(member)) {
            if (member.body === undefined && !hasModifier(member, ts.SyntaxKind.AbstractKeyword)) {
              ctx.report(diagnostics.overloads(member));
              continue;
            }
            if (text === null) {
              ctx.report(diagnostics.unsupportedSyntax(member.name, 'a computed method name'));
              continue;
            }
            placeConstructor();
            const isStatic = hasModifier(member, ts.SyntaxKind.StaticKeyword);
            const def = buildDef(ctx, member, memberName(text, isPrivate(member)), {
              kind: isStatic ? 'static' : 'method',
              leading: isStatic ? [] : [SELF],
              decorators: isStatic ? [py.name('staticmethod')] : [],
            });
            members.push(...ctx.commentedMember(member, [def]));
          } else if (ts.isGetAccessorDeclaration(member)) {
            if (text === null || hasModifier(member, ts.SyntaxKind.StaticKeyword)) {
              ctx.report(diagnostics.unsupportedSyntax(member, 'a static or computed accessor', 'Use a static method'));
              continue;
            }
            placeConstructor();
            const pyName = memberName(text, isPrivate(member));
            const getter = buildDef(ctx, member, pyName, {
              kind: 'getter',
              leading: [SELF],
              decorators: [py.name('property')],
            });
            members.push(...ctx.commentedMember(member, [getter]));
            const setter = setters.get(text);
            if (setter !== undefined) {
              const def = buildDef(ctx, setter, pyName, {
                kind: 'setter',
                leading: [SELF],
                decorators: [py.attr(py.name(pyName), 'setter')],
              });
              members.push(...ctx.commentedMember(setter, [def]));
            }
          } else if (ts.isSetAccessorDeclaration(member)) {
            const getter = node.members.some((m) => ts.isGetAccessorDeclaration(m) && memberText(m.name) === text);
            if (!getter)
              ctx.report(
                diagnostics.unsupportedSyntax(member, 'a setter without a getter', 'Add a getter, or use a method'),
              );
          } else {
            ctx.report(diagnostics.unsupportedSyntax(member, `the class member kind ${ts.SyntaxKind[member.kind]}`));
          }
        }
        placeConstructor();
        const body = [...staticPart, ...annotations, ...members];
        return {
          kind: 'ClassDef',
          name,
          bases,
          keywords: [],
          docstring: ctx.docstring(node),
          body,
          anchor: ctx.anchor(node),
        } satisfies py.ClassDef;
      }),
    ];
  } finally {
    ctx.classes.pop();
  }
}

export const classVisitors: VisitorEntries = {
  statements: [
    [ts.SyntaxKind.ClassDeclaration, statement<ts.ClassDeclaration>((node, ctx) => classDeclaration(ctx, node))],
  ],
};
