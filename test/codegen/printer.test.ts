// The printer alone: string literals denote exactly the code points of the TS string, parentheses follow Python's
// precedence, f-strings stay valid before Python 3.12.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PrinterError, printExpr, stringLiteral } from '../../codegen/printer';
import * as py from '../../codegen/python-ast';

function pythonValue(literal: string): string {
  // The code points Python reads from the literal, as JSON with every non-ASCII character escaped.
  return execFileSync('/usr/bin/python3', ['-c', `import json,sys; sys.stdout.write(json.dumps(${literal}))`], { encoding: 'utf8' });
}

describe('string literals', () => {
  const samples = ['plain', "it's", 'say "hi"', `both ' and "`, 'tab\tnl\ncr\r', 'nul\u0000 bell\u0007 del\u007f c1\u0085', 'é中😀', 'nbsp\u00a0 zwj\u200d bom\ufeff ls\u2028', 'back\\slash', '{braces}', '\u{10ffff}\u{1f600}\u{e0001}'];
  for (const text of samples) {
    it(`round-trips ${JSON.stringify(text)} exactly through Python`, () => {
      expect(pythonValue(stringLiteral(text))).toBe(JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
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
    const f: py.FString = { kind: 'FString', parts: [{ text: '{x} ' }, { expr: py.subscript(py.name('d'), py.str('k')) }] };
    expect(printExpr(f)).toBe(`f"{{x}} {d['k']}"`);
  });

  it('falls back to concatenation when an expression needs a backslash (invalid inside f-strings before 3.12)', () => {
    const f: py.FString = { kind: 'FString', parts: [{ text: 'a' }, { expr: py.call(py.attr(py.name('s'), 'strip'), [py.str('\t')]) }] };
    expect(printExpr(f)).toBe("'a' + s.strip('\\t')");
  });
});
