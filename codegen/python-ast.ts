// A small Python AST: just the statements and expressions the emitter produces. Visitors build it, the printer is the
// only code that turns it into text, so precedence, indentation and escaping live in one place.

export type Expr =
  | Name
  | Constant
  | Attribute
  | Subscript
  | Slice
  | Call
  | BinOp
  | UnaryOp
  | BoolOp
  | Compare
  | IfExp
  | Lambda
  | ListExpr
  | TupleExpr
  | DictExpr
  | SetExpr
  | Comprehension
  | FString
  | Starred
  | Yield
  | YieldFrom
  | NamedExpr
  | RawHint;

export interface Name {
  kind: 'Name';
  id: string;
}

/** A literal: str, int (kept as bigint so values past 2^53 never lose digits), float, bool or None. */
export interface Constant {
  kind: 'Constant';
  value: string | bigint | boolean | null | FloatValue;
  /** `0x..` spelling for ints written in hex in the source. */
  hex?: boolean;
}

export interface FloatValue {
  float: number;
}

export interface Attribute {
  kind: 'Attribute';
  value: Expr;
  attr: string;
}

export interface Subscript {
  kind: 'Subscript';
  value: Expr;
  index: Expr;
}

export interface Slice {
  kind: 'Slice';
  lower: Expr | null;
  upper: Expr | null;
}

export interface Keyword {
  /** null for `**mapping`. */
  name: string | null;
  value: Expr;
}

export interface Call {
  kind: 'Call';
  func: Expr;
  args: Expr[];
  keywords: Keyword[];
}

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '<<' | '>>' | '|' | '^' | '&';

export interface BinOp {
  kind: 'BinOp';
  op: BinaryOperator;
  left: Expr;
  right: Expr;
}

export interface UnaryOp {
  kind: 'UnaryOp';
  op: 'not' | '-' | '+' | '~';
  operand: Expr;
}

export interface BoolOp {
  kind: 'BoolOp';
  op: 'and' | 'or';
  values: Expr[];
}

export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'is' | 'is not' | 'in' | 'not in';

/** One comparison; Python's chaining is never produced (the printer parenthesises nested comparisons). */
export interface Compare {
  kind: 'Compare';
  op: CompareOperator;
  left: Expr;
  right: Expr;
}

export interface IfExp {
  kind: 'IfExp';
  test: Expr;
  body: Expr;
  orelse: Expr;
}

export interface Lambda {
  kind: 'Lambda';
  /** Printed without annotations (lambdas cannot carry them). */
  params: Param[];
  body: Expr;
}

export interface ListExpr {
  kind: 'List';
  elts: Expr[];
}

export interface TupleExpr {
  kind: 'Tuple';
  elts: Expr[];
}

export interface DictEntry {
  /** null for `**mapping`. */
  key: Expr | null;
  value: Expr;
}

export interface DictExpr {
  kind: 'Dict';
  entries: DictEntry[];
}

export interface SetExpr {
  kind: 'Set';
  elts: Expr[];
}

/** `[elt for target in iter if cond]`, `(elt for ...)`, `{key: value for ...}`. */
export interface Comprehension {
  kind: 'Comprehension';
  form: 'list' | 'generator' | 'dict';
  elt: Expr;
  /** Only for dict comprehensions. */
  value?: Expr;
  target: Expr;
  iter: Expr;
  conditions: Expr[];
}

export type FStringPart = { text: string } | { expr: Expr };

export interface FString {
  kind: 'FString';
  parts: FStringPart[];
}

export interface Starred {
  kind: 'Starred';
  value: Expr;
  /** `**` instead of `*` (only meaningful inside calls). */
  double?: boolean;
}

export interface Yield {
  kind: 'Yield';
  value: Expr | null;
}

export interface YieldFrom {
  kind: 'YieldFrom';
  value: Expr;
}

/** `(name := value)`: how the emitter evaluates a subexpression once and uses it twice (`??`, `?.`). */
export interface NamedExpr {
  kind: 'NamedExpr';
  target: string;
  value: Expr;
}

/** A type hint already rendered by codegen/hints.ts (hints are not evaluated: `from __future__ import annotations`). */
export interface RawHint {
  kind: 'RawHint';
  text: string;
}

export type Stmt =
  | Comment
  | ImportFrom
  | ImportModule
  | ClassDef
  | FunctionDef
  | Assign
  | AnnAssign
  | AugAssign
  | ExprStmt
  | If
  | For
  | While
  | Try
  | Raise
  | Return
  | Pass
  | Break
  | Continue
  | ScopeDecl;

/** What every statement may carry besides its code: where the source had a blank line, a comment on its line. */
export interface StmtBase {
  /** The TypeScript source had a blank line before this statement (or before its comments): one is kept. */
  blankBefore?: boolean;
  /** A comment at the end of the statement's (last) line, without `#`. Only simple statements carry one. */
  trailing?: string;
}

/** `#` comment lines (text without `#`, `''` for an empty comment line): before the statement they precede. */
export interface Comment extends StmtBase {
  kind: 'Comment';
  lines: string[];
}

export interface ImportAlias {
  name: string;
  asname: string | null;
}

export interface ImportFrom extends StmtBase {
  kind: 'ImportFrom';
  module: string;
  names: ImportAlias[];
}

export interface ImportModule extends StmtBase {
  kind: 'ImportModule';
  module: string;
}

export interface ClassDef extends StmtBase {
  kind: 'ClassDef';
  name: string;
  bases: Expr[];
  keywords: Keyword[];
  docstring: string | null;
  body: Stmt[];
  /** Where the class is defined in the TypeScript source, printed after the `class` line (classes of code only). */
  anchor?: string;
}

