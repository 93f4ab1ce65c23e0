// The one place that produces Python text: indentation, blank lines, comments, precedence-aware parentheses, string
// literals that denote exactly the same code points as the TypeScript strings they come from, and lines that fit
// the project's width (LINE_WIDTH), split the way black splits them.
import type * as py from './python-ast';

/** The project's line width: emitted lines (code, comments, docstrings) are at most this many characters. */
export const LINE_WIDTH = 120;

const INDENT = '    ';

// Python's binding strength, weakest first (the Python language reference, "Operator precedence").
const enum Prec {
  Lambda = 1,
  IfExp = 2,
  Or = 3,
  And = 4,
  Not = 5,
  Compare = 6,
  BitOr = 7,
  BitXor = 8,
  BitAnd = 9,
  Shift = 10,
  Additive = 11,
  Multiplicative = 12,
  Unary = 13,
  Power = 14,
  Primary = 16,
  Atom = 17,
}

const BINARY_PRECEDENCE: Record<py.BinaryOperator, Prec> = {
  '|': Prec.BitOr,
  '^': Prec.BitXor,
  '&': Prec.BitAnd,
  '<<': Prec.Shift,
  '>>': Prec.Shift,
  '+': Prec.Additive,
  '-': Prec.Additive,
  '*': Prec.Multiplicative,
  '/': Prec.Multiplicative,
  '//': Prec.Multiplicative,
  '%': Prec.Multiplicative,
  '**': Prec.Power,
};

/** Thrown for an AST the printer cannot print faithfully; visitors refuse such input before it gets here. */
export class PrinterError extends Error {}

function precedenceOf(expr: py.Expr): Prec {
  switch (expr.kind) {
    case 'Lambda':
      return Prec.Lambda;
    case 'IfExp':
      return Prec.IfExp;
    case 'BoolOp':
      return expr.op === 'or' ? Prec.Or : Prec.And;
    case 'UnaryOp':
      return expr.op === 'not' ? Prec.Not : Prec.Unary;
    case 'Compare':
      return Prec.Compare;
    case 'BinOp':
      return BINARY_PRECEDENCE[expr.op];
    case 'Constant':
      if (typeof expr.value === 'bigint' && expr.value < 0n) return Prec.Unary;
      if (typeof expr.value === 'object' && expr.value !== null && expr.value.float < 0) return Prec.Unary;
      return Prec.Atom;
    case 'Attribute':
    case 'Subscript':
    case 'Call':
      return Prec.Primary;
    // Printed with their own parentheses (or only valid where the caller allows them bare).
    case 'Yield':
    case 'YieldFrom':
    case 'Starred':
    case 'Slice':
      return Prec.Lambda;
    case 'FString':
      // An f-string that cannot be one (a backslash in an expression) prints as a concatenation.
      return fstringPieces(expr) === null ? Prec.Additive : Prec.Atom;
    default:
      return Prec.Atom;
  }
}

// ---- string literals ----

// Characters shown as themselves inside string literals: printable ASCII and non-ASCII letters, digits, punctuation
// and symbols. Everything else (controls, format characters, separators, marks, unassigned) is escaped, so the
// source shows exactly which code points a literal holds.
const SHOWN_AS_IS = /^[\p{L}\p{N}\p{P}\p{S}]$/u;

function escapeCodePoint(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** The body of a Python string literal (without quotes) denoting exactly the code points of `text`. */
export function escapeStringBody(
  text: string,
  quote: "'" | '"',
  options: { braces?: boolean; keepNewlines?: boolean } = {},
): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      throw new PrinterError(`lone surrogate U+${cp.toString(16).toUpperCase()} in a string literal`);
    }
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += options.keepNewlines === true ? '\n' : '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (options.braces === true && (ch === '{' || ch === '}')) out += ch + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp >= 0x80 && SHOWN_AS_IS.test(ch)) out += ch;
    else out += escapeCodePoint(cp);
  }
  return out;
}

/** A Python string literal: single quotes unless the text holds a single quote and no double quote (like repr). */
export function stringLiteral(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  return quote + escapeStringBody(text, quote) + quote;
}

function floatLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new PrinterError('non-finite float constant');
  const text = String(value);
  // JS spells 1e21 as "1e+21" and 5 as "5": both are valid Python, but "5" would be an int.
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function constantText(expr: py.Constant): string {
  const value = expr.value;
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'bigint') {
    if (expr.hex === true && value >= 0n) return `0x${value.toString(16)}`;
    return value.toString();
  }
  return floatLiteral(value.float);
}

// ---- expressions on one line ----

export function printExpr(expr: py.Expr, minPrec: number = Prec.Lambda): string {
  const text = renderExpr(expr);
  return precedenceOf(expr) < minPrec ? `(${text})` : text;
}

/** An element of a list, tuple, set or argument list: `*x` is valid there as it is, and so is a lambda. */
function printElement(e: py.Expr): string {
  return e.kind === 'Starred' ? renderExpr(e) : printExpr(e, Prec.Lambda);
}

/** A lone generator argument needs no parentheses of its own: `any(x for x in xs)`. */
function isLoneGenerator(args: py.Expr[], keywords: py.Keyword[]): boolean {
  return (
    args.length === 1 && keywords.length === 0 && args[0]!.kind === 'Comprehension' && args[0]!.form === 'generator'
  );
}

function printKeyword(kw: py.Keyword): string {
  return kw.name === null ? `**${printExpr(kw.value, Prec.BitOr)}` : `${kw.name}=${printExpr(kw.value, Prec.Lambda)}`;
}

function printArgs(args: py.Expr[], keywords: py.Keyword[]): string {
  if (isLoneGenerator(args, keywords)) return comprehensionBody(args[0] as py.Comprehension);
  return [...args.map(printElement), ...keywords.map(printKeyword)].join(', ');
}

