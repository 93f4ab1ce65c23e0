// Shared by the differential tests of emitted modules: run vectors through Node and Python and fail with the first
// disagreements and the seed that replays them.
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  REPO_ROOT,
  encodeArgument,
  pythonModuleFor,
  runInNode,
  runInPython,
  snakeCase,
  type DifferentialOptions,
  type DifferentialReport,
  type Mismatch,
  type Outcome,
} from '../rig/differential';
import { SEED } from '../runtime/vectors';

/**
 * An outcome as the user would see it. The wrapper's errors are Multicorn's MulticornException (raised by
 * log_to_postgres at ERROR), and the host reports its `message` attribute. In Python that attribute is a plain
 * instance attribute and str() of the exception is the tuple of its constructor arguments; in Node `message` is
 * Error's own property. Both are put in one form: the message the host reports, the other attributes beside it.
 */
function asReported(outcome: Outcome): Outcome {
  if (!('error' in outcome) || outcome.error.class !== 'MulticornException') return outcome;
  const { message: reported, ...others } = outcome.error.attributes;
  if (reported === undefined) return outcome;
  return {
    error: {
      class: outcome.error.class,
      message: typeof reported === 'string' ? reported : JSON.stringify(reported),
      attributes: others,
    },
  };
}

/** Compares the outcomes of `vectors` on both sides; differences fail the test, naming the seed. */
export function expectSameOutcomes(
  fn: string,
  vectors: unknown[][],
  node: Outcome[],
  python: Outcome[],
): DifferentialReport {
  expect([node.length, python.length]).toEqual([vectors.length, vectors.length]);
  const mismatches: Mismatch[] = [];
  let errors = 0;
  vectors.forEach((vector, index) => {
    const fromNode = asReported(node[index]!);
    const fromPython = asReported(python[index]!);
    if (JSON.stringify(fromNode) !== JSON.stringify(fromPython)) {
      mismatches.push({ args: JSON.stringify(vector.map(encodeArgument)), node: fromNode, python: fromPython });
    } else if ('error' in fromNode) {
      errors += 1;
    }
  });
  const firstMismatches = mismatches.slice(0, 3);
  expect(
    firstMismatches,
    `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`,
  ).toEqual([]);
  return { total: vectors.length, errors, mismatches };
}

/** Runs `vectors` through the TS function in Node and its emitted twin in Python; differences fail the test. */
export async function expectAgreement(
  tsModule: string,
  fn: string,
  vectors: unknown[][],
  options: Omit<DifferentialOptions, 'compareMessages'> = {},
): Promise<DifferentialReport> {
  const node = await runInNode(tsModule, fn, vectors, options.floatResult ?? false);
  const python = await runInPython(
    options.pythonModule ?? pythonModuleFor(tsModule),
    options.pythonFunction ?? snakeCase(fn),
    vectors,
  );
  return expectSameOutcomes(fn, vectors, node, python);
}

/**
 * The rig's runInPython for a Python adapter that lives beside the tests (test/differential is put on the path after
 * the package and multicorn): used where the arguments are objects JSON cannot carry (multicorn's Qual).
 */
export function runAdapterInPython(
  pythonModule: string,
  pythonFunction: string,
  vectors: readonly unknown[][],
): Promise<Outcome[]> {
  return runInPython(pythonModule, pythonFunction, vectors, [join(REPO_ROOT, 'test', 'differential')]);
}