export interface Param {
  name: string;
  annotation: Expr | null;
  default: Expr | null;
  /** `*args`. */
  rest?: boolean;
}

export interface FunctionDef extends StmtBase {
  kind: 'FunctionDef';
  name: string;
  params: Param[];
  returns: Expr | null;
  decorators: Expr[];
  docstring: string | null;
  body: Stmt[];
  /** Where the function is defined in the TypeScript source (`src/fdw.ts:112`), printed after the `def` line. */
  anchor?: string;
}

export interface Assign extends StmtBase {
  kind: 'Assign';
  /** One target, or several for `a, b = ...` (a Tuple target). */
  target: Expr;
  value: Expr;
}

export interface AnnAssign extends StmtBase {
  kind: 'AnnAssign';
  target: Expr;
  annotation: Expr;
  value: Expr | null;
}

export interface AugAssign extends StmtBase {
  kind: 'AugAssign';
  target: Expr;
  op: BinaryOperator;
  value: Expr;
}

export interface ExprStmt extends StmtBase {
  kind: 'ExprStmt';
  value: Expr;
}

export interface If extends StmtBase {
  kind: 'If';
  test: Expr;
  body: Stmt[];
  /** An `else` body; a single nested If prints as `elif`. */
  orelse: Stmt[];
}

export interface For extends StmtBase {
  kind: 'For';
  target: Expr;
  iter: Expr;
  body: Stmt[];
}

export interface While extends StmtBase {
  kind: 'While';
  test: Expr;
  body: Stmt[];
}

export interface ExceptHandler {
  type: Expr | null;
  name: string | null;
  body: Stmt[];
}

export interface Try extends StmtBase {
  kind: 'Try';
  body: Stmt[];
  handlers: ExceptHandler[];
  finalbody: Stmt[];
}

export interface Raise extends StmtBase {
  kind: 'Raise';
  exc: Expr | null;
}

export interface Return extends StmtBase {
  kind: 'Return';
  value: Expr | null;
}

export interface Pass extends StmtBase {
  kind: 'Pass';
}

export interface Break extends StmtBase {
  kind: 'Break';
}

export interface Continue extends StmtBase {
  kind: 'Continue';
}

export interface ScopeDecl extends StmtBase {
  kind: 'ScopeDecl';
  keyword: 'global' | 'nonlocal';
  names: string[];
}

export interface Module {
  docstring: string | null;
  /** `from __future__`, stdlib, third-party and package imports, already grouped by the import collector. */
  imports: Stmt[][];
  body: Stmt[];
}

// Constructors: short, so visitors read like the Python they build.
export const name = (id: string): Name => ({ kind: 'Name', id });
export const str = (value: string): Constant => ({ kind: 'Constant', value });
export const int = (value: number | bigint): Constant => ({ kind: 'Constant', value: BigInt(value) });
export const bool = (value: boolean): Constant => ({ kind: 'Constant', value });
export const none = (): Constant => ({ kind: 'Constant', value: null });
export const attr = (value: Expr, attribute: string): Attribute => ({ kind: 'Attribute', value, attr: attribute });
export const subscript = (value: Expr, index: Expr): Subscript => ({ kind: 'Subscript', value, index });
export const call = (func: Expr, args: Expr[] = [], keywords: Keyword[] = []): Call => ({
  kind: 'Call',
  func,
  args,
  keywords,
});
export const binop = (left: Expr, op: BinaryOperator, right: Expr): BinOp => ({ kind: 'BinOp', op, left, right });
export const compare = (left: Expr, op: CompareOperator, right: Expr): Compare => ({
  kind: 'Compare',
  op,
  left,
  right,
});
/** `not x`; `not a in b` and `not a is b` read as Python writes them: `a not in b`, `a is not b`. */
export const not = (operand: Expr): Expr => {
  if (operand.kind === 'Compare' && (operand.op === 'in' || operand.op === 'is')) {
    return { ...operand, op: operand.op === 'in' ? 'not in' : 'is not' };
  }
  return { kind: 'UnaryOp', op: 'not', operand };
};
export const ifExp = (test: Expr, body: Expr, orelse: Expr): IfExp => ({ kind: 'IfExp', test, body, orelse });
export const list = (elts: Expr[]): ListExpr => ({ kind: 'List', elts });
export const tuple = (elts: Expr[]): TupleExpr => ({ kind: 'Tuple', elts });
export const hint = (text: string): RawHint => ({ kind: 'RawHint', text });
export const exprStmt = (value: Expr): ExprStmt => ({ kind: 'ExprStmt', value });
export const assign = (target: Expr, value: Expr): Assign => ({ kind: 'Assign', target, value });
export const ret = (value: Expr | null): Return => ({ kind: 'Return', value });
export const ifStmt = (test: Expr, body: Stmt[], orelse: Stmt[] = []): If => ({ kind: 'If', test, body, orelse });
export const pass = (): Pass => ({ kind: 'Pass' });
export const comment = (lines: string[]): Comment => ({ kind: 'Comment', lines });

/** Whether two expressions are the same tree. */
export function sameExpr(a: Expr, b: Expr): boolean {
  return (
    JSON.stringify(a, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value)) ===
    JSON.stringify(b, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))
  );
}

/** A read without effects whose value cannot change between two reads in one expression: `x`, `self.x`, `d['k']`. */
export function isPureRead(e: Expr): boolean {
  if (e.kind === 'Name' || e.kind === 'Constant') return true;
  if (e.kind === 'Attribute') return isPureRead(e.value);
  if (e.kind === 'Subscript') return isPureRead(e.value) && (e.index.kind === 'Constant' || e.index.kind === 'Name');
  return false;
}