function printElements(elts: py.Expr[]): string {
  return elts.map(printElement).join(', ');
}

function printDictEntry(e: py.DictEntry): string {
  return e.key === null
    ? `**${printExpr(e.value, Prec.BitOr)}`
    : `${printExpr(e.key, Prec.IfExp)}: ${printExpr(e.value, Prec.IfExp)}`;
}

function comprehensionHead(expr: py.Comprehension): string {
  return expr.form === 'dict' && expr.value !== undefined
    ? `${printExpr(expr.elt, Prec.IfExp)}: ${printExpr(expr.value, Prec.IfExp)}`
    : printExpr(expr.elt, Prec.IfExp);
}

function comprehensionBody(expr: py.Comprehension): string {
  const conditions = expr.conditions.map((c) => ` if ${printExpr(c, Prec.IfExp + 1)}`).join('');
  return `${comprehensionHead(expr)} for ${printTarget(expr.target)} in ${printExpr(expr.iter, Prec.Or)}${conditions}`;
}

function renderExpr(expr: py.Expr): string {
  switch (expr.kind) {
    case 'Name':
      return expr.id;
    case 'RawHint':
      return expr.text;
    case 'Constant':
      return constantText(expr);
    case 'Attribute': {
      const value = printExpr(expr.value, Prec.Primary);
      // `1.real` would lex as a float.
      const safe = expr.value.kind === 'Constant' && typeof expr.value.value === 'bigint' ? `(${value})` : value;
      return `${safe}.${expr.attr}`;
    }
    case 'Subscript':
      return `${printExpr(expr.value, Prec.Primary)}[${renderIndex(expr.index)}]`;
    case 'Slice':
      return renderIndex(expr);
    case 'Call':
      return `${printExpr(expr.func, Prec.Primary)}(${printArgs(expr.args, expr.keywords)})`;
    case 'BinOp': {
      const [left, right] = binaryOperands(expr);
      return `${printExpr(expr.left, left)} ${expr.op} ${printExpr(expr.right, right)}`;
    }
    case 'UnaryOp':
      if (expr.op === 'not') return `not ${printExpr(expr.operand, Prec.Not)}`;
      return `${expr.op}${printExpr(expr.operand, Prec.Unary)}`;
    case 'BoolOp': {
      const p = expr.op === 'or' ? Prec.Or : Prec.And;
      return expr.values.map((v) => printExpr(v, p + 1)).join(` ${expr.op} `);
    }
    case 'Compare':
      // Operands one level tighter than comparisons, so `(a == b) == c` never becomes a Python chain.
      return `${printExpr(expr.left, Prec.Compare + 1)} ${expr.op} ${printExpr(expr.right, Prec.Compare + 1)}`;
    case 'IfExp':
      return `${printExpr(expr.body, Prec.IfExp + 1)} if ${printExpr(expr.test, Prec.IfExp + 1)} else ${printExpr(expr.orelse, Prec.IfExp)}`;
    case 'Lambda': {
      const params = expr.params.map((p) => printParam({ ...p, annotation: null })).join(', ');
      return `lambda${params === '' ? '' : ' ' + params}: ${printExpr(expr.body, Prec.IfExp)}`;
    }
    case 'List':
      return `[${printElements(expr.elts)}]`;
    case 'Tuple':
      if (expr.elts.length === 1) return `(${printElements(expr.elts)},)`;
      return `(${printElements(expr.elts)})`;
    case 'Set':
      if (expr.elts.length === 0) return 'set()';
      return `{${printElements(expr.elts)}}`;
    case 'Dict':
      return `{${expr.entries.map(printDictEntry).join(', ')}}`;
    case 'Comprehension': {
      const body = comprehensionBody(expr);
      if (expr.form === 'list') return `[${body}]`;
      if (expr.form === 'dict') return `{${body}}`;
      return `(${body})`;
    }
    case 'FString': {
      const pieces = fstringPieces(expr);
      return pieces === null ? renderExpr(fstringConcatenation(expr)) : renderFString(expr.parts, pieces);
    }
    case 'Starred':
      return `${expr.double === true ? '**' : '*'}${printExpr(expr.value, Prec.BitOr)}`;
    case 'Yield':
      return expr.value === null ? '(yield)' : `(yield ${printExpr(expr.value, Prec.Lambda)})`;
    case 'YieldFrom':
      return `(yield from ${printExpr(expr.value, Prec.Lambda)})`;
    case 'NamedExpr':
      return `(${expr.target} := ${printExpr(expr.value, Prec.IfExp)})`;
  }
}

/** The minimum precedences of a binary operation's operands: `**` is right-associative, the others left. */
function binaryOperands(expr: py.BinOp): [number, number] {
  const p = BINARY_PRECEDENCE[expr.op];
  // A unary operand on the left of `**` must be parenthesised (`(-x) ** 2`).
  if (expr.op === '**') return [Prec.Power + 1, Prec.Unary];
  return [p, p + 1];
}

function renderIndex(index: py.Expr): string {
  if (index.kind === 'Slice') {
    const lower = index.lower === null ? '' : printExpr(index.lower, Prec.IfExp);
    const upper = index.upper === null ? '' : printExpr(index.upper, Prec.IfExp);
    return `${lower}:${upper}`;
  }
  return printExpr(index, Prec.IfExp);
}

/**
 * The text of each `{...}` of an f-string, or null when the f-string cannot be one: f-strings before Python 3.12
 * may not hold a backslash or a newline inside `{...}`, nor both quotes (the outer one must be unused inside).
 */
