// Differential harness: the same argument vectors through a TS module in Node and through its emitted Python twin
// under /usr/bin/python3 (one Python process per batch, JSON lines in and out), outcomes put in one canonical form
// and compared. Used for every emitted module (test/differential) and for the runtime port (test/runtime).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The interpreter of the Python side: Debian's, or the one PYMCACHE_DIFF_PYTHON names (scripts/test.sh runs the
 * differential suite again under each Python the machine has). */
export const PYTHON = process.env['PYMCACHE_DIFF_PYTHON'] ?? '/usr/bin/python3';
const RIG_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(RIG_DIR, '..', '..');
export const PYTHON_OUT = join(REPO_ROOT, 'python-out');
/** The host's `multicorn` Python package: importing pymcache_fdw imports multicorn, as it does under multicorn2. */
export const HOST_PYTHON = join(REPO_ROOT, 'host', 'python');
/** PYTHONPATH for running emitted code outside PostgreSQL: the package, then multicorn (importable without a backend). */
export const PYTHONPATH = [PYTHON_OUT, HOST_PYTHON].join(':');
const DRIVER = join(RIG_DIR, 'differential_driver.py');

/** Marks an argument that must reach Python as a float (a bare JSON number like 2 would arrive as an int). */
export class FloatArg {
  constructor(readonly value: number) {}
}
export function float(value: number): FloatArg {
  return new FloatArg(value);
}

/** The canonical form both sides' outcomes are reduced to; two outcomes agree when their canonical JSON is equal. */
export type Canonical =
  | null
  | boolean
  | string
  | { int: string }
  | { float: string }
  | { bytes: string }
  | Canonical[]
  | { dict: [Canonical, Canonical][] }
  | { set: string[] };

export type Outcome =
  { ok: Canonical } | { error: { class: string; message: string; attributes: { [name: string]: Canonical } } };

export type Mismatch = { args: string; node: Outcome; python: Outcome };

export type DifferentialOptions = {
  /** Python module to import; by default derived from the TS path (src/a/fooBar.ts and src/a/foo-bar.ts -> pymcache_fdw.a.foo_bar). */
  pythonModule?: string;
  /** Python function name; by default the TS name in snake_case. */
  pythonFunction?: string;
  /** The function returns Float: Node numbers are compared with Python floats instead of ints. */
  floatResult?: boolean;
  /** Compare error messages too (default true); turn off only where messages are documented as platform-specific. */
  compareMessages?: boolean;
};

export type DifferentialReport = {
  total: number;
  /** How many vectors ended in an error on both sides (agreeing); lets tests check their vectors exercise both paths. */
  errors: number;
  mismatches: Mismatch[];
};

/** The emitter's rule: camelCase -> snake_case (an uppercase letter starts a new lowercase word). */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Python module of a TS file under src/: the runtime port maps to `_runtime`, other paths to snake_cased dotted names ('-' becomes '_'). */
export function pythonModuleFor(tsModulePath: string): string {
  const absolute = resolve(REPO_ROOT, tsModulePath);
  const fromSrc = relative(join(REPO_ROOT, 'src'), absolute).replace(/\.ts$/, '');
  if (fromSrc.startsWith('..')) throw new Error(`differential: ${tsModulePath} is not under src/`);
  if (fromSrc === join('ports', 'runtime')) return 'pymcache_fdw._runtime';
  const segments = fromSrc.split(sep);
  // src/a/index.ts is the package pymcache_fdw.a (its __init__.py), as the emitter writes it.
  if (segments[segments.length - 1] === 'index') segments.pop();
  return ['pymcache_fdw', ...segments.map((segment) => snakeCase(segment).replace(/-/g, '_'))].join('.');
}

