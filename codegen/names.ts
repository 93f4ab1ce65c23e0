// Identifier conversion: camelCase -> snake_case (functions, methods, variables, parameters, properties), classes
// unchanged, and the lists of Python words a converted name must not become.

/** Python 3.11 keywords: a binding or attribute with one of these names does not parse. */
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  'False',
  'None',
  'True',
  'and',
  'as',
  'assert',
  'async',
  'await',
  'break',
  'class',
  'continue',
  'def',
  'del',
  'elif',
  'else',
  'except',
  'finally',
  'for',
  'from',
  'global',
  'if',
  'import',
  'in',
  'is',
  'lambda',
  'nonlocal',
  'not',
  'or',
  'pass',
  'raise',
  'return',
  'try',
  'while',
  'with',
  'yield',
]);

/**
 * Python builtins (3.11 `dir(builtins)`, public names). A module-level or local binding with one of these names
 * would shadow the builtin that emitted code relies on (`len`, `isinstance`, `str`, ...).
 */
export const PYTHON_BUILTINS: ReadonlySet<string> = new Set([
  'ArithmeticError',
  'AssertionError',
  'AttributeError',
  'BaseException',
  'BaseExceptionGroup',
  'BlockingIOError',
  'BrokenPipeError',
  'BufferError',
  'BytesWarning',
  'ChildProcessError',
  'ConnectionAbortedError',
  'ConnectionError',
  'ConnectionRefusedError',
  'ConnectionResetError',
  'DeprecationWarning',
  'EOFError',
  'Ellipsis',
  'EncodingWarning',
  'EnvironmentError',
  'Exception',
  'ExceptionGroup',
  'FileExistsError',
  'FileNotFoundError',
  'FloatingPointError',
  'FutureWarning',
  'GeneratorExit',
  'IOError',
  'ImportError',
  'ImportWarning',
  'IndentationError',
  'IndexError',
  'InterruptedError',
  'IsADirectoryError',
  'KeyError',
  'KeyboardInterrupt',
  'LookupError',
  'MemoryError',
  'ModuleNotFoundError',
  'NameError',
  'NotADirectoryError',
  'NotImplemented',
  'NotImplementedError',
  'OSError',
  'OverflowError',
  'PendingDeprecationWarning',
  'PermissionError',
  'ProcessLookupError',
  'RecursionError',
  'ReferenceError',
  'ResourceWarning',
  'RuntimeError',
  'RuntimeWarning',
  'StopAsyncIteration',
  'StopIteration',
  'SyntaxError',
  'SyntaxWarning',
  'SystemError',
  'SystemExit',
  'TabError',
  'TimeoutError',
  'TypeError',
  'UnboundLocalError',
  'UnicodeDecodeError',
  'UnicodeEncodeError',
  'UnicodeError',
  'UnicodeTranslateError',
  'UnicodeWarning',
  'UserWarning',
  'ValueError',
  'Warning',
  'ZeroDivisionError',
  'abs',
  'aiter',
  'all',
  'anext',
  'any',
  'ascii',
  'bin',
  'bool',
  'breakpoint',
  'bytearray',
  'bytes',
  'callable',
  'chr',
  'classmethod',
  'compile',
  'complex',
  'copyright',
  'credits',
  'delattr',
  'dict',
  'dir',
  'divmod',
  'enumerate',
  'eval',
  'exec',
  'exit',
  'filter',
  'float',
  'format',
  'frozenset',
  'getattr',
  'globals',
  'hasattr',
  'hash',
  'help',
  'hex',
  'id',
  'input',
  'int',
  'isinstance',
  'issubclass',
  'iter',
  'len',
  'license',
  'list',
  'locals',
  'map',
  'max',
  'memoryview',
  'min',
  'next',
  'object',
  'oct',
  'open',
  'ord',
  'pow',
  'print',
  'property',
  'quit',
  'range',
  'repr',
  'reversed',
  'round',
  'set',
  'setattr',
  'slice',
  'sorted',
  'staticmethod',
  'str',
  'sum',
  'super',
  'tuple',
  'type',
  'vars',
  'zip',
]);

/**
 * Names the emitter itself introduces at module level (imports of stdlib modules and typing names) or uses as
 * implicit parameters; a source binding with one of them would collide.
 */
export const EMITTER_RESERVED: ReadonlySet<string> = new Set([
  'self',
  'cls',
  'math',
  'functools',
  'unicodedata',
  'hashlib',
  'time',
  'zlib',
  'annotations',
  'typing',
]);

/**
 * camelCase / PascalCase -> snake_case: `getRelSize` -> `get_rel_size`, `utf8ByteLength` -> `utf8_byte_length`,
 * `parseURLList` -> `parse_url_list`. SCREAMING_CASE constants and names that are already snake_case are kept.
 */
export function snakeCase(identifier: string): string {
  if (/^[A-Z0-9_]+$/.test(identifier) && /[A-Z]/.test(identifier)) return identifier;
  const leading = /^_*/.exec(identifier)![0];
  const core = identifier.slice(leading.length);
  const snake = core
    // An acronym followed by a word: "URLList" -> "URL_List".
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    // A lowercase letter or digit followed by an uppercase letter: "getRel" -> "get_Rel", "utf8Byte" -> "utf8_Byte".
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  return leading + snake;
}

/** A class member's Python name: snake_case, with a leading underscore for `private` and `#private` members. */
export function memberName(identifier: string, isPrivate: boolean): string {
  const bare = identifier.startsWith('#') ? identifier.slice(1) : identifier;
  const snake = snakeCase(bare);
  return isPrivate || identifier.startsWith('#') ? `_${snake}` : snake;
}

/**
 * The builtins emitted code refers to (calls, hints, exception classes). A binding with one of these names would
 * change what the emitted code means; other builtins (sum, set, hash, ...) may be shadowed safely.
 */
export const EMITTED_BUILTINS: ReadonlySet<string> = new Set([
  'Exception',
  'NotImplementedError',
  'OSError',
  'TypeError',
  'ValueError',
  'abs',
  'all',
  'any',
  'bool',
  'bytes',
  'callable',
  'chr',
  'dict',
  'enumerate',
  'float',
  'int',
  'isinstance',
  'iter',
  'len',
  'list',
  'max',
  'min',
  'next',
  'object',
  'property',
  'range',
  'sorted',
  'staticmethod',
  'str',
  'super',
  'tuple',
  'type',
]);

export type NameProblem = 'keyword' | 'builtin' | 'reserved' | null;

/** Why a name cannot be a Python binding (variable, parameter, function or class), or null when it can. */
export function bindingProblem(pythonName: string): NameProblem {
  if (PYTHON_KEYWORDS.has(pythonName)) return 'keyword';
  if (EMITTED_BUILTINS.has(pythonName)) return 'builtin';
  if (EMITTER_RESERVED.has(pythonName)) return 'reserved';
  return null;
}

/** Why a name cannot be a Python attribute (attributes may shadow builtins, but keywords do not parse). */
export function attributeProblem(pythonName: string): NameProblem {
  return PYTHON_KEYWORDS.has(pythonName) ? 'keyword' : null;
}

/**
 * The Python key of a property declared by an interface or a named object type (a TypedDict field): a name, so
 * snake_case like attributes (`insertMode` -> `insert_mode`). Records keyed by data (index signatures, Maps) and the
 * properties of anonymous object literals never go through here: their keys are data and stay as written.
 */
export function recordKeyName(property: string): string {
  return snakeCase(property);
}