function fstringPieces(expr: py.FString): Array<string | null> | null {
  const pieces = expr.parts.map((part) => {
    if ('text' in part) return null;
    let text = printExpr(part.expr, Prec.IfExp);
    // `{` right after the opening brace would read as an escaped brace; a lambda's `:` would start a format spec.
    if (text.startsWith('{') || part.expr.kind === 'Lambda') text = `(${text})`;
    return text;
  });
  const embedded = pieces.filter((p): p is string => p !== null);
  const usesSingle = embedded.some((p) => p.includes("'"));
  const usesDouble = embedded.some((p) => p.includes('"'));
  const unsafe = embedded.some((p) => p.includes('\\') || p.includes('\n'));
  return unsafe || (usesSingle && usesDouble) ? null : pieces;
}

/** The same string built by concatenation, for an f-string Python cannot spell. */
function fstringConcatenation(expr: py.FString): py.Expr {
  const operands: py.Expr[] = expr.parts.map((part) =>
    'text' in part ? { kind: 'Constant', value: part.text } : part.expr,
  );
  if (operands.length === 0) return { kind: 'Constant', value: '' };
  return operands
    .slice(1)
    .reduce<py.Expr>((acc, operand) => ({ kind: 'BinOp', op: '+', left: acc, right: operand }), operands[0]!);
}

/** An f-string of `parts` (whose `{...}` texts are `pieces`); a plain literal when no part is an expression. */
function renderFString(parts: py.FStringPart[], pieces: Array<string | null>): string {
  if (parts.every((p) => 'text' in p)) return stringLiteral(parts.map((p) => ('text' in p ? p.text : '')).join(''));
  // The quote no embedded expression uses; when both are free, the one the text does not hold (like repr).
  const text = parts.map((p) => ('text' in p ? p.text : '')).join('');
  const singleFree = !pieces.some((p) => p !== null && p.includes("'"));
  const doubleFree = !pieces.some((p) => p !== null && p.includes('"'));
  const quote = !singleFree || (doubleFree && text.includes("'") && !text.includes('"')) ? '"' : "'";
  let body = '';
  parts.forEach((part, i) => {
    if ('text' in part) body += escapeStringBody(part.text, quote, { braces: true });
    else body += `{${pieces[i]!}}`;
  });
  return `f${quote}${body}${quote}`;
}

/** An assignment or loop target: tuples without parentheses (`k, v`). */
function printTarget(target: py.Expr): string {
  if (target.kind === 'Tuple') {
    return target.elts.map((e) => (e.kind === 'Tuple' ? `(${printTarget(e)})` : printExpr(e, Prec.BitOr))).join(', ');
  }
  return printExpr(target, Prec.BitOr);
}

function printParam(p: py.Param): string {
  const star = p.rest === true ? '*' : '';
  const ann = p.annotation === null ? '' : `: ${printExpr(p.annotation)}`;
  const def = p.default === null ? '' : `${ann === '' ? '=' : ' = '}${printExpr(p.default, Prec.IfExp)}`;
  return `${star}${p.name}${ann}${def}`;
}

// ---- expressions over several lines ----

/** The width of a line in characters (code points), as an editor counts them. */
export function lineWidth(line: string): number {
  let n = 0;
  for (const _ of line) n++;
  return n;
}

function fits(line: string): boolean {
  return lineWidth(line) <= LINE_WIDTH;
}

function isOperator(expr: py.Expr): boolean {
  return (
    expr.kind === 'BoolOp' ||
    expr.kind === 'BinOp' ||
    expr.kind === 'Compare' ||
    expr.kind === 'IfExp' ||
    (expr.kind === 'UnaryOp' && expr.op === 'not')
  );
}

/**
 * `prefix + expr + suffix` as lines at `indent`: one line when it fits, otherwise split as black splits it. Inside
 * brackets (`bracketed`) an operator expression splits before its operators; at statement level it gets black's
 * invisible parentheses, unless its one operator leaves a bracket at the end to split instead (right-hand split).
 */
function layoutExpr(
  expr: py.Expr,
  indent: string,
  prefix: string,
  suffix: string,
  minPrec: number,
  bracketed: boolean,
): string[] {
  const flat = `${prefix}${printExpr(expr, minPrec)}${suffix}`;
  if (fits(indent + flat)) return [indent + flat];
  if (precedenceOf(expr) < minPrec) return parenthesised(expr, indent, prefix, suffix);
  if (expr.kind === 'FString' && fstringPieces(expr) === null)
    return layoutExpr(fstringConcatenation(expr), indent, prefix, suffix, minPrec, bracketed);
  if ((expr.kind === 'Constant' && typeof expr.value === 'string') || expr.kind === 'FString') {
    const split = splitString(expr, indent, prefix, suffix, bracketed);
    if (split !== null) return split;
    return [indent + flat];
  }
  const links = methodChainLines(expr);
  if (links !== null) {
    if (!bracketed) return parenthesised(expr, indent, prefix, suffix);
    return links.flatMap((link, i) =>
      layoutExpr(link, indent, i === 0 ? prefix : '', i === links.length - 1 ? suffix : '', Prec.Primary, true),
    );
  }
  if (isOperator(expr)) {
    if (bracketed) return operatorSplit(expr, indent, prefix, suffix);
    if (delimiterCount(expr) <= 1) {
      const split = rightHandSplit(expr, indent, prefix, suffix, minPrec);
      if (split !== null) return split;
    }
    return parenthesised(expr, indent, prefix, suffix);
  }
  return rightHandSplit(expr, indent, prefix, suffix, minPrec) ?? [indent + flat];
}

const EMPTY: py.RawHint = { kind: 'RawHint', text: '' };

