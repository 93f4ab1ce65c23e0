// The state of one compilation (one `compileProject` call), shared by the per-module Contexts: where the project
// and src/ are, how file names become module names and printed paths. Nothing here is module-level state, so two
// compilations (the tests run many) never see each other's settings.
import * as path from 'node:path';
import type { ts } from 'ts-morph';
import { projectNames } from './comment-names';
import { ModuleNames } from './module-names';
import { analyzeSetUsage, type SetUsage } from './set-usage';

export class CompileContext {
  readonly modules: ModuleNames;

  constructor(
    /** Absolute project root, forward slashes. */
    readonly root: string,
    readonly program: ts.Program,
  ) {
    this.modules = new ModuleNames(path.posix.join(root, 'src'));
  }

  get checker(): ts.TypeChecker {
    return this.program.getTypeChecker();
  }

  private names: Map<string, Set<string>> | null = null;
  private sets: SetUsage | null = null;

  /** Which Set bindings are Python sets (set-usage.ts), over every emitted module at once. */
  get setUsage(): SetUsage {
    if (this.sets === null) {
      const src = `${path.posix.join(this.root, 'src')}/`;
      const files = this.program
        .getSourceFiles()
        .filter((f) => f.fileName.startsWith(src) && !f.fileName.startsWith(`${src}ports/`) && !f.isDeclarationFile);
      this.sets = analyzeSetUsage(this.checker, files);
    }
    return this.sets;
  }

  /** Every name declared in src/ (ports included) -> its Python names, for comments that mention them. */
  get projectNames(): ReadonlyMap<string, ReadonlySet<string>> {
    if (this.names === null) {
      const src = `${path.posix.join(this.root, 'src')}/`;
      this.names = projectNames(
        this.program.getSourceFiles().filter((f) => f.fileName.startsWith(src) && !f.isDeclarationFile),
      );
    }
    return this.names;
  }

  /** `src/fdw.ts:112`: where a node starts in the TypeScript source, as a Python comment names it. */
  anchor(node: ts.Node): string {
    const file = node.getSourceFile();
    return `${this.displayPath(file.fileName)}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;
  }

  /** The path a diagnostic prints for an absolute file name: relative to the project root (`src/keys.ts`). */
  displayPath(fileName: string): string {
    return path.posix.relative(this.root, fileName);
  }
}
