// The printer alone: string literals denote exactly the code points of the TS string, parentheses follow Python's
// precedence, f-strings stay valid before Python 3.12.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PrinterError, printExpr, printStmt, stringLiteral } from '../../codegen/printer';
import * as py from '../../codegen/python-ast';

function pythonValue(literal: string): string {
  // The code points Python reads from the literal, as JSON with every non-ASCII character escaped.
  return execFileSync('/usr/bin/python3', ['-c', `import json,sys; sys.stdout.write(json.dumps(${literal}))`], {
    encoding: 'utf8',
  });
}

describe('string literals', () => {
  const samples = [
    'plain',
    "it's",
    'say "hi"',
    `both ' and "`,
    'tab\tnl\ncr\r',
    'nul\u0000 bell\u0007 del\u007f c1\u0085',
    'é中😀',
    'nbsp\u00a0 zwj\u200d bom\ufeff ls\u2028',
    'back\\slash',
    '{braces}',
    '\u{10ffff}\u{1f600}\u{e0001}',
  ];
  for (const text of samples) {
    it(`round-trips ${JSON.stringify(text)} exactly through Python`, () => {
      expect(pythonValue(stringLiteral(text))).toBe(
        JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      );
    });
  }

  it('escapes invisible and control characters and keeps letters readable', () => {
    expect(stringLiteral('a\u00a0b\u200dc é😀')).toBe("'a\\xa0b\\u200dc é😀'");
  });

  it('refuses a lone surrogate (no Python source spelling denotes the same UTF-16 string)', () => {
    expect(() => stringLiteral('x\ud800')).toThrow(PrinterError);
  });
});

describe('precedence', () => {
  const a = py.name('a');
  const b = py.name('b');
  const c = py.name('c');
  it('parenthesises by binding strength only where needed', () => {
    expect(printExpr(py.binop(py.binop(a, '+', b), '*', c))).toBe('(a + b) * c');
    expect(printExpr(py.binop(a, '-', py.binop(b, '-', c)))).toBe('a - (b - c)');
    expect(printExpr(py.binop(py.binop(a, '-', b), '-', c))).toBe('a - b - c');
    expect(printExpr(py.binop({ kind: 'UnaryOp', op: '-', operand: a }, '**', b))).toBe('(-a) ** b');
    expect(printExpr(py.not(py.compare(a, '==', b)))).toBe('not a == b');
  });

  it('never produces a Python comparison chain', () => {
    expect(printExpr(py.compare(py.compare(a, '==', b), '==', c))).toBe('(a == b) == c');
  });

  it('nests conditional expressions unambiguously', () => {
    expect(printExpr(py.ifExp(a, py.ifExp(b, c, a), b))).toBe('(c if b else a) if a else b');
    expect(printExpr(py.ifExp(a, b, py.ifExp(b, c, a)))).toBe('b if a else c if b else a');
  });
});

describe('f-strings', () => {
  it('doubles literal braces and picks the quote the expressions do not use', () => {
    const f: py.FString = {
      kind: 'FString',
      parts: [{ text: '{x} ' }, { expr: py.subscript(py.name('d'), py.str('k')) }],
    };
    expect(printExpr(f)).toBe(`f"{{x}} {d['k']}"`);
  });

  it('falls back to concatenation when an expression needs a backslash (invalid inside f-strings before 3.12)', () => {
    const f: py.FString = {
      kind: 'FString',
      parts: [{ text: 'a' }, { expr: py.call(py.attr(py.name('s'), 'strip'), [py.str('\t')]) }],
    };
    expect(printExpr(f)).toBe("'a' + s.strip('\\t')");
  });
});

