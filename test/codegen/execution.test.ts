// Execution tests in the style of TypeScriptToLua's expectToMatchJsResult: each snippet's `main()` runs in Node
// (through tsx, next to the real src/ports) and, emitted, under /usr/bin/python3 (next to the real _runtime.py);
// the JSON of both results must be equal. A thrown error counts as `{ threw: message }` on both sides.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSources, portSources, ROOT } from './helpers';

const SNIPPETS: Record<string, string> = {
  generators: `
    function* count(start: number, end: number): Generator<number> {
      for (let i = start; i < end; i++) yield i;
    }
    function* both(): Generator<number> {
      yield* count(0, 2);
      yield 10;
      yield* count(5, 7);
    }
    function* early(log: string[]): Generator<number> {
      try {
        yield 1;
        return;
      } finally {
        log.push('closed');
      }
    }
    function* guarded(log: string[], name: string, items: number[]): Generator<number> {
      try {
        for (const n of items) yield n;
      } finally {
        log.push(name + ' closed');
      }
    }
    function* relay(log: string[]): Generator<number> {
      try {
        for (const n of guarded(log, 'inner', [1, 2, 3])) yield n;
      } finally {
        log.push('relay closed');
      }
    }
    export function main(): unknown {
      const log: string[] = [];
      const out: number[] = [];
      for (const n of both()) out.push(n);
      for (const n of early(log)) out.push(n);
      const empty: number[] = [];
      for (const n of count(3, 3)) empty.push(n);
      const relayed: number[] = [];
      for (const n of relay(log)) relayed.push(n);
      for (const n of relay(log)) {
        if (n === 2) break;
        relayed.push(n);
      }
      return { out, log, empty, relayed };
    }`,
  tryFinallyOrder: `
    function step(log: string[], fail: boolean): string {
      try {
        log.push('try');
        if (fail) throw new Error('boom');
        return 'returned';
      } catch (error) {
        log.push('catch ' + (error instanceof Error ? error.message : 'other'));
        return 'caught';
      } finally {
        log.push('finally');
      }
    }
    function nested(log: string[]): void {
      try {
        try {
          throw new RangeError('inner');
        } finally {
          log.push('inner finally');
        }
      } catch (error) {
        if (error instanceof RangeError) log.push('range: ' + error.message);
      }
    }
    export function main(): unknown {
      const log: string[] = [];
      const results = [step(log, false), step(log, true)];
      nested(log);
      return { results, log };
    }`,
  nullishAndOptional: `
    interface Node { name: string; next?: Node; count: number | null }
    let evaluations = 0;
    function nothing(): Node | undefined {
      return undefined;
    }
    function make(name: string): Node {
      evaluations += 1;
      return { name, count: name === 'b' ? 0 : null };
    }
    export function main(): unknown {
      const a: Node = { name: 'a', next: { name: 'b', count: 0 }, count: null };
      const lone = nothing();
      const first = make('x').count ?? 7;
      const zero = make('b').count ?? 7;
      const chain = a.next?.name ?? 'none';
      const deep = a.next?.next?.name ?? 'none';
      const missing = lone?.next?.name ?? 'none';
      const text: string | null = '';
      const keepsEmpty = text ?? 'fallback';
      const orEmpty = text || 'fallback';
      return { first, zero, chain, deep, missing, keepsEmpty, orEmpty, evaluations };
    }`,
  mapSetOrder: `
    export function main(): unknown {
      const m = new Map<string, number>();
      for (const k of ['zeta', 'alpha', 'mid', '10', '2']) m.set(k, k.startsWith('z') ? 1 : 2);
      m.delete('alpha');
      m.set('alpha', 3);
      m.set('zeta', 9);
      const s = new Set<string>(['b', 'a', 'c']);
      s.add('a');
      s.delete('b');
      s.add('b');
      const entries: [string, number][] = [];
      for (const [k, v] of m) entries.push([k, v]);
      const keys = [...m.keys()];
      const members: string[] = [];
      for (const x of s) members.push(x);
      return { entries, keys, members, size: m.size + s.size, has: [m.has('mid'), s.has('z')] };
    }`,
  setMembership: `
    class Tracker {
      private readonly seen: Set<string> = new Set<string>();
      note(key: string): boolean {
        if (this.seen.has(key)) return false;
        this.seen.add(key);
        return true;
      }
      forget(key: string): number {
        this.seen.delete(key);
        this.seen.delete('never there');
        return this.seen.size;
      }
    }
    function known(keys: Set<string>, names: string[]): string[] {
      const out: string[] = [];
      for (const name of names) if (keys.has(name)) out.push(name);
      return out;
    }
    export function main(): unknown {
      const t = new Tracker();
      const noted = ['b', 'a', 'b', 'c'].map((k) => t.note(k));
      const left = t.forget('a');
      return { noted, left, known: known(new Set<string>(['x', 'z']), ['z', 'y', 'x']) };
    }`,
  classes: `
    class Animal {
      static count = 0;
      protected sound = 'generic';
      constructor(readonly name: string) {
        Animal.count += 1;
      }
      speak(): string {
        return this.name + ' says ' + this.sound;
      }
      get loud(): string {
        return this.speak().toUpperCase();
      }
    }
    class Dog extends Animal {
      private tricks: string[] = [];
      constructor(name: string) {
        super(name);
        this.sound = 'woof';
      }
      learn(trick: string): this {
        this.tricks.push(trick);
        return this;
      }
      override speak(): string {
        return super.speak() + ' (' + this.tricks.join(', ') + ')';
      }
    }
    export function main(): unknown {
      const d = new Dog('rex').learn('sit').learn('roll');
      const a = new Animal('cat');
      return [d.speak(), a.loud, Animal.count, d instanceof Animal, a instanceof Dog, d.name];
    }`,
  switches: `
    function classify(n: number): string {
      switch (n % 4) {
        case 0:
          return 'zero';
        case 1:
        case -1:
          return 'one';
        default:
          return 'other';
        case 3:
          return 'three';
      }
    }
    function tally(words: string[]): number {
      let total = 0;
      for (const w of words) {
        switch (w) {
          case 'skip':
            continue;
          case 'a':
            total += 1;
            break;
          default:
            total += 10;
        }
        total += 100;
      }
      return total;
    }
    export function main(): unknown {
      return { classes: [0, 1, 2, 3, 4, 5, -1, -2, -3].map((n) => classify(n)), tally: tally(['a', 'skip', 'b']) };
    }`,
  destructuring: `
    interface Point { x: number; y: number; label?: string }
    export function main(): unknown {
      const pair: [string, number] = ['k', 2];
      const [key, value] = pair;
      const list = [1];
      const [one, two] = list;
      const [head, ...tail] = [5, 6, 7];
      const p: Point = { x: 1, y: 2 };
      const { x, y: why, label = 'none' } = p;
      let a = 1;
      let b = 2;
      [a, b] = [b, a];
      return { key, value, one, two: two ?? null, head, tail, x, why, label, a, b };
    }`,
  errors: `
    import { InvalidArgumentError } from './ports/runtime';
    class AppError extends Error {
      constructor(message: string, readonly code: number) {
        super(message);
        this.name = 'AppError';
      }
    }
    class NotFound extends AppError {
      constructor(what: string) {
        super(what + ' not found', 404);
      }
    }
    function run(kind: number): string {
      try {
        if (kind === 0) throw new NotFound('key');
        if (kind === 1) throw new AppError('bad', 400);
        if (kind === 2) throw new InvalidArgumentError('invalid');
        if (kind === 3) throw new TypeError('typed');
        return 'ok';
      } catch (error) {
        if (error instanceof NotFound) return 'NotFound ' + error.message + ' ' + (error.code === 404 ? 'y' : 'n');
        if (error instanceof AppError) return error.name + ' ' + error.message;
        if (error instanceof InvalidArgumentError) return 'invalid ' + error.message;
        if (error instanceof Error) return 'error ' + error.message;
        throw error;
      }
    }
    export function main(): unknown {
      return [0, 1, 2, 3, 4].map((k) => run(k));
    }`,
  exceptClauses: `
    class A extends Error {}
    class B extends A {}
    class C extends Error {}
    function fail(message: string): never {
      throw new C(message);
    }
    function classify(kind: number, log: string[]): string {
      try {
        try {
          if (kind === 0) throw new B('b');
          if (kind === 1) throw new A('a');
          if (kind === 2) throw new C('c');
          if (kind === 3) throw new RangeError('r');
          return 'ok';
        } catch (error) {
          if (error instanceof B) {
            log.push('B first');
            return 'b';
          }
          if (error instanceof A || error instanceof RangeError) fail('from ' + error.message);
          throw error;
        }
      } catch (outer) {
        if (outer instanceof C) return 'C: ' + outer.message;
        throw outer;
      }
    }
    export function main(): unknown {
      const log: string[] = [];
      return { results: [0, 1, 2, 3, 4].map((k) => classify(k, log)), log };
    }`,
  uncaught: `
    export function main(): unknown {
      throw new Error('escaped ' + 'message');
    }`,
  closures: `
    interface Counter {
      next: () => number;
      reset: () => void;
    }
    function counter(start: number): Counter {
      let value = start;
      return {
        next: () => {
          value += 1;
          return value;
        },
        reset: () => {
          value = start;
        },
      };
    }
    let bumps = 0;
    function bump(): number {
      bumps += 5;
      return bumps;
    }
    export function main(): unknown {
      const c = counter(10);
      const seen = [c.next(), c.next()];
      c.reset();
      seen.push(c.next());
      const adders = [1, 2, 3].map((n) => (x: number) => x + n);
      return { seen, bumped: [bump(), bump()], added: adders.map((f) => f(10)) };
    }`,
  strings: `
    export function main(): unknown {
      const text = '\\u00a0\\ufeff héllo, wörld 😀 \\t';
      const trimmed = text.trim();
      const parts = trimmed.split(', ');
      const chars: string[] = [];
      for (const ch of 'a😀b') chars.push(ch);
      const braces = \`{\${parts[0] ?? ''}} "q" 'q'\`;
      return {
        trimmed,
        parts,
        upper: 'straße'.toUpperCase(),
        lower: 'ÀB'.toLowerCase(),
        chars,
        braces,
        flags: [trimmed.startsWith('hé'), trimmed.endsWith('😀'), trimmed.includes('wö')],
        replaced: 'a-b-c'.replace('-', '+') + ' ' + 'a-b-c'.replaceAll('-', '+'),
        repeated: 'ab'.repeat(3),
        split: ''.split(','),
      };
    }`,
  arrays: `
    interface Ranked {
      rank: number;
      name: string;
    }
    export function main(): unknown {
      const values = [5, 3, 9, 1];
      const empty: number[] = [];
      const popped = empty.pop();
      const shifted = empty.shift();
      const sortedUp = [...values].sort((a, b) => a - b);
      const sortedDown = [...values].sort((a, b) => b - a);
      const ranked: Ranked[] = [{ rank: 2, name: 'b' }, { rank: 1, name: 'a' }, { rank: 2, name: 'c' }];
      const byRank = ranked
        .slice()
        .sort((p, q) => p.rank - q.rank)
        .map((p) => p.name);
      const found = values.find((v) => v > 4);
      const notFound = values.find((v) => v > 100);
      const index = values.findIndex((v) => v === 9);
      const outOfRange = values[10];
      const negative = values[-1];
      const copy = values.slice(1, 3).concat([7], [8]);
      values.reverse();
      return {
        popped: popped ?? null, shifted: shifted ?? null, sortedUp, sortedDown, byRank,
        found: found ?? null, notFound: notFound ?? null, index, outOfRange: outOfRange ?? null, negative: negative ?? null,
        copy, reversed: values, joined: ['x', 'y'].join('-'),
        tests: [values.includes(9), values.indexOf(3), values.indexOf(42), values.some((v) => v > 8), values.every((v) => v > 0)],
        total: values.reduce((acc, v) => acc + v, 0),
      };
    }`,
  arithmetic: `
    export function main(): unknown {
      const pairs: [number, number][] = [[7, 3], [-7, 3], [7, -3], [-7, -3], [6, 3]];
      return {
        rem: pairs.map(([a, b]) => a % b),
        pow: [2 ** 10, (-2) ** 3, Math.pow(3, 33), (-1) ** 7],
        floor: [Math.floor(7), Math.max(3, 9, 4), Math.min(3, 9, 4), Math.abs(-5)],
        ints: [Number.isInteger(5), Number.isSafeInteger(Number.MAX_SAFE_INTEGER + 1), Number.MAX_SAFE_INTEGER],
        big: 2 ** 52 + 1,
      };
    }`,
  loops: `
    export function main(): unknown {
      const out: number[] = [];
      for (let i = 0; i < 10; i += 3) {
        if (i === 3) continue;
        out.push(i);
      }
      let n = 0;
      do {
        n += 1;
        if (n === 2) continue;
        out.push(100 + n);
      } while (n < 4);
      let k = 0;
      while (true) {
        k += 1;
        if (k > 3) break;
      }
      const grid = [[1, 2], [3, 4]];
      for (let r = 0; r < grid.length; r++) {
        const row = grid[r]!;
        for (let c = 0; c < row.length; c++) row[c] = row[c]! * 10;
      }
      return { out, k, grid };
    }`,
  asyncCode: `
    async function value(n: number): Promise<number> {
      return n * 2;
    }
    async function* stream(limit: number): AsyncGenerator<number, void, undefined> {
      for (let i = 0; i < limit; i++) yield await value(i);
    }
    export async function main(): Promise<unknown> {
      const [a, b] = await Promise.all([value(1), value(2)]);
      const streamed: number[] = [];
      for await (const v of stream(3)) streamed.push(v);
      return { a, b, streamed, resolved: await Promise.resolve(4) };
    }`,
  typeofAndEnums: `
    enum Level { Low, Mid = 5, High }
    enum Color { Red = 'red', Blue = 'blue' }
    const Sizes = { Small: 1, Large: 10 } as const;
    function kind(v: string | number | boolean | null): string {
      if (v === null) return 'null';
      if (typeof v === 'number') return 'number';
      if (typeof v === 'boolean') return 'boolean';
      return typeof v === 'string' ? 'string' : 'other';
    }
    export function main(): unknown {
      return {
        kinds: [kind(1), kind(true), kind('x'), kind(null)],
        levels: [Level.Low, Level.Mid, Level.High],
        color: Color.Blue,
        sizes: Sizes.Small + Sizes.Large,
      };
    }`,
  records: `
    export function main(): unknown {
      const r: Record<string, number> = {};
      r['b'] = 2;
      r['a'] = 1;
      const keys = Object.keys(r);
      const total = Object.values(r).reduce((s, v) => s + v, 0);
      const present = 'a' in r;
      const missing = r['zzz'];
      const spread: Record<string, number> = { ...r, c: 3 };
      return { keys, total, present, missing: missing ?? null, entries: Object.entries(spread) };
    }`,
  runtimeInline: `
    import { bytesToHex, codePoints, crc32, md5, sortedStrings, utf8Encode } from './ports/runtime';
    export function main(): unknown {
      const text = 'zé中😀a';
      const chars = codePoints(text);
      const walked: string[] = [];
      for (const ch of codePoints(text)) walked.push(ch);
      const i = 2;
      const past = 9;
      const negative = -1;
      const [first, , third, fourth] = chars;
      return {
        chars, walked, sorted: sortedStrings(chars), mapped: ['ab', 'é'].map(codePoints),
        md5: bytesToHex(md5(utf8Encode(text))), crc32: crc32(utf8Encode(text)),
        reads: [chars[0] ?? null, chars[i] ?? null, chars[past] ?? null, chars[negative] ?? null, chars[7] ?? null],
        destructured: [first ?? null, third ?? null, fourth ?? null],
      };
    }`,
  runtimeBytesInline: `
    import { bytesConcat, bytesEqual, bytesFind, bytesJoin, bytesStartsWith, bytesToHex, isAsciiDigits, latin1Decode, utf8Encode } from './ports/runtime';
    export function main(): unknown {
      const line = utf8Encode('VALUE k 0 5\\r\\nhello\\r\\nEND\\r\\n');
      const crlf = utf8Encode('\\r\\n');
      const starts = [-100, -3, 0, 5, 11, 12, 27, 28, 29];
      return {
        finds: starts.map((start) => bytesFind(line, crlf, start)),
        emptyNeedle: starts.map((start) => bytesFind(line, utf8Encode(''), start)),
        slicedReceiver: bytesFind(line.slice(6), crlf, 1 + 1),
        startsWith: starts.map((start) => bytesStartsWith(line, crlf, start)),
        negated: !bytesStartsWith(line.slice(0, 3), utf8Encode('VAL'), 0),
        joined: bytesToHex(bytesConcat([line.slice(0, 5), crlf, utf8Encode('')])),
        separated: [bytesToHex(bytesJoin([line.slice(0, 5), utf8Encode(''), crlf], utf8Encode(' '))), bytesToHex(bytesJoin([], crlf)), bytesToHex(bytesJoin([crlf], line))],
        equal: [bytesEqual(line.slice(0, 3), utf8Encode('VAL')), bytesEqual(crlf, line), !bytesEqual(crlf, crlf)],
        digits: [isAsciiDigits(utf8Encode('0123')), isAsciiDigits(utf8Encode('')), isAsciiDigits(utf8Encode('+1')), isAsciiDigits(line.slice(8, 9))],
        latin1: latin1Decode(bytesConcat([line.slice(0, 2), utf8Encode('é')])),
      };
    }`,
  runtimeBytesConditionallyInline: `
    import { bytesSplit, bytesToHex, parseAsciiDigits, utf8Encode } from './ports/runtime';
    const SPACE = utf8Encode(' ');
    export function main(): unknown {
      const line = utf8Encode('VALUE k 0 17 +1 1_0 ١ 0123456789012345 007  x');
      const fields = bytesSplit(line, SPACE);
      const numbers: number[] = [];
      for (const field of fields) numbers.push(parseAsciiDigits(field));
      return { fields: fields.map(bytesToHex), numbers, empty: bytesSplit(utf8Encode(''), SPACE).map(bytesToHex) };
    }`,
  elementLoops: `
    function weighted(xs: number[], ws: number[]): number[] {
      const out: number[] = [];
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!;
        if (x < 0) continue;
        if (x > 100) break;
        out.push(x * (ws[i] ?? 1) + i + xs.length);
      }
      return out;
    }
    function present(xs: (string | undefined)[]): string[] {
      const out: string[] = [];
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i];
        out.push(x === undefined ? '-' : x);
      }
      return out;
    }
    export function main(): unknown {
      return {
        weighted: weighted([1, -2, 3, 4, 500, 6], [10, 20, 30]),
        empty: weighted([], []),
        present: present(['a', undefined, 'c']),
      };
    }`,
  emptiness: `
    import { type Bytes, utf8Encode } from './ports/runtime';
    function describe(xs: string[], data: Bytes, seen: Map<string, number>, tags: Set<string>): unknown {
      const out: string[] = [];
      if (xs.length > 0) out.push('xs');
      if (!(data.length === 0)) out.push('data');
      if (seen.size !== 0 && 0 < tags.size) out.push('both');
      let n = 0;
      while (xs.length !== 0) {
        xs.pop();
        n += 1;
      }
      do n += 1; while (tags.size === 0 && n < 5);
      return { out, empty: xs.length === 0, tagless: tags.size === 0, nonEmpty: data.length > 0, n };
    }
    export function main(): unknown {
      return [
        describe([], utf8Encode(''), new Map(), new Set()),
        describe(['a', 'b'], utf8Encode('x'), new Map([['k', 1]]), new Set(['t'])),
      ];
    }`,
  interpolatedIntegersAndErrors: `
    import { intToString, utf8ByteLength, utf8Encode } from './ports/runtime';
    const LIMIT = 3;
    const BIG = 9007199254740991;
    class LimitError extends Error {}
    function check(items: string[]): void {
      if (items.length > LIMIT) throw new LimitError(intToString(items.length - LIMIT) + ' over');
    }
    export function main(): unknown {
      const items = ['a', 'é', '', '€uro'];
      const out: string[] = [];
      for (let i = 0; i < items.length; i++) out.push(\`\${intToString(i + 1)}: \${intToString(utf8ByteLength(items[i]!))}\`);
      out.push('bytes ' + intToString(utf8Encode('€').length) + ', negative ' + intToString(0 - LIMIT) + ', ' + intToString(BIG));
      try {
        check(items);
      } catch (error) {
        if (error instanceof LimitError) out.push(\`limit: \${error.message}\`);
      }
      try {
        check(['a', 'b', 'c', 'd', 'e']);
      } catch (error) {
        if (error instanceof Error) out.push('error: ' + error.message + '!');
      }
      return out;
    }`,
};

