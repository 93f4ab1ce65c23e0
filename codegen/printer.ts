// The one place that produces Python text: indentation, blank lines, precedence-aware parentheses, and string
// literals that denote exactly the same code points as the TypeScript strings they come from.
import type * as py from './python-ast';

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
    default:
      return Prec.Atom;
  }
}

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
export function escapeStringBody(text: string, quote: "'" | '"', options: { braces?: boolean; keepNewlines?: boolean } = {}): string {
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

export function printExpr(expr: py.Expr, minPrec: number = Prec.Lambda): string {
  const text = renderExpr(expr);
  return precedenceOf(expr) < minPrec ? `(${text})` : text;
}

/** An element of a list, tuple, set or argument list: `*x` is valid there as it is. */
function printElement(e: py.Expr): string {
  return e.kind === 'Starred' ? renderExpr(e) : printExpr(e, Prec.IfExp);
}

function printArgs(args: py.Expr[], keywords: py.Keyword[]): string {
  // A lone generator argument needs no parentheses of its own: `any(x for x in xs)`.
  if (args.length === 1 && keywords.length === 0 && args[0]!.kind === 'Comprehension' && args[0]!.form === 'generator') {
    return renderExpr(args[0]!).slice(1, -1);
  }
  const parts = args.map(printElement);
  for (const kw of keywords) {
    parts.push(kw.name === null ? `**${printExpr(kw.value, Prec.BitOr)}` : `${kw.name}=${printExpr(kw.value, Prec.IfExp)}`);
  }
  return parts.join(', ');
}

function printElements(elts: py.Expr[]): string {
  return elts.map(printElement).join(', ');
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
      const p = BINARY_PRECEDENCE[expr.op];
      if (expr.op === '**') {
        // Right-associative; a unary operand on the left must be parenthesised (`(-x) ** 2`).
        return `${printExpr(expr.left, Prec.Power + 1)} ** ${printExpr(expr.right, Prec.Unary)}`;
      }
      return `${printExpr(expr.left, p)} ${expr.op} ${printExpr(expr.right, p + 1)}`;
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
      const params = printParams(expr.params.map((p) => ({ ...p, annotation: null })));
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
      return `{${expr.entries
        .map((e) => (e.key === null ? `**${printExpr(e.value, Prec.BitOr)}` : `${printExpr(e.key, Prec.IfExp)}: ${printExpr(e.value, Prec.IfExp)}`))
        .join(', ')}}`;
    case 'Comprehension': {
      const head =
        expr.form === 'dict' && expr.value !== undefined
          ? `${printExpr(expr.elt, Prec.IfExp)}: ${printExpr(expr.value, Prec.IfExp)}`
          : printExpr(expr.elt, Prec.IfExp);
      const conditions = expr.conditions.map((c) => ` if ${printExpr(c, Prec.IfExp + 1)}`).join('');
      const body = `${head} for ${printTarget(expr.target)} in ${printExpr(expr.iter, Prec.Or)}${conditions}`;
      if (expr.form === 'list') return `[${body}]`;
      if (expr.form === 'dict') return `{${body}}`;
      return `(${body})`;
    }
    case 'FString':
      return renderFString(expr);
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

function renderIndex(index: py.Expr): string {
  if (index.kind === 'Slice') {
    const lower = index.lower === null ? '' : printExpr(index.lower, Prec.IfExp);
    const upper = index.upper === null ? '' : printExpr(index.upper, Prec.IfExp);
    return `${lower}:${upper}`;
  }
  return printExpr(index, Prec.IfExp);
}

/**
 * f-strings before Python 3.12 may not hold a backslash, a newline or the enclosing quote inside `{...}`. The outer
 * quote is the one no embedded expression uses; when both are used, the same string is built by concatenation.
 */
function renderFString(expr: py.FString): string {
  const pieces = expr.parts.map((part) => {
    if ('text' in part) return null;
    let text = printExpr(part.expr, Prec.IfExp);
    // `{` right after the opening brace would read as an escaped brace; `!`, `:` and lambdas confuse the parser.
    if (text.startsWith('{') || part.expr.kind === 'Lambda' || part.expr.kind === 'IfExp') text = `(${text})`;
    return text;
  });
  const embedded = pieces.filter((p): p is string => p !== null);
  const usesSingle = embedded.some((p) => p.includes("'"));
  const usesDouble = embedded.some((p) => p.includes('"'));
  const unsafe = embedded.some((p) => p.includes('\\') || p.includes('\n'));
  if (unsafe || (usesSingle && usesDouble)) {
    const operands: string[] = expr.parts.map((part) =>
      'text' in part ? stringLiteral(part.text) : printExpr(part.expr, Prec.Additive + 1),
    );
    return operands.length === 0 ? "''" : operands.join(' + ');
  }
  const quote = usesSingle ? '"' : "'";
  let body = '';
  expr.parts.forEach((part, i) => {
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

/** The statement-level value of an assignment: a bare yield or tuple needs no parentheses there. */
function printValue(value: py.Expr): string {
  if (value.kind === 'Yield') return value.value === null ? 'yield' : `yield ${printExpr(value.value, Prec.Lambda)}`;
  if (value.kind === 'YieldFrom') return `yield from ${printExpr(value.value, Prec.Lambda)}`;
  return printExpr(value, Prec.Lambda);
}

function docstringLines(text: string, indent: string): string[] {
  let body = escapeStringBody(text, '"', { keepNewlines: true }).replace(/\\"/g, '"');
  // Only a run of three quotes (or one at the very end) would close the literal early.
  body = body.replace(/"""/g, '""\\"');
  if (body.endsWith('"')) body = body.slice(0, -1) + '\\"';
  const lines = body.split('\n');
  if (lines.length === 1) return [`${indent}"""${body}"""`];
  const out = [`${indent}"""${lines[0]!}`];
  for (const line of lines.slice(1)) out.push(line === '' ? '' : indent + line);
  out.push(`${indent}"""`);
  return out;
}

function isDefinition(stmt: py.Stmt): boolean {
  return stmt.kind === 'ClassDef' || stmt.kind === 'FunctionDef';
}

function printParams(params: py.Param[]): string {
  return params
    .map((p) => {
      const star = p.rest === true ? '*' : '';
      const ann = p.annotation === null ? '' : `: ${printExpr(p.annotation)}`;
      const def = p.default === null ? '' : `${ann === '' ? '=' : ' = '}${printExpr(p.default, Prec.IfExp)}`;
      return `${star}${p.name}${ann}${def}`;
    })
    .join(', ');
}

/**
 * A block of statements. `blankAround` is how many blank lines separate definitions from their neighbours:
 * two at module level, one inside a class, none inside functions.
 */
function printBlock(stmts: py.Stmt[], indent: string, blankAround: number): string[] {
  const out: string[] = [];
  if (stmts.length === 0) return [`${indent}pass`];
  stmts.forEach((stmt, i) => {
    if (i > 0 && blankAround > 0 && (isDefinition(stmt) || isDefinition(stmts[i - 1]!))) {
      for (let k = 0; k < blankAround; k++) out.push('');
    }
    out.push(...printStmt(stmt, indent));
  });
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

export function printStmt(stmt: py.Stmt, indent: string): string[] {
  const inner = indent + INDENT;
  switch (stmt.kind) {
    case 'ImportFrom':
      return [
        `${indent}from ${stmt.module} import ${stmt.names.map((n) => (n.asname === null ? n.name : `${n.name} as ${n.asname}`)).join(', ')}`,
      ];
    case 'ImportModule':
      return [`${indent}import ${stmt.module}`];
    case 'ClassDef': {
      const bases = [...stmt.bases.map((b) => printExpr(b)), ...stmt.keywords.map((k) => `${k.name ?? ''}=${printExpr(k.value)}`)];
      const head = `${indent}class ${stmt.name}${bases.length > 0 ? `(${bases.join(', ')})` : ''}:`;
      return [head, ...printBody(stmt.docstring, stmt.body, inner, 1)];
    }
    case 'FunctionDef': {
      const decorators = stmt.decorators.map((d) => `${indent}@${printExpr(d)}`);
      const returns = stmt.returns === null ? '' : ` -> ${printExpr(stmt.returns)}`;
      const head = `${indent}def ${stmt.name}(${printParams(stmt.params)})${returns}:`;
      const body = printBody(stmt.docstring, stmt.body, inner, 0);
      return [...decorators, head, ...body];
    }
    case 'Assign':
      return [`${indent}${printTarget(stmt.target)} = ${printValue(stmt.value)}`];
    case 'AnnAssign':
      return [
        `${indent}${printTarget(stmt.target)}: ${printExpr(stmt.annotation)}${stmt.value === null ? '' : ` = ${printValue(stmt.value)}`}`,
      ];
    case 'AugAssign':
      return [`${indent}${printTarget(stmt.target)} ${stmt.op}= ${printValue(stmt.value)}`];
    case 'ExprStmt':
      return [`${indent}${printValue(stmt.value)}`];
    case 'If': {
      const out = [`${indent}if ${printExpr(stmt.test)}:`, ...printBlock(stmt.body, inner, 0)];
      let orelse = stmt.orelse;
      while (orelse.length === 1 && orelse[0]!.kind === 'If') {
        const elif = orelse[0];
        out.push(`${indent}elif ${printExpr(elif.test)}:`, ...printBlock(elif.body, inner, 0));
        orelse = elif.orelse;
      }
      if (orelse.length > 0) out.push(`${indent}else:`, ...printBlock(orelse, inner, 0));
      return out;
    }
    case 'For':
      return [`${indent}for ${printTarget(stmt.target)} in ${printExpr(stmt.iter)}:`, ...printBlock(stmt.body, inner, 0)];
    case 'While':
      return [`${indent}while ${printExpr(stmt.test)}:`, ...printBlock(stmt.body, inner, 0)];
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
      return [`${indent}raise${stmt.exc === null ? '' : ' ' + printExpr(stmt.exc)}`];
    case 'Return':
      return [`${indent}return${stmt.value === null ? '' : ' ' + printValue(stmt.value)}`];
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
