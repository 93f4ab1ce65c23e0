// The state of one compilation (one `compileProject` call), shared by the per-module Contexts: where the project
// and src/ are, how file names become module names and printed paths. Nothing here is module-level state, so two
// compilations (the tests run many) never see each other's settings.
import * as path from 'node:path';
import type { ts } from 'ts-morph';
import { ModuleNames } from './module-names';

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

  /** The path a diagnostic prints for an absolute file name: relative to the project root (`src/keys.ts`). */
  displayPath(fileName: string): string {
    return path.posix.relative(this.root, fileName);
  }
}