/** `expr` with `target`, a node on its chain of calls, attributes and subscripts, replaced by `replacement`. */
function replacedInChain(expr: py.Expr, target: py.Expr, replacement: py.Expr): py.Expr {
  if (expr === target) return replacement;
  if (expr.kind === 'Call') return { ...expr, func: replacedInChain(expr.func, target, replacement) };
  if (expr.kind === 'Attribute') return { ...expr, value: replacedInChain(expr.value, target, replacement) };
  if (expr.kind === 'Subscript') return { ...expr, value: replacedInChain(expr.value, target, replacement) };
  return expr;
}

/**
 * A chain of two or more method calls (`s.strip(a).rstrip(b).replace(c, d)`) as its lines, black's "fluent" split:
 * a line starts at each `.` that follows a closing bracket (`s.strip(a)`, `.rstrip(b)`, ...). Null for other forms.
 */
function methodChainLines(expr: py.Expr): py.Expr[] | null {
  const delimiters: py.Attribute[] = [];
  for (
    let node: py.Expr = expr;
    node.kind === 'Call' || node.kind === 'Attribute' || node.kind === 'Subscript';
    node = node.kind === 'Call' ? node.func : node.value
  ) {
    if (node.kind === 'Attribute' && (node.value.kind === 'Call' || node.value.kind === 'Subscript'))
      delimiters.push(node);
  }
  if (delimiters.length < 2) return null;
  const lines: py.Expr[] = [];
  let rest = expr;
  for (const delimiter of delimiters) {
    lines.unshift(replacedInChain(rest, delimiter.value, EMPTY));
    rest = delimiter.value;
  }
  lines.unshift(rest);
  return lines;
}

/** `prefix(` + the expression split inside + `)suffix`. */
function parenthesised(expr: py.Expr, indent: string, prefix: string, suffix: string): string[] {
  return [
    `${indent}${prefix}(`,
    ...layoutExpr(expr, indent + INDENT, '', '', Prec.Lambda, true),
    `${indent})${suffix}`,
  ];
}

/** How many operators of the loosest level an operator expression has at its top (black's delimiter count). */
function delimiterCount(expr: py.Expr): number {
  if (expr.kind === 'BoolOp') return expr.values.length - 1;
  if (expr.kind === 'BinOp') return binaryChain(expr).operators.length;
  if (expr.kind === 'IfExp') return 2;
  return 1;
}

/** `a - b + c` as operands [a, b, c] and operators [-, +]: the left-associative chain of one precedence level. */
function binaryChain(expr: py.BinOp): { operands: Array<{ expr: py.Expr; minPrec: number }>; operators: string[] } {
  const level = BINARY_PRECEDENCE[expr.op];
  const operands: Array<{ expr: py.Expr; minPrec: number }> = [];
  const operators: string[] = [];
  let current: py.Expr = expr;
  while (current.kind === 'BinOp' && BINARY_PRECEDENCE[current.op] === level && current.op !== '**') {
    const [, right] = binaryOperands(current);
    operands.unshift({ expr: current.right, minPrec: right });
    operators.unshift(current.op);
    current = current.left;
  }
  if (operators.length === 0) {
    const [left, right] = binaryOperands(expr);
    return {
      operands: [
        { expr: expr.left, minPrec: left },
        { expr: expr.right, minPrec: right },
      ],
      operators: [expr.op],
    };
  }
  operands.unshift({ expr: current, minPrec: level });
  return { operands, operators };
}

/** Inside brackets: one operand per line, each after its operator (`and x`, `+ y`, `if c`, `else d`). */
function operatorSplit(expr: py.Expr, indent: string, prefix: string, suffix: string): string[] {
  const lines: string[] = [];
  const pieces: Array<{ lead: string; expr: py.Expr; minPrec: number }> = [];
  if (expr.kind === 'BoolOp') {
    const p = expr.op === 'or' ? Prec.Or : Prec.And;
    expr.values.forEach((v, i) => pieces.push({ lead: i === 0 ? '' : `${expr.op} `, expr: v, minPrec: p + 1 }));
  } else if (expr.kind === 'BinOp') {
    const chain = binaryChain(expr);
    chain.operands.forEach((o, i) =>
      pieces.push({ lead: i === 0 ? '' : `${chain.operators[i - 1]!} `, expr: o.expr, minPrec: o.minPrec }),
    );
  } else if (expr.kind === 'Compare') {
    pieces.push(
      { lead: '', expr: expr.left, minPrec: Prec.Compare + 1 },
      { lead: `${expr.op} `, expr: expr.right, minPrec: Prec.Compare + 1 },
    );
  } else if (expr.kind === 'IfExp') {
    pieces.push(
      { lead: '', expr: expr.body, minPrec: Prec.IfExp + 1 },
      { lead: 'if ', expr: expr.test, minPrec: Prec.IfExp + 1 },
      { lead: 'else ', expr: expr.orelse, minPrec: Prec.IfExp },
    );
  } else if (expr.kind === 'UnaryOp' && expr.op === 'not') {
    return layoutExpr(expr.operand, indent, `${prefix}not `, suffix, Prec.Not, true);
  } else {
    return layoutExpr(expr, indent, prefix, suffix, Prec.Lambda, true);
  }
  pieces.forEach((piece, i) => {
    const first = i === 0 ? prefix : '';
    const last = i === pieces.length - 1 ? suffix : '';
    const lead = `${first}${piece.lead}`;
    const flat = `${lead}${printExpr(piece.expr, piece.minPrec)}${last}`;
    // An operand that is itself split keeps its own parentheses, so the lines show what belongs together.
    if (!fits(indent + flat) && isOperator(piece.expr) && precedenceOf(piece.expr) >= piece.minPrec) {
      lines.push(...parenthesised(piece.expr, indent, lead, last));
    } else {
      lines.push(...layoutExpr(piece.expr, indent, lead, last, piece.minPrec, true));
    }
  });
  return lines;
}