function canonicalNumber(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** Canonical form of a Node value; `floats` says numbers are Python floats (Float-typed), else ints. */
export function canonicalFromNode(value: unknown, floats: boolean): Canonical {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!floats && Number.isInteger(value)) return { int: BigInt(value).toString() };
    return { float: canonicalNumber(value) };
  }
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map((item: unknown) => canonicalFromNode(item, floats));
  if (value instanceof Map) {
    return {
      dict: [...value.entries()].map(([k, v]): [Canonical, Canonical] => [
        canonicalFromNode(k, floats),
        canonicalFromNode(v, floats),
      ]),
    };
  }
  if (value instanceof Set) {
    return { set: [...value].map((item: unknown) => JSON.stringify(canonicalFromNode(item, floats))).sort() };
  }
  if (isPlainObject(value)) {
    return {
      dict: Object.entries(value).map(([k, v]): [Canonical, Canonical] => [k, canonicalFromNode(v, floats)]),
    };
  }
  throw new Error(`differential: cannot compare a Node value of type ${Object.prototype.toString.call(value)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Canonical form of a value the Python driver encoded. */
export function canonicalFromPython(value: unknown): Canonical {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(canonicalFromPython);
  if (isRecord(value)) {
    if (typeof value.$int === 'string') return { int: BigInt(value.$int).toString() };
    if (typeof value.$float === 'string') {
      const text = value.$float;
      const number = text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text);
      return { float: canonicalNumber(number) };
    }
    if (typeof value.$bytes === 'string') return { bytes: value.$bytes };
    if (Array.isArray(value.$tuple)) return value.$tuple.map(canonicalFromPython);
    if (Array.isArray(value.$dict)) {
      return {
        dict: value.$dict.map((pair: unknown): [Canonical, Canonical] => {
          if (!Array.isArray(pair) || pair.length !== 2)
            throw new Error('differential: malformed $dict entry from Python');
          return [canonicalFromPython(pair[0]), canonicalFromPython(pair[1])];
        }),
      };
    }
    if (Array.isArray(value.$set)) {
      return { set: value.$set.map((item: unknown) => JSON.stringify(canonicalFromPython(item))).sort() };
    }
    if (typeof value.$object === 'string') {
      throw new Error(
        `differential: Python returned an instance of ${value.$object}, which the harness cannot compare`,
      );
    }
  }
  throw new Error(`differential: unexpected encoded value from Python: ${JSON.stringify(value)}`);
}

/** JSON for the driver: bytes, Float-marked numbers, Maps and plain objects tagged so Python rebuilds the right types. */
export function encodeArgument(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof FloatArg) return { $float: Object.is(value.value, -0) ? '-0.0' : String(value.value) };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(encodeArgument);
  if (value instanceof Map)
    return { $dict: [...value.entries()].map(([k, v]) => [encodeArgument(k), encodeArgument(v)]) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`differential: pass non-finite numbers as float(${String(value)})`);
    // JSON.stringify writes 1e21 and up in exponent form, which Python would read as a float.
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) return { $int: BigInt(value).toString() };
    return value;
  }
  if (isPlainObject(value)) {
    return { $dict: Object.entries(value).map(([k, v]) => [k, encodeArgument(v)]) };
  }
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  throw new Error(`differential: cannot send a ${typeof value} argument to Python`);
}

export function decodeNodeArgument(value: unknown): unknown {
  if (value instanceof FloatArg) return value.value;
  if (Array.isArray(value)) return value.map(decodeNodeArgument);
  return value;
}

export function errorOutcomeFromNode(error: unknown, floats: boolean): Outcome {
  if (!(error instanceof Error)) {
    return { error: { class: typeof error, message: String(error), attributes: {} } };
  }
  const attributes: { [name: string]: Canonical } = {};
  for (const [name, item] of Object.entries(error)) {
    if (name === 'name' || name === 'stack' || name === 'message' || name === 'cause') continue;
    attributes[name] = canonicalFromNode(item, floats);
  }
  return { error: { class: error.constructor.name, message: error.message, attributes } };
}

/** An outcome as the Python driver wrote it ({"ok": ...} or {"error": {...}}), in canonical form. */
export function outcomeFromPython(parsed: Record<string, unknown>): Outcome {
  if ('ok' in parsed) return { ok: canonicalFromPython(parsed.ok) };
  if (isRecord(parsed.error)) {
    const error = parsed.error;
    const attributes: { [name: string]: Canonical } = {};
    if (isRecord(error.attributes)) {
      for (const [name, item] of Object.entries(error.attributes)) attributes[name] = canonicalFromPython(item);
    }
    return { error: { class: String(error.class), message: String(error.message), attributes } };
  }
  throw new Error(`differential: malformed driver output: ${JSON.stringify(parsed)}`);
}

/** Calls `functionName` of the TS module on every vector in Node. */
export async function runInNode(
  tsModulePath: string,
  functionName: string,
  vectors: readonly unknown[][],
  floats = false,
): Promise<Outcome[]> {
  const module: Record<string, unknown> = await import(pathToFileURL(resolve(REPO_ROOT, tsModulePath)).href);
  const fn = module[functionName];
  if (typeof fn !== 'function') throw new Error(`differential: ${tsModulePath} exports no function ${functionName}`);
  const outcomes: Outcome[] = [];
  for (const vector of vectors) {
    try {
      const result: unknown = await Reflect.apply(fn, undefined, vector.map(decodeNodeArgument));
      outcomes.push({ ok: canonicalFromNode(result, floats) });
    } catch (error) {
      outcomes.push(errorOutcomeFromNode(error, floats));
    }
  }
  return outcomes;
}

/**
 * Calls `pythonModule.pythonFunction` on every vector in one process of `python` (PYTHON by default; PYTHONPATH: see
 * above). `extraPythonPath` folders come after the package's (test adapters building objects JSON cannot carry).
 */
export async function runInPython(
  pythonModule: string,
  pythonFunction: string,
  vectors: readonly unknown[][],
  extraPythonPath: readonly string[] = [],
  python: string = PYTHON,
): Promise<Outcome[]> {
  const pythonPath = [PYTHONPATH, ...extraPythonPath].join(':');
  if (!existsSync(python)) throw new Error(`${python} not found: install Debian's python3 (apt-get install python3)`);
  const input = vectors
    .map((vector) =>
      JSON.stringify({ module: pythonModule, function: pythonFunction, args: vector.map(encodeArgument) }),
    )
    .join('\n');
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>(
    (done, fail) => {
      const child = spawn(python, [DRIVER], {
        cwd: REPO_ROOT,
        // No user site-packages: the emitted package must not need anything installed beside it.
        env: {
          ...process.env,
          PYTHONPATH: pythonPath,
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHONIOENCODING: 'utf-8',
          PYTHONNOUSERSITE: '1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.once('error', fail);
      // The driver may exit early (fatal import error) and close its stdin; the outcome lines say why.
      child.stdin.on('error', () => undefined);
      child.once('close', (exitCode) =>
        done({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          code: exitCode,
        }),
      );
      child.stdin.end(input + '\n');
    },
  );
  const lines = stdout.split('\n').filter((line) => line !== '');
  const outcomes: Outcome[] = [];
  for (const line of lines) {
    const parsed: unknown = JSON.parse(line);
    if (!isRecord(parsed)) throw new Error(`differential: malformed driver output: ${line}`);
    if (typeof parsed.fatal === 'string') {
      throw new Error(
        `differential: ${parsed.fatal} (PYTHONPATH=${pythonPath}; is the module emitted? run 'npm run build')`,
      );
    }
    outcomes.push(outcomeFromPython(parsed));
  }
  if (code !== 0 || outcomes.length !== vectors.length) {
    throw new Error(
      `differential: python driver exited with ${String(code)} after ${outcomes.length} of ${vectors.length} calls: ${stderr.trim()}`,
    );
  }
  return outcomes;
}

function comparable(outcome: Outcome, compareMessages: boolean): string {
  if ('ok' in outcome || compareMessages) return JSON.stringify(outcome);
  return JSON.stringify({ error: { class: outcome.error.class, attributes: outcome.error.attributes } });
}

function describeArguments(vector: readonly unknown[]): string {
  return JSON.stringify(vector.map(encodeArgument));
}

/** Runs every vector through Node and Python and returns the vectors whose outcomes differ. */
export async function differential(
  tsModulePath: string,
  functionName: string,
  vectors: readonly unknown[][],
  options: DifferentialOptions = {},
): Promise<DifferentialReport> {
  const floats = options.floatResult ?? false;
  const compareMessages = options.compareMessages ?? true;
  const pythonModule = options.pythonModule ?? pythonModuleFor(tsModulePath);
  const pythonFunction = options.pythonFunction ?? snakeCase(functionName);
  const nodeOutcomes = await runInNode(tsModulePath, functionName, vectors, floats);
  const pythonOutcomes = await runInPython(pythonModule, pythonFunction, vectors);
  const mismatches: Mismatch[] = [];
  let errors = 0;
  vectors.forEach((vector, index) => {
    const node = nodeOutcomes[index]!;
    const python = pythonOutcomes[index]!;
    if (comparable(node, compareMessages) !== comparable(python, compareMessages)) {
      mismatches.push({ args: describeArguments(vector), node, python });
    } else if ('error' in node) {
      errors += 1;
    }
  });
  return { total: vectors.length, errors, mismatches };
}
