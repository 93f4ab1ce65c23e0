// The port map: how each export of src/ports/<port>.ts is bound in Python. Ports are never emitted; an import of a
// port name becomes an import of its Python binding. Everything about ports is data in this file: visitors only
// ask `resolvePortExport` and `isKeywordOptionsType`.
import { snakeCase } from './names';
import * as py from './python-ast';

/** The emitted package; modules under it are imported relatively from emitted code. */
export const PACKAGE = 'pymcache_fdw';

export type PortBinding =
  /** `from <module> import <name>`. A module under PACKAGE is imported relatively. */
  | { kind: 'import'; module: string; name: string }
  /** A Python builtin: no import, references print as `name`. */
  | { kind: 'builtin'; name: string }
  /** Used only in type positions: no import; hints print as `hint`. */
  | { kind: 'type'; hint: string }
  /** Type alias used only in type positions: the hint is the translation of the aliased type. */
  | { kind: 'expandType' }
  /**
   * A runtime function whose body is one Python expression with exactly its behaviour (errors included): a call
   * with `arity` plain arguments is written inline (one Python call fewer in hot loops); any other reference
   * imports `name` from `module` like an 'import' binding.
   */
  | {
      kind: 'inline';
      module: string;
      name: string;
      arity: number;
      call: InlineCall;
      requires?: readonly InlineArgument[];
    };

/**
 * What an argument of an inline form must be for the call to be written inline (otherwise it stays a call):
 * `any` expression; a `name` (a plain identifier: the form reads the argument more than once, which a name allows and
 * an expression with effects or cost would not); a `non-empty-bytes-constant`, a const initialized with
 * `utf8Encode('<non-empty string literal>')` (the form skips the function's refusal of empty bytes).
 */
export type InlineArgument = 'any' | 'name' | 'non-empty-bytes-constant';

/** Standard library modules an inline form may use (`import hashlib`). */
export type StdlibModule = 'hashlib' | 'time' | 'zlib';

/** Builds the inline form from the translated arguments; `stdlib` imports a module and names it. */
export type InlineCall = (args: readonly py.Expr[], stdlib: (module: StdlibModule) => py.Expr) => py.Expr;

/** What an export of a port module is, as far as the map's rules care. */
export type PortExportKind = 'class' | 'function' | 'variable' | 'interface' | 'typeAlias';

export interface PortSpec {
  /** Exports bound one by one; checked before the rule. */
  explicit: Readonly<Record<string, PortBinding>>;
  /** The binding of any other export, or null when the export has none (a PY1032 diagnostic). */
  rule: (exportName: string, kind: PortExportKind) => PortBinding | null;
  /**
   * A parameter of a port function, method or constructor whose declared type is named by this pattern takes an
   * object literal in TypeScript and Python keyword arguments (snake_case names) in Python.
   */
  keywordOptionsType: RegExp;
}

const RUNTIME_MODULE = `${PACKAGE}._runtime`;
const BACKEND_MODULE = `${PACKAGE}._backend`;
const SOCKET_MODULE = `${PACKAGE}._socket`;
const MULTICORN_MODULE = 'multicorn';
const MULTICORN_UTILS_MODULE = 'multicorn.utils';

/**
 * Runtime functions written inline. Each form is the body of the function of the same name in _runtime.py, which
 * neither validates its argument nor maps an error. utf8Encode/utf8Decode/intToString/intDiv/arrayItem are not
 * here: they map Python's errors to the runtime's classes and messages, or check their arguments, which an inline
 * expression cannot do.
 */
function inlineRuntime(
  name: string,
  arity: number,
  call: InlineCall,
  requires?: readonly InlineArgument[],
): PortBinding {
  return requires === undefined
    ? { kind: 'inline', module: RUNTIME_MODULE, name, arity, call }
    : { kind: 'inline', module: RUNTIME_MODULE, name, arity, call, requires };
}
const arg = (args: readonly py.Expr[], i: number): py.Expr => args[i] ?? py.none();

