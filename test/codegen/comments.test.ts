// Comments carried over: every comment of src/ (header, JSDoc, `//` in bodies, trailing) is in the emitted module,
// as the module docstring, a docstring or a `#` comment. Words are compared loosely, because the emitter writes names
// as Python names (`fullKey` -> `full_key`, `null` -> `None`) and refills lines to the width.
import * as path from 'node:path';
import { Project, ts } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { compileProject } from '../../codegen/compiler';
import { ROOT } from './helpers';

const SYNONYMS: Readonly<Record<string, string>> = { null: 'none', undefined: 'none', this: 'self' };

/** Words as letters and digits only, lowercased: `fullKey`, `full_key` and `#fullKey` are one word. */
function looseWords(text: string): string[] {
  return text
    .split(/\s+/)
    .map((w) => w.toLowerCase().replace(/[^a-z0-9]/g, ''))
    .filter((w) => w !== '')
    .map((w) => SYNONYMS[w] ?? w);
}

function commentsOf(file: ts.SourceFile): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, file.text);
  const comments: string[] = [];
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) {
      comments.push(
        scanner
          .getTokenText()
          .replace(/^\/\/|^\/\*\*?|\*\/$/g, '')
          .replace(/^\s*\* ?/gm, ''),
      );
    }
  }
  return comments;
}

function containsSequence(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return true;
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('comments of src/ in python-out', () => {
  it('every comment of every emitted module is in its Python module (docstring or # comment)', () => {
    const project = new Project({
      tsConfigFilePath: path.join(ROOT, 'tsconfig.json'),
      skipAddingFilesFromTsConfig: true,
    });
    project.addSourceFilesAtPaths(path.join(ROOT, 'src', '**', '*.ts'));
    project.resolveSourceFileDependencies();
    const result = compileProject(project, { root: ROOT });
    expect(result.diagnostics).toEqual([]);
    const missing: string[] = [];
    let checked = 0;
    for (const sourceFile of project.getSourceFiles()) {
      const file = sourceFile.compilerNode;
      const relative = path.relative(path.join(ROOT, 'src'), file.fileName);
      if (relative.startsWith('ports/')) continue;
      const out = relative
        .replace(/-/g, '_')
        .replace(/(^|\/)index\.ts$/, '$1__init__.py')
        .replace(/\.ts$/, '.py');
      const emitted = result.files.find((f) => f.path === out);
      expect(emitted, out).toBeDefined();
      const words = looseWords(emitted!.text);
      for (const comment of commentsOf(file)) {
        checked += 1;
        if (!containsSequence(words, looseWords(comment))) missing.push(`${relative}: ${comment.trim().slice(0, 80)}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });
});
