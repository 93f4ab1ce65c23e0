// Shared by the differential tests of emitted modules: run vectors through Node and Python and fail with the first
// disagreements and the seed that replays them.
import { expect } from 'vitest';
import { differential, type DifferentialOptions, type DifferentialReport } from '../rig/differential';
import { SEED } from '../runtime/vectors';

export async function expectAgreement(
  tsModule: string,
  fn: string,
  vectors: unknown[][],
  options: DifferentialOptions = {},
): Promise<DifferentialReport> {
  const report = await differential(tsModule, fn, vectors, options);
  const firstMismatches = report.mismatches.slice(0, 3);
  expect(firstMismatches, `${fn}: Node and Python disagree (FC_SEED=${SEED}): ${JSON.stringify(firstMismatches)}`).toEqual([]);
  return report;
}