export const PORTS: Readonly<Record<string, PortSpec>> = {
  // Hand-written python-out/pymcache_fdw/_runtime.py: the same names, functions in snake_case.
  runtime: {
    explicit: {
      Bytes: { kind: 'type', hint: 'bytes' },
      Float: { kind: 'type', hint: 'float' },
      JsonValue: { kind: 'import', module: RUNTIME_MODULE, name: 'JsonValue' },
      codePoints: inlineRuntime('code_points', 1, (args) => py.call(py.name('list'), [arg(args, 0)])),
      sortedStrings: inlineRuntime('sorted_strings', 1, (args) => py.call(py.name('sorted'), [arg(args, 0)])),
      bytesToHex: inlineRuntime('bytes_to_hex', 1, (args) => py.call(py.attr(arg(args, 0), 'hex'))),
      md5: inlineRuntime('md5', 1, (args, stdlib) =>
        py.call(py.attr(py.call(py.attr(stdlib('hashlib'), 'md5'), [arg(args, 0)]), 'digest')),
      ),
      // Python 3's zlib.crc32 is unsigned already; _runtime.py's mask is a no-op kept for clarity.
      crc32: inlineRuntime('crc32', 1, (args, stdlib) => py.call(py.attr(stdlib('zlib'), 'crc32'), [arg(args, 0)])),
      nowSeconds: inlineRuntime('now_seconds', 0, (_args, stdlib) =>
        py.call(py.name('int'), [py.call(py.attr(stdlib('time'), 'time'))]),
      ),
      // Bytes primitives of the memcached protocol (src/memcache/): Python's own bytes methods, none of which raises.
      bytesFind: inlineRuntime('bytes_find', 3, (args) =>
        py.call(py.attr(arg(args, 0), 'find'), [arg(args, 1), arg(args, 2)]),
      ),
      bytesStartsWith: inlineRuntime('bytes_starts_with', 3, (args) =>
        py.call(py.attr(arg(args, 0), 'startswith'), [arg(args, 1), arg(args, 2)]),
      ),
      bytesConcat: inlineRuntime('bytes_concat', 1, (args) =>
        py.call(py.attr(py.call(py.name('bytes')), 'join'), [arg(args, 0)]),
      ),
      bytesJoin: inlineRuntime('bytes_join', 2, (args) => py.call(py.attr(arg(args, 1), 'join'), [arg(args, 0)])),
      bytesEqual: inlineRuntime('bytes_equal', 2, (args) => py.compare(arg(args, 0), '==', arg(args, 1))),
      isAsciiDigits: inlineRuntime('is_ascii_digits', 1, (args) => py.call(py.attr(arg(args, 0), 'isdigit'))),
      latin1Decode: inlineRuntime('latin1_decode', 1, (args) =>
        py.call(py.attr(arg(args, 0), 'decode'), [py.str('latin-1')]),
      ),
      // Inline only where the separator is a constant that cannot be empty (the function refuses empty ones).
      bytesSplit: inlineRuntime('bytes_split', 2, (args) => py.call(py.attr(arg(args, 0), 'split'), [arg(args, 1)]), [
        'any',
        'non-empty-bytes-constant',
      ]),
      // `int(b) if len(b) <= 15 and b.isdigit() else -1` reads b three times: inline only for a name.
      parseAsciiDigits: inlineRuntime(
        'parse_ascii_digits',
        1,
        (args) =>
          py.ifExp(
            {
              kind: 'BoolOp',
              op: 'and',
              values: [
                py.compare(py.call(py.name('len'), [arg(args, 0)]), '<=', py.int(15)),
                py.call(py.attr(arg(args, 0), 'isdigit')),
              ],
            },
            py.call(py.name('int'), [arg(args, 0)]),
            py.int(-1),
          ),
        ['name'],
      ),
    },
    rule: (exportName, kind) => {
      if (kind === 'class') return { kind: 'import', module: RUNTIME_MODULE, name: exportName };
      if (kind === 'function' || kind === 'variable')
        return { kind: 'import', module: RUNTIME_MODULE, name: snakeCase(exportName) };
      return null;
    },
    keywordOptionsType: /^$(?!)/,
  },
  // Hand-written python-out/pymcache_fdw/_backend.py: the backend's own symbols through ctypes; snake_case functions.
  backend: {
    explicit: {
      GuardStatus: { kind: 'import', module: BACKEND_MODULE, name: 'GuardStatus' },
    },
    rule: (exportName, kind) =>
      kind === 'function' ? { kind: 'import', module: BACKEND_MODULE, name: snakeCase(exportName) } : null,
    keywordOptionsType: /^$(?!)/,
  },
  // Hand-written python-out/pymcache_fdw/_socket.py: one TCP connection (socket + poll), the same names in snake_case.
  socket: {
    explicit: {
      SocketFailure: { kind: 'expandType' },
      SocketOptions: { kind: 'expandType' },
      TlsMode: { kind: 'expandType' },
    },
    rule: (exportName, kind) => {
      if (kind === 'class') return { kind: 'import', module: SOCKET_MODULE, name: exportName };
      if (kind === 'function') return { kind: 'import', module: SOCKET_MODULE, name: snakeCase(exportName) };
      return null;
    },
    keywordOptionsType: /Options$/,
  },
  // Multicorn (multicorn2 3.x, or our host/): the classes from `multicorn`, logging from `multicorn.utils`.
  host: {
    explicit: {
      ForeignDataWrapper: { kind: 'import', module: MULTICORN_MODULE, name: 'ForeignDataWrapper' },
      Qual: { kind: 'import', module: MULTICORN_MODULE, name: 'Qual' },
      ColumnDefinition: { kind: 'import', module: MULTICORN_MODULE, name: 'ColumnDefinition' },
      SortKey: { kind: 'import', module: MULTICORN_MODULE, name: 'SortKey' },
      TableDefinition: { kind: 'import', module: MULTICORN_MODULE, name: 'TableDefinition' },
      logToPostgres: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'log_to_postgres' },
      DEBUG: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'DEBUG' },
      INFO: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'INFO' },
      WARNING: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'WARNING' },
      ERROR: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'ERROR' },
      CRITICAL: { kind: 'import', module: MULTICORN_UTILS_MODULE, name: 'CRITICAL' },
    },
    rule: (_exportName, kind) => (kind === 'typeAlias' ? { kind: 'expandType' } : null),
    keywordOptionsType: /Options$/,
  },
};

/** The port a module specifier or file name refers to (`./ports/memcache`, `/x/src/ports/memcache.ts`), or null. */
export function portOf(specifierOrFile: string): string | null {
  const match = /(?:^|\/)ports\/([A-Za-z0-9_]+)(?:\.ts)?$/.exec(specifierOrFile);
  if (match === null) return null;
  return Object.prototype.hasOwnProperty.call(PORTS, match[1]!) ? match[1]! : null;
}

export function resolvePortExport(port: string, exportName: string, kind: PortExportKind): PortBinding | null {
  const spec = PORTS[port];
  if (spec === undefined) return null;
  const explicit = spec.explicit[exportName];
  if (explicit !== undefined) return explicit;
  return spec.rule(exportName, kind);
}

export function isKeywordOptionsType(port: string, typeName: string): boolean {
  const spec = PORTS[port];
  return spec !== undefined && spec.keywordOptionsType.test(typeName);
}
