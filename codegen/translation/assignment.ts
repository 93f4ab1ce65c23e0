// Assignments as statements (`x = v`, `o.k = v`, `a[i] = v`, `x += v`, `x ??= v`, `i++`) and the global/nonlocal
// declarations Python needs when a function assigns a variable of an enclosing scope.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isBooleanType, isErrorType, isNumberType, isStringType } from '../type-queries';
import { skipOuterExpressions, stringLiteralText } from '../syntax';
import { checkPower } from './power';
import { checkTruthiness } from './truthiness';

const K = ts.SyntaxKind;

function pythonScopeNode(node: ts.Node): ts.Node {
  for (let p = node.parent; p !== undefined; p = p.parent) {
    if (ts.isFunctionLike(p) || ts.isSourceFile(p)) return p;
  }
  return node.getSourceFile();
}

/** Declares `global`/`nonlocal` for an identifier assigned inside a function but declared outside it. */
export function markAssigned(ctx: Context, identifier: ts.Identifier, pyName: string): void {
  const symbol = ctx.checker.getSymbolAtLocation(identifier);
  const declaration = symbol?.valueDeclaration ?? symbol?.getDeclarations()?.[0];
  if (declaration === undefined) return;
  const scope = ctx.functionScope;
  if (scope.kind === 'module') return;
  const owner = pythonScopeNode(declaration);
  if (owner === scope.node) return;
  if (ts.isSourceFile(owner)) scope.globals.add(pyName);
  else scope.nonlocals.add(pyName);
}

/** The assignment target of `node` (Name, attribute or subscript). */
export function target(ctx: Context, node: ts.Expression): py.Expr {
  const inner = skipOuterExpressions(node);
  if (ts.isIdentifier(inner)) {
    const value = ctx.expr(inner);
    if (value.kind === 'Name') markAssigned(ctx, inner, value.id);
    return value;
  }
  if (ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner))
    return ctx.expr(inner, { target: true });
  if (ts.isNonNullExpression(inner)) return target(ctx, inner.expression);
  return ctx.report(
    diagnostics.unsupportedSyntax(node, 'this assignment target', 'Assign to a variable, property or element'),
  );
}

/** Whether `this.name = ...` in an Error subclass just names the class (Python's type(e).__name__ already does). */
function isErrorNameAssignment(ctx: Context, node: ts.BinaryExpression): boolean {
  const left = skipOuterExpressions(node.left);
  if (!ts.isPropertyAccessExpression(left) || left.expression.kind !== K.ThisKeyword || left.name.text !== 'name')
    return false;
  const cls = ts.findAncestor(node, ts.isClassDeclaration);
  if (cls === undefined || cls.name === undefined) return false;
  if (!isErrorType(ctx.checker, ctx.checker.getTypeAtLocation(cls))) return false;
  const right = skipOuterExpressions(node.right);
  if (stringLiteralText(right) === cls.name.text) return true;
  return right.getText() === 'new.target.name' || right.getText() === 'this.constructor.name';
}

function simpleTarget(expr: py.Expr): boolean {
  return expr.kind === 'Name' || (expr.kind === 'Attribute' && expr.value.kind === 'Name');
}

function arrayPatternAssignment(ctx: Context, node: ts.BinaryExpression, left: ts.ArrayLiteralExpression): py.Stmt[] {
  const right = skipOuterExpressions(node.right);
  const rightType = ctx.typeOf(node.right);
  const count = left.elements.length;
  const sameLength =
    (ts.isArrayLiteralExpression(right) &&
      right.elements.length === count &&
      right.elements.every((e) => !ts.isSpreadElement(e))) ||
    (ctx.checker.isTupleType(rightType) &&
      ctx.checker.getTypeArguments(rightType as ts.TypeReference).length === count);
  if (!sameLength || left.elements.some((e) => ts.isSpreadElement(e) || ts.isOmittedExpression(e))) {
    ctx.report(
      diagnostics.unsupportedSyntax(
        node,
        'this destructuring assignment',
        'Destructure a tuple or array literal of the same length',
      ),
    );
    return [];
  }
  const targets = left.elements.map((e) => target(ctx, e));
  const value = ts.isArrayLiteralExpression(right)
    ? py.tuple(right.elements.map((e) => ctx.expr(e)))
    : ctx.expr(node.right);
  return [py.assign(py.tuple(targets), value)];
}