/** One element of a bracketed group: `prefix` + expression (`name=`, `*`, `key: `). */
interface GroupItem {
  prefix: string;
  expr: py.Expr;
  minPrec: number;
}

/** The contents of a bracket pair, laid out one per line (items) or as the clauses of a comprehension. */
type GroupContent = { items: GroupItem[]; trailingComma: boolean } | { comprehension: py.Comprehension };

const HOLE = '\u0000';
const hole: py.RawHint = { kind: 'RawHint', text: HOLE };

/** The node whose brackets end the flat text of `expr` (black splits the last bracket pair first), or null. */
function lastBracketOwner(expr: py.Expr): py.Expr | null {
  switch (expr.kind) {
    case 'Call':
      return expr.args.length + expr.keywords.length > 0 ? expr : null;
    case 'Subscript':
    case 'Comprehension':
      return expr;
    case 'List':
    case 'Tuple':
    case 'Set':
      return expr.elts.length > 0 ? expr : null;
    case 'Dict':
      return expr.entries.length > 0 ? expr : null;
    case 'Attribute':
      return lastBracketOwner(expr.value);
    case 'BinOp':
      return lastBracketOwner(expr.right);
    case 'BoolOp':
      return lastBracketOwner(expr.values[expr.values.length - 1]!);
    case 'Compare':
      return lastBracketOwner(expr.right);
    case 'UnaryOp':
      return lastBracketOwner(expr.operand);
    case 'IfExp':
      return lastBracketOwner(expr.orelse);
    case 'Starred':
      return lastBracketOwner(expr.value);
    default:
      return null;
  }
}

/** `owner` with its bracket contents replaced by the hole marker, and what those contents are. */
function opened(owner: py.Expr): { shell: py.Expr; content: GroupContent } | null {
  switch (owner.kind) {
    case 'Call': {
      if (isLoneGenerator(owner.args, owner.keywords)) {
        return {
          shell: { ...owner, args: [hole], keywords: [] },
          content: { comprehension: owner.args[0] as py.Comprehension },
        };
      }
      const items: GroupItem[] = [
        ...owner.args.map((a) =>
          a.kind === 'Starred'
            ? { prefix: a.double === true ? '**' : '*', expr: a.value, minPrec: Prec.BitOr }
            : { prefix: '', expr: a, minPrec: Prec.Lambda },
        ),
        ...owner.keywords.map((k) =>
          k.name === null
            ? { prefix: '**', expr: k.value, minPrec: Prec.BitOr }
            : { prefix: `${k.name}=`, expr: k.value, minPrec: Prec.Lambda },
        ),
      ];
      return { shell: { ...owner, args: [hole], keywords: [] }, content: { items, trailingComma: items.length > 1 } };
    }
    case 'Subscript':
      if (owner.index.kind === 'Slice') return null;
      return {
        shell: { ...owner, index: hole },
        content: { items: [{ prefix: '', expr: owner.index, minPrec: Prec.IfExp }], trailingComma: false },
      };
    case 'List':
    case 'Set':
    case 'Tuple': {
      const items = owner.elts.map((e) =>
        e.kind === 'Starred'
          ? { prefix: '*', expr: e.value, minPrec: Prec.BitOr }
          : { prefix: '', expr: e, minPrec: Prec.Lambda },
      );
      // A tuple of one keeps its comma; `(hole,)` would print it twice.
      const shell: py.Expr =
        owner.kind === 'Tuple' ? { kind: 'RawHint', text: `(${HOLE})` } : { ...owner, elts: [hole] };
      return { shell, content: { items, trailingComma: items.length > 1 || owner.kind === 'Tuple' } };
    }
    case 'Dict': {
      const items = owner.entries.map((e) =>
        e.key === null
          ? { prefix: '**', expr: e.value, minPrec: Prec.BitOr }
          : { prefix: `${printExpr(e.key, Prec.IfExp)}: `, expr: e.value, minPrec: Prec.IfExp },
      );
      return { shell: { kind: 'RawHint', text: `{${HOLE}}` }, content: { items, trailingComma: items.length > 1 } };
    }
    case 'Comprehension': {
      const brackets = owner.form === 'list' ? '[]' : owner.form === 'dict' ? '{}' : '()';
      return {
        shell: { kind: 'RawHint', text: `${brackets[0]!}${HOLE}${brackets[1]!}` },
        content: { comprehension: owner },
      };
    }
    default:
      return null;
  }
}

/** `expr` with the node `target` (by identity) replaced by `replacement`. */
function replaced(expr: py.Expr, target: py.Expr, replacement: py.Expr): py.Expr {
  if (expr === target) return replacement;
  switch (expr.kind) {
    case 'Attribute':
      return { ...expr, value: replaced(expr.value, target, replacement) };
    case 'BinOp':
      return { ...expr, right: replaced(expr.right, target, replacement) };
    case 'BoolOp':
      return {
        ...expr,
        values: [...expr.values.slice(0, -1), replaced(expr.values[expr.values.length - 1]!, target, replacement)],
      };
    case 'Compare':
      return { ...expr, right: replaced(expr.right, target, replacement) };
    case 'UnaryOp':
      return { ...expr, operand: replaced(expr.operand, target, replacement) };
    case 'IfExp':
      return { ...expr, orelse: replaced(expr.orelse, target, replacement) };
    case 'Starred':
      return { ...expr, value: replaced(expr.value, target, replacement) };
    default:
      return expr;
  }
}

