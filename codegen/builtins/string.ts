// String methods and the `String` global. Everything that counts UTF-16 code units is refused (Python counts code
// points); what remains means the same on both platforms.
import type { ts } from 'ts-morph';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { isBooleanType, isNumberType, isStringType } from '../type-queries';
import {
  arg,
  literalString,
  method,
  refuseArity,
  type BuiltinModule,
  type MethodCall,
  type MethodMapping,
} from './common';

/**
 * JavaScript's trim() set: WhiteSpace and LineTerminator of ECMA-262 (tab, VT, FF, space, NBSP, ZWNBSP, the Zs
 * category, LF, CR, LS, PS). Python's strip() uses str.isspace, which differs (it includes U+001C..U+001F and
 * excludes U+FEFF), so the set is spelled out.
 */
export const JS_WHITESPACE =
  '\t\n\u000b\u000c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

const UTF16_METHODS = [
  'charAt',
  'charCodeAt',
  'codePointAt',
  'substring',
  'substr',
  'slice',
  'indexOf',
  'lastIndexOf',
  'at',
  'padStart',
  'padEnd',
  'search',
];

function utf16(name: string): MethodMapping {
  return (call) => call.ctx.report(diagnostics.stringMethod(call.node, name));
}

function strip(pyMethod: string): MethodMapping {
  return (call) => refuseArity(call, call.method, [0]) ?? method(call.receiver, pyMethod, [py.str(JS_WHITESPACE)]);
}

function simple(pyMethod: string): MethodMapping {
  return (call) => refuseArity(call, call.method, [0]) ?? method(call.receiver, pyMethod);
}

function prefixCheck(pyMethod: string): MethodMapping {
  return (call) =>
    refuseArity(call, `${call.method} with a position`, [1]) ?? method(call.receiver, pyMethod, [arg(call, 0)]);
}

/** `replace`/`replaceAll` with a literal search string and a replacement free of `$` patterns. */
function replaceMapping(all: boolean): MethodMapping {
  return (call: MethodCall) => {
    const refused = refuseArity(call, call.method, [2]);
    if (refused !== null) return refused;
    const search = literalString(call.args[0]);
    const replacement = literalString(call.args[1]);
    if (search === null || search === '') {
      return call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          call.method,
          'takes a regular expression or an empty/non-literal search string, which match differently in Python',
          'Pass a non-empty string literal as the search string',
        ),
      );
    }
    if (replacement === null || replacement.includes('$')) {
      return call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          call.method,
          'interprets `$` patterns in its replacement string in JavaScript',
          'Pass a string literal without `$` as the replacement, or split and join',
        ),
      );
    }
    const args = [py.str(search), py.str(replacement)];
    if (!all) args.push(py.int(1));
    return method(call.receiver, 'replace', args);
  };
}

export const stringBuiltins: BuiltinModule = {
  owns: (_ctx, type) => isStringType(type),
  receiverName: 'string',
  properties: {
    length: (read) => read.ctx.report(diagnostics.stringLength(read.node)),
  },
  methods: {
    ...Object.fromEntries(UTF16_METHODS.map((m) => [m, utf16(m)])),
    startsWith: prefixCheck('startswith'),
    endsWith: prefixCheck('endswith'),
    includes: (call) =>
      refuseArity(call, 'includes with a position', [1]) ?? py.compare(arg(call, 0), 'in', call.receiver),
    split: (call) => {
      if (call.args.length === 0) return py.list([call.receiver]);
      const separator = literalString(call.args[0]);
      if (call.args.length !== 1 || separator === null || separator === '') {
        return call.ctx.report(
          diagnostics.unsupportedBuiltin(
            call.node,
            'split',
            'with an empty, non-literal or regex separator, or a limit, splits differently in Python',
            'Split on a non-empty string literal, or use `codePoints(s)` from ./ports/runtime',
          ),
        );
      }
      return method(call.receiver, 'split', [py.str(separator)]);
    },
    trim: strip('strip'),
    trimStart: strip('lstrip'),
    trimEnd: strip('rstrip'),
    toLowerCase: simple('lower'),
    toUpperCase: simple('upper'),
    toString: (call: MethodCall) => refuseArity(call, 'toString', [0]) ?? call.receiver,
    repeat: (call) => refuseArity(call, 'repeat', [1]) ?? py.binop(call.receiver, '*', arg(call, 0)),
    replace: replaceMapping(false),
    replaceAll: replaceMapping(true),
    concat: (call) => call.args.reduce<py.Expr>((acc, _a, i) => py.binop(acc, '+', arg(call, i)), call.receiver),
    normalize: (call) => {
      const form = literalString(call.args[0]);
      if (form === null || !['NFC', 'NFD', 'NFKC', 'NFKD'].includes(form)) {
        return call.ctx.report(
          diagnostics.unsupportedBuiltin(
            call.node,
            'normalize',
            'needs a literal normalization form',
            "Write normalize('NFC') (or NFD, NFKC, NFKD)",
          ),
        );
      }
      return py.call(py.attr(call.ctx.module('unicodedata'), 'normalize'), [py.str(form), call.receiver]);
    },
  },
  functions: {
    String: (call) => {
      const refused = refuseArity(call, 'String', [1]);
      if (refused !== null) return refused;
      const node = call.args[0]!;
      const type = call.ctx.typeOf(node);
      if (isStringType(type)) return call.ctx.expr(node);
      if (isBooleanType(type)) return py.ifExp(call.ctx.expr(node), py.str('true'), py.str('false'));
      if (isNumberType(type)) return call.ctx.report(diagnostics.numberToString(call.node, '`String(n)`'));
      return call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          'String',
          'of a non-primitive value has no Python equivalent',
          'Build the text explicitly',
        ),
      );
    },
  },
  namespaces: {
    String: {
      calls: {
        fromCodePoint: (call) =>
          refuseArity(call, 'String.fromCodePoint', [1]) ?? py.call(py.name('chr'), [arg(call, 0)]),
      },
    },
  },
};

export function isStringReceiver(ctx: { typeOf(node: ts.Node): ts.Type }, node: ts.Node): boolean {
  return isStringType(ctx.typeOf(node));
}