describe('lines fit LINE_WIDTH (120), split the way black splits them', () => {
  const n = (id: string): py.Name => py.name(id);
  const long = (stem: string): py.Name => py.name(`${stem}_${'x'.repeat(30)}`);
  const print = (stmt: py.Stmt, indent = ''): string[] => printStmt(stmt, indent);

  it('keeps a statement that fits on one line', () => {
    expect(print(py.exprStmt(py.call(n('f'), [n('a'), n('b')])))).toEqual(['f(a, b)']);
  });

  it('puts the arguments of a call on one indented line when they fit there, without a trailing comma', () => {
    const call = py.call(long('function'), [long('first'), long('second'), long('third')]);
    expect(print(py.assign(n('value'), call))).toEqual([
      `value = function_${'x'.repeat(30)}(`,
      `    first_${'x'.repeat(30)}, second_${'x'.repeat(30)}, third_${'x'.repeat(30)}`,
      ')',
    ]);
  });

  it('puts one argument per line, with a trailing comma, when they do not fit on one', () => {
    const call = py.call(
      n('f'),
      [long('aaaa'), long('bbbb'), long('cccc'), long('dddd')],
      [{ name: 'key', value: py.str('v') }],
    );
    expect(print(py.exprStmt(call))).toEqual([
      'f(',
      `    aaaa_${'x'.repeat(30)},`,
      `    bbbb_${'x'.repeat(30)},`,
      `    cccc_${'x'.repeat(30)},`,
      `    dddd_${'x'.repeat(30)},`,
      "    key='v',",
      ')',
    ]);
  });

  it('splits a boolean chain of an if inside parentheses, one operand per line after its operator', () => {
    const test: py.Expr = {
      kind: 'BoolOp',
      op: 'and',
      values: [
        py.compare(long('left'), 'is', py.none()),
        py.compare(long('middle'), 'in', long('right')),
        long('flag'),
      ],
    };
    expect(print(py.ifStmt(test, [py.pass()]))).toEqual([
      'if (',
      `    left_${'x'.repeat(30)} is None`,
      `    and middle_${'x'.repeat(30)} in right_${'x'.repeat(30)}`,
      `    and flag_${'x'.repeat(30)}`,
      '):',
      '    pass',
    ]);
  });

  it('splits a concatenation before its operators, and a conditional expression before if and else', () => {
    const sum = py.binop(py.binop(py.binop(long('one'), '+', long('two')), '+', long('three')), '+', long('four'));
    expect(print(py.ret(sum))).toEqual([
      'return (',
      `    one_${'x'.repeat(30)}`,
      `    + two_${'x'.repeat(30)}`,
      `    + three_${'x'.repeat(30)}`,
      `    + four_${'x'.repeat(30)}`,
      ')',
    ]);
    expect(
      print(
        py.assign(n('chosen'), py.ifExp(py.compare(long('test'), 'is not', py.none()), long('body'), long('orelse'))),
      ),
    ).toEqual([
      'chosen = (',
      `    body_${'x'.repeat(30)}`,
      `    if test_${'x'.repeat(30)} is not None`,
      `    else orelse_${'x'.repeat(30)}`,
      ')',
    ]);
  });

  it('explodes a dict literal one entry per line', () => {
    const dict: py.DictExpr = {
      kind: 'Dict',
      entries: ['alpha', 'beta', 'gamma', 'delta'].map((k) => ({ key: py.str(k), value: long(k) })),
    };
    expect(print(py.ret(dict), '    ')).toEqual([
      '    return {',
      `        'alpha': alpha_${'x'.repeat(30)},`,
      `        'beta': beta_${'x'.repeat(30)},`,
      `        'gamma': gamma_${'x'.repeat(30)},`,
      `        'delta': delta_${'x'.repeat(30)},`,
      '    }',
    ]);
  });

  it('splits a long string into adjacent literals before spaces (Python joins them), f-string parts kept whole', () => {
    const text = 'word '.repeat(30).trim();
    expect(print(py.assign(n('message'), py.str(text)))).toEqual([
      'message = (',
      `    '${'word '.repeat(23).trim()}'`,
      `    ' ${'word '.repeat(7).trim()}'`,
      ')',
    ]);
    const f: py.FString = {
      kind: 'FString',
      parts: [{ text: `${'word '.repeat(21)}"` }, { expr: n('key') }, { text: `" ${'word '.repeat(8).trim()}` }],
    };
    expect(print(py.exprStmt(py.call(n('warn'), [f])))).toEqual([
      'warn(',
      `    f'${'word '.repeat(21)}"{key}"'`,
      `    ' ${'word '.repeat(8).trim()}'`,
      ')',
    ]);
  });

  it('wraps a def signature: parameters on one indented line, else one per line', () => {
    const param = (name: string): py.Param => ({
      name: `${name}_${'x'.repeat(20)}`,
      annotation: py.hint('str'),
      default: null,
    });
    const def: py.FunctionDef = {
      kind: 'FunctionDef',
      name: 'method',
      params: [param('a'), param('b'), param('c'), param('d')],
      returns: py.hint('None'),
      decorators: [],
      docstring: null,
      body: [py.pass()],
      anchor: 'src/m.ts:3',
    };
    expect(print(def)).toEqual([
      'def method(',
      `    a_${'x'.repeat(20)}: str, b_${'x'.repeat(20)}: str, c_${'x'.repeat(20)}: str, d_${'x'.repeat(20)}: str`,
      ') -> None:  # src/m.ts:3',
      '    pass',
    ]);
  });

  it('lists the names of a long import one per line', () => {
    const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].map((s) => ({
      name: `${s}_name_xxxxxxxx`,
      asname: null,
    }));
    expect(print({ kind: 'ImportFrom', module: '.module', names })).toEqual([
      'from .module import (',
      ...names.map((x) => `    ${x.name},`),
      ')',
    ]);
  });

  it('reflows comments and docstrings that pass the width; a trailing comment that does not fit goes above', () => {
    const words = 'because '.repeat(20).trim();
    expect(print(py.comment([words, '', 'kept short']), '    ')).toEqual([
      `    # ${'because '.repeat(14).trim()}`,
      `    # ${'because '.repeat(6).trim()}`,
      '    #',
      '    # kept short',
    ]);
    expect(print({ ...py.assign(n('x'), py.int(1)), trailing: '2^23' })).toEqual(['x = 1  # 2^23']);
    expect(print({ ...py.assign(n('x'), py.str('y'.repeat(100))), trailing: 'a reason long enough' })).toEqual([
      '# a reason long enough',
      `x = '${'y'.repeat(100)}'`,
    ]);
  });
});