let workDir = '';
let nodeResults: Record<string, unknown> = {};
let pythonResults: Record<string, unknown> = {};
let emitErrors: string[] = [];

function runNode(dir: string): Record<string, unknown> {
  const src = path.join(dir, 'node', 'src');
  fs.mkdirSync(path.join(src, 'ports'), { recursive: true });
  for (const [file, text] of Object.entries(portSources())) fs.writeFileSync(path.join(dir, 'node', file), text);
  for (const [name, text] of Object.entries(SNIPPETS)) fs.writeFileSync(path.join(src, `${name}.ts`), text);
  const runner = `
    const names = ${JSON.stringify(Object.keys(SNIPPETS))};
    const results: Record<string, unknown> = {};
    for (const name of names) {
      const module = await import('./src/' + name + '.ts');
      try {
        results[name] = { value: await module.main() };
      } catch (error) {
        results[name] = { threw: error instanceof Error ? error.message : String(error) };
      }
    }
    process.stdout.write(JSON.stringify(results));
  `;
  fs.writeFileSync(path.join(dir, 'node', 'runner.ts'), runner);
  fs.writeFileSync(path.join(dir, 'node', 'package.json'), '{ "type": "module" }\n');
  const out = execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(dir, 'node', 'runner.ts')], {
    cwd: path.join(dir, 'node'),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

function runPython(dir: string): Record<string, unknown> {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(SNIPPETS)) files[`src/${name}.ts`] = text;
  const result = compileSources(files);
  emitErrors = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.code}: ${d.why}`);
  if (emitErrors.length > 0) return {};
  const pkg = path.join(dir, 'py', 'pymcache_fdw');
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'python-out/pymcache_fdw/_runtime.py'), path.join(pkg, '_runtime.py'));
  fs.writeFileSync(path.join(pkg, '__init__.py'), '');
  for (const file of result.files)
    if (file.path !== '__init__.py') fs.writeFileSync(path.join(pkg, file.path), file.text);
  const runner = [
    'import importlib, json, sys',
    `names = ${JSON.stringify(Object.keys(SNIPPETS))}`,
    'results = {}',
    'for name in names:',
    '    module = importlib.import_module("pymcache_fdw." + name)',
    '    try:',
    '        results[name] = {"value": module.main()}',
    '    except Exception as error:',
    '        results[name] = {"threw": str(error)}',
    'sys.stdout.write(json.dumps(results, ensure_ascii=False))',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'py', 'runner.py'), runner);
  const out = execFileSync('/usr/bin/python3', [path.join(dir, 'py', 'runner.py')], {
    cwd: path.join(dir, 'py'),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('emitted Python computes what the TypeScript computes in Node', () => {
  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codegen-exec-'));
    nodeResults = runNode(workDir);
    pythonResults = runPython(workDir);
  });

  afterAll(() => {
    if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('every snippet is emitted without a diagnostic', () => {
    expect(emitErrors).toEqual([]);
  });

  for (const name of Object.keys(SNIPPETS)) {
    it(`${name}: same JSON result in Node and in Python`, () => {
      expect(nodeResults[name]).toBeDefined();
      expect(pythonResults[name]).toEqual(nodeResults[name]);
    });
  }

  it('an error escaping main() carries the same message on both sides', () => {
    expect(nodeResults['uncaught']).toEqual({ threw: 'escaped message' });
  });
});