/** Black's right-hand split: everything up to the last opening bracket, the contents indented, then the rest. */
function rightHandSplit(
  expr: py.Expr,
  indent: string,
  prefix: string,
  suffix: string,
  minPrec: number,
): string[] | null {
  const owner = lastBracketOwner(expr);
  if (owner === null) return null;
  const open = opened(owner);
  if (open === null) return null;
  const text = `${prefix}${printExpr(replaced(expr, owner, open.shell), minPrec)}${suffix}`;
  const at = text.indexOf(HOLE);
  const head = text.slice(0, at);
  const tail = text.slice(at + HOLE.length);
  if (!fits(indent + head)) return null;
  return [indent + head, ...layoutContent(open.content, indent + INDENT), indent + tail];
}

function layoutContent(content: GroupContent, indent: string): string[] {
  if ('comprehension' in content) {
    const c = content.comprehension;
    const flat = comprehensionBody(c);
    if (fits(indent + flat)) return [indent + flat];
    const lines =
      c.form === 'dict' && c.value !== undefined
        ? layoutExpr(c.value, indent, `${printExpr(c.elt, Prec.IfExp)}: `, '', Prec.IfExp, true)
        : layoutExpr(c.elt, indent, '', '', Prec.IfExp, true);
    lines.push(...layoutExpr(c.iter, indent, `for ${printTarget(c.target)} in `, '', Prec.Or, true));
    for (const condition of c.conditions) lines.push(...layoutExpr(condition, indent, 'if ', '', Prec.IfExp + 1, true));
    return lines;
  }
  const { items, trailingComma } = content;
  const texts = items.map((item) => `${item.prefix}${printExpr(item.expr, item.minPrec)}`);
  const single = items.length === 1 && trailingComma ? `${texts[0]!},` : texts.join(', ');
  if (fits(indent + single)) return [indent + single];
  return items.flatMap((item, i) => {
    const comma = i < items.length - 1 || trailingComma ? ',' : '';
    const isString =
      (item.expr.kind === 'Constant' && typeof item.expr.value === 'string') || item.expr.kind === 'FString';
    // A string split after `name=` or `key: ` reads as one value only inside parentheses.
    if (isString && item.prefix !== '' && !fits(`${indent}${texts[i]!}${comma}`))
      return parenthesised(item.expr, indent, item.prefix, comma);
    return layoutExpr(item.expr, indent, item.prefix, comma, item.minPrec, true);
  });
}

/** A piece of a string being split: literal text, or one `{...}` of an f-string. */
type StringPiece = { text: string } | { expr: py.Expr };

/**
 * A string literal or f-string too long for its line, as adjacent literals (Python joins them) that each fit,
 * broken before spaces: inside brackets one per line, at statement level inside parentheses. Null when there is
 * no space to break at.
 */
function splitString(
  expr: py.Constant | py.FString,
  indent: string,
  prefix: string,
  suffix: string,
  bracketed: boolean,
): string[] | null {
  if (!bracketed) {
    const inner = splitString(expr, indent + INDENT, '', '', true);
    return inner === null ? null : [`${indent}${prefix}(`, ...inner, `${indent})${suffix}`];
  }
  const parts: StringPiece[] = expr.kind === 'Constant' ? [{ text: expr.value as string }] : expr.parts;
  // Units that stay together: a word with the spaces before it, or an interpolation with the text glued to it.
  const units: StringPiece[][] = [[]];
  for (const part of parts) {
    if (!('text' in part)) {
      units[units.length - 1]!.push(part);
      continue;
    }
    part.text.split(/(?= )/).forEach((word, i) => {
      if (i > 0 && /^ /.test(word) && units[units.length - 1]!.length > 0) units.push([]);
      if (fits(`${indent}${stringLiteral(word)}`)) {
        units[units.length - 1]!.push({ text: word });
        return;
      }
      // A word too long for any line (a run of escapes) is broken between its characters.
      for (const ch of word) {
        if (units[units.length - 1]!.length > 0) units.push([]);
        units[units.length - 1]!.push({ text: ch });
      }
    });
  }
  if (units.length < 2) return null;
  const render = (pieces: StringPiece[]): string => {
    const merged: py.FStringPart[] = [];
    for (const piece of pieces) {
      const last = merged[merged.length - 1];
      if ('text' in piece && last !== undefined && 'text' in last)
        merged[merged.length - 1] = { text: last.text + piece.text };
      else merged.push(piece);
    }
    const fstring: py.FString = { kind: 'FString', parts: merged };
    return renderFString(merged, fstringPieces(fstring) ?? merged.map(() => null));
  };
  const lines: string[] = [];
  let current: StringPiece[] = [];
  units.forEach((unit, i) => {
    const lead = lines.length === 0 ? prefix : '';
    const isLast = i === units.length - 1;
    const candidate = [...current, ...unit];
    if (current.length > 0 && !fits(`${indent}${lead}${render(candidate)}${isLast ? suffix : ''}`)) {
      lines.push(`${indent}${lead}${render(current)}`);
      current = [...unit];
    } else {
      current = candidate;
    }
  });
  lines.push(`${indent}${lines.length === 0 ? prefix : ''}${render(current)}${suffix}`);
  return lines;
}

// ---- comments and docstrings ----

