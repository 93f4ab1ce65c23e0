// Every refusal of the emitter is a named function here with a stable code. A diagnostic says where (file:line:col),
// why the Python meaning would differ, and what to write instead; `npm run build` prints them and exits non-zero.
import { ts } from 'ts-morph';

export interface Diagnostic {
  /** The file: absolute where the diagnostic is made, relative to the project root once compileProject returns it. */
  file: string;
  line: number;
  column: number;
  code: string;
  why: string;
  instead: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: error ${d.code}: ${d.why}. ${d.instead}.`;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

function at(node: ts.Node, code: string, why: string, instead: string): Diagnostic {
  const sourceFile = node.getSourceFile();
  const { line, character } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return { file: sourceFile.fileName, line: line + 1, column: character + 1, code, why, instead };
}

/** Code -> one-line title, for docs/emitter.md and for the test that every code has a refusal fixture. */
export const DIAGNOSTIC_CODES: Readonly<Record<string, string>> = {
  PY0001: 'TypeScript reports an error',
  PY1001: '`any` type (explicit or inferred)',
  PY1002: 'loose equality `==` / `!=`',
  PY1003: '`var` declaration',
  PY1004: '`for..in` loop',
  PY1005: 'division `/`',
  PY1006: 'string `.length`',
  PY1007: 'string element access `s[i]`',
  PY1008: 'UTF-16 based string method (charAt, charCodeAt, substring, substr, slice, indexOf, ...)',
  PY1009: 'relational comparison of strings',
  PY1010: '`+` mixing string and non-string',
  PY1011: 'non-string value in a template literal',
  PY1012: 'truthiness of an object, array, Map or Set value',
  PY1013: 'arithmetic on booleans',
  PY1014: 'number to string conversion',
  PY1015: 'bitwise operator',
  PY1016: '`sort()` without a comparator',
  PY1017: '`delete` operator',
  PY1018: '`arguments` object',
  PY1019: '`this` outside a class method',
  PY1020: 'labeled statement',
  PY1021: 'accessor or method in an object literal',
  PY1022: '`in` on a value that is not a Record',
  PY1023: '`Object.keys/values/entries` on a class instance',
  PY1024: '`with` statement',
  PY1025: '`eval` / `Function` constructor',
  PY1026: 'regular expression',
  PY1027: '`Symbol`',
  PY1028: 'integer literal beyond 2^53',
  PY1029: 'float literal where an integer is expected',
  PY1030: 'syntax the emitter does not translate',
  PY1031: 'builtin (global, method or property) the emitter does not map',
  PY1032: 'unknown export of a port module',
  PY1033: 'name that is a Python keyword or builtin',
  PY1034: 'array element assignment not provably in range',
  PY1035: '`break` inside a switch case before its end',
  PY1036: 'value of a statement-only call used as an expression',
  PY1037: 'binding that shadows another in the same Python scope',
  PY1038: 'lone surrogate in a string literal',
  PY1039: 'closure capturing a loop variable',
  PY1040: 'type the emitter cannot express in Python',
  PY1041: 'throwing a value that is not an Error',
  PY1042: 'property access on a mix of class instances and dict-like objects',
  PY1043: '`++` / `--` used as a value',
  PY1044: 'assignment used as a value',
  PY1045: 'import the emitter cannot map',
  PY1046: 'options for a port keyword parameter that are not an object literal',
  PY1047: 'function overloads',
  PY1048: 'generic type parameter on a class',
  PY1049: 'expression that must be evaluated once used where Python cannot bind it',
  PY1050: 'unary `+` / `-` on a non-number',
  PY1051: 'exponentiation (`**`, `**=`, `Math.pow`) of a computed operand',
  PY1052: '`===` / `!==` on Bytes or tuples (identity in JavaScript, shared values in Python)',
};

function code(n: keyof typeof DIAGNOSTIC_CODES): string {
  return n;
}

export const diagnostics = {
  typescriptError(node: ts.Node | undefined, file: string, line: number, column: number, message: string): Diagnostic {
    void node;
    return {
      file,
      line,
      column,
      code: code('PY0001'),
      why: `TypeScript reports: ${message.replace(/\.$/, '')}`,
      instead: 'Fix the type error first; the emitter relies on the type checker',
    };
  },
  anyType: (node: ts.Node, what: string) =>
    at(
      node,
      code('PY1001'),
      `${what} has type \`any\`, whose Python meaning cannot be checked`,
      'Give it a precise type, or `unknown` and narrow it',
    ),
  looseEquality: (node: ts.Node, op: string) =>
    at(
      node,
      code('PY1002'),
      `loose equality \`${op}\` coerces operands in JavaScript but not in Python`,
      `Write \`${op}=\` (strict equality)`,
    ),
  varDeclaration: (node: ts.Node) =>
    at(node, code('PY1003'), '`var` is function-scoped and hoisted in JavaScript', 'Use `const` or `let`'),
  forIn: (node: ts.Node) =>
    at(
      node,
      code('PY1004'),
      '`for..in` walks inherited enumerable string keys in JavaScript',
      'Iterate `Object.keys(record)` or a Map with `for..of`',
    ),
  division: (node: ts.Node) =>
    at(
      node,
      code('PY1005'),
      '`/` yields a fraction in JavaScript and the emitter treats numbers as Python ints',
      'Use `intDiv(a, b)` from ./ports/runtime for truncating integer division',
    ),
  stringLength: (node: ts.Node) =>
    at(
      node,
      code('PY1006'),
      'string `.length` counts UTF-16 code units in JavaScript but code points in Python',
      'Use `utf8ByteLength(s)` or `codePoints(s).length` from ./ports/runtime',
    ),
  stringIndex: (node: ts.Node) =>
    at(
      node,
      code('PY1007'),
      'string indexes count UTF-16 code units in JavaScript but code points in Python',
      'Use `codePoints(s)` from ./ports/runtime and index the array',
    ),
  stringMethod: (node: ts.Node, method: string) =>
    at(
      node,
      code('PY1008'),
      `string \`.${method}()\` works on UTF-16 code units in JavaScript but on code points in Python`,
      'Use `codePoints(s)` from ./ports/runtime, or startsWith/endsWith/includes/split',
    ),
  stringRelational: (node: ts.Node, op: string) =>
    at(
      node,
      code('PY1009'),
      `\`${op}\` on strings compares UTF-16 code units in JavaScript but code points in Python`,
      'Compare `codePoints(...)` element-wise, or use `sortedStrings` from ./ports/runtime',
    ),
  stringConcatenation: (node: ts.Node, type: string) =>
    at(
      node,
      code('PY1010'),
      `\`+\` of a string and a ${type} converts implicitly in JavaScript and fails in Python`,
      'Convert explicitly: `intToString(n)` from ./ports/runtime, or a string-typed value',
    ),
  templateNonString: (node: ts.Node, type: string) =>
    at(
      node,
      code('PY1011'),
      `a template literal converts a ${type} to text differently in JavaScript and Python`,
      "Interpolate only strings: convert with `intToString(n)` / `formatFloat(f)` from ./ports/runtime, or `b ? 'true' : 'false'`",
    ),
  objectTruthiness: (node: ts.Node, type: string) =>
    at(
      node,
      code('PY1012'),
      `truthiness of ${type} differs: JavaScript objects are always truthy, empty Python lists/dicts are falsy`,
      'Test explicitly: `x !== undefined`, `x !== null`, `arr.length > 0`, `map.size > 0`',
    ),
  booleanArithmetic: (node: ts.Node, op: string) =>
    at(
      node,
      code('PY1013'),
      `\`${op}\` on a boolean converts it to a number implicitly`,
      'Write `b ? 1 : 0` explicitly',
    ),
  numberToString: (node: ts.Node, how: string) =>
    at(
      node,
      code('PY1014'),
      `${how} formats numbers differently in JavaScript and Python (1.0, 1e21, -0)`,
      'Use `intToString(n)` or `formatFloat(f)` from ./ports/runtime',
    ),
  bitwise: (node: ts.Node, op: string) =>
    at(
      node,
      code('PY1015'),
      `\`${op}\` works on 32-bit integers in JavaScript but on unbounded integers in Python`,
      'Use the u32 helpers from ./ports/runtime (u32And, u32Or, u32Xor, u32Shl, u32Shr, ...)',
    ),
  defaultSort: (node: ts.Node) =>
    at(
      node,
      code('PY1016'),
      '`sort()` without a comparator compares UTF-16 strings of the elements in JavaScript',
      'Pass a comparator `(a, b) => ...`, or use `sortedStrings` from ./ports/runtime',
    ),
  deleteOperator: (node: ts.Node) =>
    at(
      node,
      code('PY1017'),
      '`delete` removes a property in JavaScript and has no faithful Python form for objects',
      'Use a Map and `map.delete(key)`',
    ),
  argumentsObject: (node: ts.Node) =>
    at(node, code('PY1018'), '`arguments` has no Python equivalent', 'Declare a rest parameter `...args`'),
  thisOutsideClass: (node: ts.Node) =>
    at(
      node,
      code('PY1019'),
      '`this` outside a class method (or an arrow function inside one) has no Python meaning',
      'Pass the object as a parameter',
    ),
  labeledStatement: (node: ts.Node) =>
    at(
      node,
      code('PY1020'),
      'labeled statements have no Python equivalent',
      'Move the loop into a function and `return`, or use a flag',
    ),
  objectLiteralAccessor: (node: ts.Node) =>
    at(
      node,
      code('PY1021'),
      'object literals become Python dicts, which have no methods, getters or setters',
      'Use a class, or store a function value: `{ f: (x) => ... }`',
    ),
  inOperator: (node: ts.Node, type: string) =>
    at(
      node,
      code('PY1022'),
      `\`in\` on ${type} checks JavaScript properties, which have no Python counterpart`,
      'Use `map.has(key)` on a Map, or `in` on a Record<string, V>',
    ),
  objectKeysOnInstance: (node: ts.Node, fn: string) =>
    at(
      node,
      code('PY1023'),
      `\`${fn}\` on a class instance lists its fields in JavaScript and nothing sensible in Python`,
      'List the fields explicitly, or keep the data in a Record or Map',
    ),
  withStatement: (node: ts.Node) =>
    at(node, code('PY1024'), '`with` has no Python equivalent', 'Name the object explicitly'),
  evalCall: (node: ts.Node, what: string) =>
    at(node, code('PY1025'), `\`${what}\` runs JavaScript source text`, 'Write the code directly'),
  regex: (node: ts.Node) =>
    at(
      node,
      code('PY1026'),
      'JavaScript and Python regular expressions differ (\\d, \\s, $, Unicode classes, flags)',
      'Check characters explicitly with `codePoints(s)` / `codePointOf(ch)` from ./ports/runtime',
    ),
  symbol: (node: ts.Node) =>
    at(node, code('PY1027'), '`Symbol` has no Python equivalent', 'Use a string constant or a class'),
  unsafeInteger: (node: ts.Node, text: string) =>
    at(
      node,
      code('PY1028'),
      `the literal ${text} is beyond 2^53 and JavaScript rounds it`,
      'Write a value within ±(2^53-1)',
    ),
  floatForInt: (node: ts.Node, text: string) =>
    at(
      node,
      code('PY1029'),
      `the literal ${text} is not an integer but \`number\` is a Python int here`,
      'Type the value with `Float` from ./ports/runtime, or write an integer',
    ),
  unsupportedSyntax: (
    node: ts.Node,
    what: string,
    instead = 'Rewrite it with the constructs listed in docs/emitter.md',
  ) => at(node, code('PY1030'), `${what} is not translated to Python`, instead),
  unsupportedBuiltin: (node: ts.Node, what: string, why: string, instead: string) =>
    at(node, code('PY1031'), `\`${what}\` ${why}`, instead),
  unknownPortExport: (node: ts.Node, port: string, exported: string) =>
    at(
      node,
      code('PY1032'),
      `\`${exported}\` of ./ports/${port} has no Python binding in codegen/ports.ts`,
      'Add it to the port map in codegen/ports.ts, or use an exported name that has one',
    ),
  nameClash: (node: ts.Node, tsName: string, pyName: string, problem: string) =>
    at(node, code('PY1033'), `\`${tsName}\` becomes \`${pyName}\`, which is a Python ${problem}`, 'Rename it'),
  arrayAssignment: (node: ts.Node) =>
    at(
      node,
      code('PY1034'),
      '`a[i] = v` past the end grows a JavaScript array but raises in Python',
      'Use `push`, build a new array, or assign inside `for (let i = 0; i < a.length; i++)`',
    ),
  switchBreak: (node: ts.Node) =>
    at(
      node,
      code('PY1035'),
      '`break` before the end of a switch case would break the enclosing Python loop',
      'Use if/else inside the case, or move the switch into a function and `return`',
    ),
  valueUsed: (node: ts.Node, what: string) =>
    at(
      node,
      code('PY1036'),
      `the value of \`${what}\` differs in Python (the call is translated as a statement)`,
      'Call it as a statement on its own line',
    ),
  shadowedBinding: (node: ts.Node, pyName: string) =>
    at(
      node,
      code('PY1037'),
      `\`${pyName}\` is bound twice in one Python function scope (JS block scoping does not exist in Python)`,
      'Rename one of the bindings',
    ),
  loneSurrogate: (node: ts.Node) =>
    at(
      node,
      code('PY1038'),
      'the string holds a lone UTF-16 surrogate, which Python source cannot carry faithfully',
      'Remove the lone surrogate',
    ),
  closureInLoop: (node: ts.Node, variable: string) =>
    at(
      node,
      code('PY1039'),
      `the function captures \`${variable}\`, which JavaScript binds afresh per loop iteration and Python shares across iterations`,
      'Move the loop body into a function that takes the variable as a parameter',
    ),
  unsupportedType: (node: ts.Node, type: string, instead = 'Use a type listed in docs/emitter.md') =>
    at(node, code('PY1040'), `the type \`${type}\` has no Python type hint`, instead),
  nonErrorThrow: (node: ts.Node, type: string) =>
    at(
      node,
      code('PY1041'),
      `throwing a ${type} cannot be raised in Python`,
      'Throw an Error (or a subclass of Error)',
    ),
  mixedMemberAccess: (node: ts.Node, prop: string) =>
    at(
      node,
      code('PY1042'),
      `\`.${prop}\` is read from a union of class instances (attributes) and interfaces (dict keys)`,
      'Narrow the value first',
    ),
  incrementValue: (node: ts.Node) =>
    at(
      node,
      code('PY1043'),
      '`++`/`--` used as a value has no Python expression form',
      'Increment in its own statement',
    ),
  assignmentValue: (node: ts.Node) =>
    at(
      node,
      code('PY1044'),
      'an assignment used as a value has no faithful Python form',
      'Assign in its own statement',
    ),
  unmappedImport: (node: ts.Node, specifier: string) =>
    at(
      node,
      code('PY1045'),
      `the import of '${specifier}' has no Python equivalent`,
      'Import only relative src/ modules (./x) or the ports ./ports/runtime, ./ports/backend, ./ports/socket, ./ports/host',
    ),
  portOptionsNotLiteral: (node: ts.Node, fn: string) =>
    at(
      node,
      code('PY1046'),
      `the options of \`${fn}\` become Python keyword arguments and must be spelled out`,
      'Pass an object literal `{ name: value, ... }`',
    ),
  overloads: (node: ts.Node) =>
    at(
      node,
      code('PY1047'),
      'overload signatures have no Python equivalent',
      'Use one signature with a union type, or several functions',
    ),
  genericClass: (node: ts.Node) =>
    at(node, code('PY1048'), 'generic classes are not translated', 'Use a concrete type'),
  evaluateOnce: (node: ts.Node) =>
    at(
      node,
      code('PY1049'),
      'this expression would be evaluated twice in Python, and cannot be bound to a temporary here',
      'Assign it to a `const` first',
    ),
  unaryOnNonNumber: (node: ts.Node, op: string, type: string) =>
    at(
      node,
      code('PY1050'),
      `unary \`${op}\` on a ${type} converts it to a number in JavaScript`,
      'Convert explicitly with the runtime parsing helpers',
    ),
  valueIdentity: (node: ts.Node, type: 'Bytes' | 'tuples') =>
    at(
      node,
      code('PY1052'),
      type === 'Bytes'
        ? "comparing Bytes with `===`/`!==` (or in a switch) tests identity in JavaScript, but Python's bytes are immutable values that CPython shares (b'' and one-byte values are single objects, a full slice is the object itself), so `is` would differ"
        : "comparing tuples with `===`/`!==` (or in a switch) tests identity in JavaScript, but Python's tuples are immutable values that CPython shares (equal constant tuples are one object, a full slice is the object itself), so `is` would differ",
      type === 'Bytes'
        ? 'Compare the contents: `bytesEqual(a, b)` from ./ports/runtime (Python `==`), or a loop over the bytes'
        : 'Compare the elements',
    ),
  power: (node: ts.Node, why: string) =>
    at(
      node,
      code('PY1051'),
      why,
      'Write integer literals whose power is within ±(2^53-1) (`2 ** 10`), or multiply explicitly',
    ),
};
