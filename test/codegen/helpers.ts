// Compiles TypeScript snippets in memory (plus the real src/ports/*.ts, which the emitter maps rather than emits),
// so the emitter tests do not depend on what src/ holds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProject, inMemoryProject, type CompileResult } from '../../codegen/compiler';
import { formatDiagnostic } from '../../codegen/diagnostics';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'test/codegen/fixtures');
export const REFUSALS = path.join(ROOT, 'test/codegen/refusals');

export function portSources(): Record<string, string> {
  const files: Record<string, string> = {};
  const dir = path.join(ROOT, 'src/ports');
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.endsWith('.ts')) files[`src/ports/${name}`] = fs.readFileSync(path.join(dir, name), 'utf8');
  }
  return files;
}

/**
 * The first line of every fixture: the repository's `tsc -p tsconfig.json` includes test/, where a fixture cannot
 * resolve `./ports/...` (and refusal fixtures hold errors on purpose). In memory the line is blanked, so line
 * numbers stay those of the file on disk and the in-memory checker sees every error.
 */
export const FIXTURE_HEADER =
  '// @ts-nocheck (fixture: compiled in memory next to src/ports by test/codegen/helpers.ts)';

function withoutHeader(text: string): string {
  return text.startsWith(`${FIXTURE_HEADER}\n`) ? text.slice(FIXTURE_HEADER.length) : text;
}

/**
 * A fixture is one module (`src/<name>.ts`), or several when it holds `// @file src/<path>.ts` lines: each starts
 * a file that runs to the next such line.
 */
export function fixtureFiles(name: string, rawText: string): Record<string, string> {
  const text = withoutHeader(rawText);
  if (!/^\/\/ @file /m.test(text)) return { [`src/${name}.ts`]: text };
  const files: Record<string, string> = {};
  let current: string | null = null;
  for (const line of text.split('\n')) {
    const match = /^\/\/ @file (\S+)$/.exec(line);
    if (match !== null) {
      current = match[1]!;
      files[current] = '';
    } else if (current !== null) {
      files[current] += `${line}\n`;
    }
  }
  return files;
}

export function compileSources(files: Record<string, string>): CompileResult {
  const project = inMemoryProject({ ...portSources(), ...files });
  return compileProject(project, { root: '/project' });
}

/** The emitted text of the fixture's modules (all of them, each after a `# ==== <path>` line when several). */
export function emitFixture(name: string, text: string): { output: string; diagnostics: string[] } {
  const files = fixtureFiles(name, text);
  const result = compileSources(files);
  const wanted = Object.keys(files)
    .filter((f) => !f.startsWith('src/ports/'))
    .map((f) =>
      f
        .replace(/^src\//, '')
        .replace(/-/g, '_')
        .replace(/(^|\/)index\.ts$/, '$1__init__.py')
        .replace(/\.ts$/, '.py'),
    );
  const emitted = result.files.filter((f) => wanted.includes(f.path));
  const output =
    emitted.length === 1 && Object.keys(files).length === 1
      ? emitted[0]!.text
      : emitted.map((f) => `# ==== ${f.path}\n${f.text}`).join('');
  return { output, diagnostics: result.diagnostics.map(formatDiagnostic) };
}

export function listFixtures(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}