/** Greedy fill of `words` into lines of at most LINE_WIDTH, the first after `first`, the others after `rest`. */
function fill(words: string[], first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const lead = lines.length === 0 ? first : rest;
    if (line !== '' && !fits(`${lead}${line} ${word}`)) {
      lines.push(`${lead}${line}`);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(`${lines.length === 0 ? first : rest}${line}`);
  return lines;
}

/**
 * Text lines (of a comment or docstring) after `first` (first line) and `rest` (the others). A paragraph whose lines
 * all fit is kept as written; one with a line past the width is refilled. Indented lines and list items start their
 * own paragraph and keep their indentation.
 */
function reflow(lines: readonly string[], first: string, rest: string): string[] {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.length === 0) return;
    const lead = out.length === 0 ? first : rest;
    const written = paragraph.map((l, i) => `${i === 0 ? lead : rest}${l}`);
    if (written.every(fits)) out.push(...written);
    else {
      // The first line keeps its indentation (and list marker); the lines after it hang under its text.
      const indentation = /^\s*/.exec(paragraph[0]!)![0];
      const marker = /^(?:[-*•] |\d+[.)] )/.exec(paragraph[0]!.slice(indentation.length))?.[0] ?? '';
      const words = paragraph.join(' ').trim().split(/\s+/);
      out.push(...fill(words, lead + indentation, rest + indentation + ' '.repeat(marker.length)));
    }
    paragraph = [];
  };
  for (const line of lines) {
    if (line.trim() === '') {
      flush();
      out.push((out.length === 0 ? first : rest).trimEnd());
      continue;
    }
    if (/^\s/.test(line) || /^(?:[-*•] |\d+[.)] )/.test(line)) flush();
    paragraph.push(line);
  }
  flush();
  return out;
}

function commentLines(lines: readonly string[], indent: string): string[] {
  return reflow(lines, `${indent}# `, `${indent}# `).map((l) => l.trimEnd());
}

