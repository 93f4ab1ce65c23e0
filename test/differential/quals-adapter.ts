// Node side of test/differential/quals.test.ts: the same JSON triples as Qual objects of the host port.
import { Qual, type HostValue, type QualOperator } from '../../src/ports/host';
import { lookupKeys } from '../../src/quals';

export type QualTriple = [string, QualOperator, HostValue];

export function lookupKeysOf(triples: QualTriple[], keyColumn: string): string[] | null {
  return lookupKeys(
    triples.map(([field, operator, value]) => new Qual(field, operator, value)),
    keyColumn,
  );
}
