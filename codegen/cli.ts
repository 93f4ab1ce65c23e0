// `npm run build`: emits src/**/*.ts (except src/ports/) into python-out/pymcache_fdw/. Prints every diagnostic
// and exits 1 when anything is refused (writing nothing); removes generated files whose source is gone.
// `--check` reports what would change without writing (exit 1 when something would).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Project } from 'ts-morph';
import { compileProject, HEADER_PREFIX, type EmittedFile } from './compiler';
import { formatDiagnostic } from './diagnostics';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_DIR = path.join(ROOT, 'python-out', 'pymcache_fdw');

function generatedFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== '__pycache__') out.push(...generatedFiles(path.join(dir, entry.name), relative));
    } else if (entry.name.endsWith('.py')) {
      const first = fs.readFileSync(path.join(dir, entry.name), 'utf8').split('\n', 1)[0] ?? '';
      if (first.startsWith(HEADER_PREFIX)) out.push(relative);
    }
  }
  return out;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const project = new Project({
    tsConfigFilePath: path.join(ROOT, 'tsconfig.json'),
    skipAddingFilesFromTsConfig: true,
  });
  project.addSourceFilesAtPaths(path.join(ROOT, 'src', '**', '*.ts'));
  project.resolveSourceFileDependencies();
  const result = compileProject(project, { root: ROOT });
  if (result.diagnostics.length > 0) {
    for (const d of result.diagnostics) console.error(formatDiagnostic(d));
    console.error(`codegen: ${result.diagnostics.length} error(s); python-out/ left unchanged.`);
    return 1;
  }
  const wanted = new Map<string, EmittedFile>(result.files.map((f) => [f.path, f]));
  const changes: string[] = [];
  for (const file of result.files) {
    const target = path.join(PACKAGE_DIR, file.path);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
    if (current === file.text) continue;
    changes.push(`${current === null ? 'create' : 'update'} python-out/pymcache_fdw/${file.path}`);
    if (!check) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.text);
    }
  }
  for (const stale of generatedFiles(PACKAGE_DIR)) {
    if (wanted.has(stale)) continue;
    changes.push(`remove python-out/pymcache_fdw/${stale}`);
    if (!check) fs.rmSync(path.join(PACKAGE_DIR, stale));
  }
  if (check) {
    for (const c of changes) console.error(c);
    if (changes.length > 0) {
      console.error('codegen --check: python-out/ differs from what src/ emits; run `npm run build`.');
      return 1;
    }
    return 0;
  }
  console.log(
    `codegen: ${result.files.length} module(s) emitted${changes.length > 0 ? `, ${changes.length} file(s) changed` : ', no change'}.`,
  );
  return 0;
}

process.exitCode = main(process.argv.slice(2));