function docstringLines(text: string, indent: string): string[] {
  let body = escapeStringBody(text, '"', { keepNewlines: true }).replace(/\\"/g, '"');
  // Only a run of three quotes (or one at the very end) would close the literal early.
  body = body.replace(/"""/g, '""\\"');
  if (body.endsWith('"')) body = body.slice(0, -1) + '\\"';
  const textLines = body.split('\n');
  if (textLines.length === 1 && fits(`${indent}"""${body}"""`)) return [`${indent}"""${body}"""`];
  return [...reflow(textLines, `${indent}"""`, indent).map((l) => l.trimEnd()), `${indent}"""`];
}

// ---- statements ----

function isDefinition(stmt: py.Stmt | undefined): boolean {
  return stmt !== undefined && (stmt.kind === 'ClassDef' || stmt.kind === 'FunctionDef');
}

/** Statements with the comments before them: blank lines go before a group, never between a comment and its code. */
interface Group {
  comments: py.Comment[];
  stmt: py.Stmt | undefined;
}

function groups(stmts: py.Stmt[]): Group[] {
  const out: Group[] = [];
  let comments: py.Comment[] = [];
  for (const stmt of stmts) {
    if (stmt.kind === 'Comment') comments.push(stmt);
    else {
      out.push({ comments, stmt });
      comments = [];
    }
  }
  if (comments.length > 0) out.push({ comments, stmt: undefined });
  return out;
}

/**
 * A block of statements. `blankAround` is how many blank lines separate definitions from their neighbours:
 * two at module level, one inside a class, none inside functions; elsewhere a blank line of the source is kept.
 */
function printBlock(stmts: py.Stmt[], indent: string, blankAround: number): string[] {
  const out: string[] = [];
  const all = groups(stmts);
  all.forEach((group, i) => {
    if (i > 0) {
      const previous = all[i - 1]!;
      const definitions = blankAround > 0 && (isDefinition(group.stmt) || isDefinition(previous.stmt));
      const sourceBlank = (group.comments[0] ?? group.stmt)?.blankBefore === true;
      const blanks = definitions ? blankAround : sourceBlank ? 1 : 0;
      for (let k = 0; k < blanks; k++) out.push('');
    }
    for (const c of group.comments) out.push(...commentLines(c.lines, indent));
    if (group.stmt !== undefined) out.push(...printStmt(group.stmt, indent));
  });
  if (all.every((g) => g.stmt === undefined)) out.push(`${indent}pass`);
  return out;
}

function printBody(docstring: string | null, body: py.Stmt[], indent: string, blankAround: number): string[] {
  const out: string[] = [];
  if (docstring !== null) out.push(...docstringLines(docstring, indent));
  if (body.length === 0) {
    if (docstring === null) out.push(`${indent}pass`);
    return out;
  }
  if (docstring !== null && blankAround > 0) out.push('');
  out.push(...printBlock(body, indent, blankAround));
  return out;
}

/** A header `head(items)tail` (def, class): one line, else the items on one indented line, else one per line. */
function bracketHeader(indent: string, head: string, items: string[], tail: string): string[] {
  const flat = `${indent}${head}(${items.join(', ')})${tail}`;
  if (items.length === 0 || fits(flat)) return [flat];
  const inner = indent + INDENT;
  const joined = items.join(', ');
  const body = fits(inner + joined) ? [inner + joined] : items.map((item) => `${inner}${item},`);
  return [`${indent}${head}(`, ...body, `${indent})${tail}`];
}

/** The value of a statement: a bare yield or tuple needs no parentheses there. */
function layoutValue(value: py.Expr, indent: string, prefix: string, suffix: string): string[] {
  if (value.kind === 'Yield') {
    if (value.value === null) return [`${indent}${prefix}yield${suffix}`];
    return layoutExpr(value.value, indent, `${prefix}yield `, suffix, Prec.Lambda, false);
  }
  if (value.kind === 'YieldFrom')
    return layoutExpr(value.value, indent, `${prefix}yield from `, suffix, Prec.Lambda, false);
  return layoutExpr(value, indent, prefix, suffix, Prec.Lambda, false);
}

/** Adds a statement's trailing comment to its last line, or above it when the line would pass the width. */
function withTrailing(lines: string[], trailing: string | undefined, indent: string): string[] {
  if (trailing === undefined) return lines;
  const last = `${lines[lines.length - 1]!}  # ${trailing}`;
  if (fits(last)) return [...lines.slice(0, -1), last];
  return [...commentLines([trailing], indent), ...lines];
}

export function printStmt(stmt: py.Stmt, indent: string): string[] {
  return withTrailing(printStmtCode(stmt, indent), stmt.trailing, indent);
}

function printStmtCode(stmt: py.Stmt, indent: string): string[] {
  const inner = indent + INDENT;
  switch (stmt.kind) {
    case 'Comment':
      return commentLines(stmt.lines, indent);
    case 'ImportFrom': {
      const names = stmt.names.map((n) => (n.asname === null ? n.name : `${n.name} as ${n.asname}`));
      const flat = `${indent}from ${stmt.module} import ${names.join(', ')}`;
      // Like black: an import that does not fit lists one name per line.
      if (fits(flat)) return [flat];
      return [`${indent}from ${stmt.module} import (`, ...names.map((n) => `${inner}${n},`), `${indent})`];
    }
    case 'ImportModule':
      return [`${indent}import ${stmt.module}`];
    case 'ClassDef': {
      const bases = [
        ...stmt.bases.map((b) => printExpr(b)),
        ...stmt.keywords.map((k) => `${k.name ?? ''}=${printExpr(k.value)}`),
      ];
      const anchor = stmt.anchor === undefined ? '' : `  # ${stmt.anchor}`;
      const head =
        bases.length === 0
          ? [`${indent}class ${stmt.name}:${anchor}`]
          : bracketHeader(indent, `class ${stmt.name}`, bases, `:${anchor}`);
      return [...head, ...printBody(stmt.docstring, stmt.body, inner, 1)];
    }
    case 'FunctionDef': {
      const decorators = stmt.decorators.map((d) => `${indent}@${printExpr(d)}`);
      const returns = stmt.returns === null ? '' : ` -> ${printExpr(stmt.returns)}`;
      const anchor = stmt.anchor === undefined ? '' : `  # ${stmt.anchor}`;
      const head = bracketHeader(indent, `def ${stmt.name}`, stmt.params.map(printParam), `${returns}:${anchor}`);
      return [...decorators, ...head, ...printBody(stmt.docstring, stmt.body, inner, 0)];
    }
    case 'Assign':
      return layoutValue(stmt.value, indent, `${printTarget(stmt.target)} = `, '');
    case 'AnnAssign': {
      const head = `${printTarget(stmt.target)}: ${printExpr(stmt.annotation)}`;
      return stmt.value === null ? [`${indent}${head}`] : layoutValue(stmt.value, indent, `${head} = `, '');
    }
    case 'AugAssign':
      return layoutValue(stmt.value, indent, `${printTarget(stmt.target)} ${stmt.op}= `, '');
    case 'ExprStmt':
      return layoutValue(stmt.value, indent, '', '');
    case 'If': {
      const out = [
        ...layoutExpr(stmt.test, indent, 'if ', ':', Prec.Lambda, false),
        ...printBlock(stmt.body, inner, 0),
      ];
      let orelse = stmt.orelse;
      while (orelse.length === 1 && orelse[0]!.kind === 'If') {
        const elif = orelse[0];
        out.push(
          ...layoutExpr(elif.test, indent, 'elif ', ':', Prec.Lambda, false),
          ...printBlock(elif.body, inner, 0),
        );
        orelse = elif.orelse;
      }
      if (orelse.length > 0) out.push(`${indent}else:`, ...printBlock(orelse, inner, 0));
      return out;
    }
    case 'For':
      return [
        ...layoutExpr(stmt.iter, indent, `for ${printTarget(stmt.target)} in `, ':', Prec.Lambda, false),
        ...printBlock(stmt.body, inner, 0),
      ];
    case 'While':
      return [...layoutExpr(stmt.test, indent, 'while ', ':', Prec.Lambda, false), ...printBlock(stmt.body, inner, 0)];
    case 'Try': {
      const out = [`${indent}try:`, ...printBlock(stmt.body, inner, 0)];
      for (const h of stmt.handlers) {
        const type = h.type === null ? '' : ` ${printExpr(h.type)}`;
        const as = h.name === null ? '' : ` as ${h.name}`;
        out.push(`${indent}except${type}${as}:`, ...printBlock(h.body, inner, 0));
      }
      if (stmt.finalbody.length > 0) out.push(`${indent}finally:`, ...printBlock(stmt.finalbody, inner, 0));
      return out;
    }
    case 'Raise':
      return stmt.exc === null ? [`${indent}raise`] : layoutExpr(stmt.exc, indent, 'raise ', '', Prec.Lambda, false);
    case 'Return':
      return stmt.value === null ? [`${indent}return`] : layoutValue(stmt.value, indent, 'return ', '');
    case 'Pass':
      return [`${indent}pass`];
    case 'Break':
      return [`${indent}break`];
    case 'Continue':
      return [`${indent}continue`];
    case 'ScopeDecl':
      return [`${indent}${stmt.keyword} ${stmt.names.join(', ')}`];
  }
}

/** A whole module: header comment, docstring, import groups, body; blank lines as PEP 8 has them. */
export function printModule(module: py.Module, header: string): string {
  const out: string[] = [header];
  if (module.docstring !== null) out.push(...docstringLines(module.docstring, ''));
  module.imports.forEach((group, i) => {
    if (i > 0) out.push('');
    for (const stmt of group) out.push(...printStmt(stmt, ''));
  });
  if (module.body.length > 0) {
    out.push('', '');
    out.push(...printBlock(module.body, '', 2));
  }
  return out.join('\n') + '\n';
}
