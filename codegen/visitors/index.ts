// The visitor table: one entry list per construct file. Adding a construct = a new file + one line here.
import type { ts } from 'ts-morph';
import type { ExpressionVisitor, StatementVisitor, VisitorTable } from '../context';
import { binaryVisitors } from './binary';
import { classVisitors } from './class';
import { compoundLiteralVisitors } from './literals-compound';
import { controlVisitors } from './control';
import { declarationVisitors } from './declarations';
import { expressionStatementVisitors } from './expression-statement';
import { functionVisitors } from './function';
import { identifierVisitors } from './identifier';
import { literalVisitors } from './literals';
import { loopVisitors } from './loops';
import { memberVisitors } from './member';
import { moduleVisitors } from './modules';
import type { VisitorEntries } from '../visitor-entries';
import { switchVisitors } from './switch';
import { templateVisitors } from './template';
import { unaryVisitors } from './unary';
import { variableVisitors } from './variable';
import { wrapperVisitors } from './wrappers';

const ALL: readonly VisitorEntries[] = [
  identifierVisitors,
  literalVisitors,
  templateVisitors,
  compoundLiteralVisitors,
  binaryVisitors,
  unaryVisitors,
  memberVisitors,
  wrapperVisitors,
  functionVisitors,
  classVisitors,
  declarationVisitors,
  moduleVisitors,
  variableVisitors,
  expressionStatementVisitors,
  controlVisitors,
  loopVisitors,
  switchVisitors,
];

export function createVisitorTable(): VisitorTable {
  const expressions = new Map<ts.SyntaxKind, ExpressionVisitor>();
  const statements = new Map<ts.SyntaxKind, StatementVisitor>();
  for (const entries of ALL) {
    for (const [kind, visitor] of entries.expressions ?? []) {
      if (expressions.has(kind)) throw new Error(`two expression visitors for syntax kind ${kind}`);
      expressions.set(kind, visitor);
    }
    for (const [kind, visitor] of entries.statements ?? []) {
      if (statements.has(kind)) throw new Error(`two statement visitors for syntax kind ${kind}`);
      statements.set(kind, visitor);
    }
  }
  return { expressions, statements };
}