export function assignmentStatement(ctx: Context, node: ts.BinaryExpression): py.Stmt[] {
  const op = node.operatorToken.kind;
  const left = skipOuterExpressions(node.left);
  if (op === K.EqualsToken) {
    if (ts.isArrayLiteralExpression(left)) return arrayPatternAssignment(ctx, node, left);
    if (ts.isObjectLiteralExpression(left)) {
      ctx.report(
        diagnostics.unsupportedSyntax(node, 'an object destructuring assignment', 'Assign the properties one by one'),
      );
      return [];
    }
    if (isErrorNameAssignment(ctx, node)) return [];
    const value = ctx.expr(node.right);
    return [py.assign(target(ctx, node.left), value)];
  }
  const leftType = ctx.typeOf(node.left);
  const rightType = ctx.typeOf(node.right);
  const numeric = (): boolean => {
    if (isBooleanType(leftType) || isBooleanType(rightType)) {
      ctx.report(diagnostics.booleanArithmetic(node, node.operatorToken.getText()));
      return false;
    }
    if (!isNumberType(leftType) || !isNumberType(rightType)) {
      ctx.report(
        diagnostics.unsupportedSyntax(
          node,
          `\`${node.operatorToken.getText()}\` on non-numbers`,
          'Use arithmetic on numbers only',
        ),
      );
      return false;
    }
    return true;
  };
  const aug = (pyOp: py.BinaryOperator): py.Stmt[] => {
    const value = ctx.expr(node.right);
    return [{ kind: 'AugAssign', target: target(ctx, node.left), op: pyOp, value }];
  };
  switch (op) {
    case K.PlusEqualsToken:
      if (isStringType(leftType) && isStringType(rightType)) return aug('+');
      if (isStringType(leftType) || isStringType(rightType)) {
        ctx.report(diagnostics.stringConcatenation(node, isStringType(leftType) ? 'non-string' : 'string'));
        return [];
      }
      return numeric() ? aug('+') : [];
    case K.MinusEqualsToken:
      return numeric() ? aug('-') : [];
    case K.AsteriskEqualsToken:
      return numeric() ? aug('*') : [];
    case K.AsteriskAsteriskEqualsToken:
      // The target is a variable, never a literal: always refused (PY1051).
      return numeric() && checkPower(ctx, node, node.left, node.right, '**=') ? aug('**') : [];
    case K.PercentEqualsToken: {
      if (!numeric()) return [];
      const t = target(ctx, node.left);
      if (!simpleTarget(t)) {
        ctx.report(diagnostics.evaluateOnce(node));
        return [];
      }
      return [
        py.assign(
          t,
          py.call(py.name('int'), [py.call(py.attr(ctx.module('math'), 'fmod'), [t, ctx.expr(node.right)])]),
        ),
      ];
    }
    case K.SlashEqualsToken:
      ctx.report(diagnostics.division(node.operatorToken));
      return [];
    case K.QuestionQuestionEqualsToken:
    case K.BarBarEqualsToken:
    case K.AmpersandAmpersandEqualsToken: {
      const read = ctx.expr(node.left);
      const t = target(ctx, node.left);
      if (!simpleTarget(t) && t.kind !== 'Subscript') {
        ctx.report(diagnostics.evaluateOnce(node));
        return [];
      }
      if (op !== K.QuestionQuestionEqualsToken) checkTruthiness(ctx, node.left);
      const test =
        op === K.QuestionQuestionEqualsToken
          ? py.compare(read, 'is', py.none())
          : op === K.BarBarEqualsToken
            ? py.not(read)
            : read;
      return [py.ifStmt(test, [py.assign(t, ctx.expr(node.right))])];
    }
    default:
      ctx.report(diagnostics.bitwise(node.operatorToken, node.operatorToken.getText()));
      return [];
  }
}

/** `i++`, `++i`, `i--`, `--i` as statements. */
export function incrementStatement(
  ctx: Context,
  node: ts.PrefixUnaryExpression | ts.PostfixUnaryExpression,
): py.Stmt[] {
  if (!isNumberType(ctx.typeOf(node.operand))) {
    ctx.report(diagnostics.unsupportedSyntax(node, '`++`/`--` on a non-number'));
    return [];
  }
  const op: py.BinaryOperator = node.operator === K.PlusPlusToken ? '+' : '-';
  return [{ kind: 'AugAssign', target: target(ctx, node.operand), op, value: py.int(1) }];
}
