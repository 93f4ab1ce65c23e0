// Exponentiation (`**`, `**=`, `Math.pow`): one check shared by the binary visitor, the assignment visitor and the
// Math builtins. JavaScript computes a double, so a power past 2^53 rounds (3 ** 40), while Python's int power is
// exact; only integer literals whose power is a safe integer mean the same on both sides.
import { ts } from 'ts-morph';
import type { Context } from '../context';
import { diagnostics } from '../diagnostics';
import { integerLiteralValue } from '../syntax';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Whether `base ** exponent` means the same in both languages; reports PY1051 when not (a computed operand can reach 2^53 from small values). */
export function checkPower(
  ctx: Context,
  node: ts.Node,
  base: ts.Expression,
  exponent: ts.Expression,
  op: string,
): boolean {
  const b = integerLiteralValue(base);
  const e = integerLiteralValue(exponent);
  if (b === undefined || e === undefined) {
    ctx.report(
      diagnostics.power(
        node,
        `\`${op}\` of a computed operand rounds past 2^53 in JavaScript but is exact in Python (3 ** 40)`,
      ),
    );
    return false;
  }
  if (e < 0n) {
    ctx.report(
      diagnostics.power(
        node,
        `\`${node.getText()}\` has a negative exponent, so it is a fraction, and \`number\` is a Python int here`,
      ),
    );
    return false;
  }
  if (b >= -1n && b <= 1n) return true;
  // |b| >= 2: at most 53 multiplications before the bound is passed, however large the literal exponent.
  let power = 1n;
  for (let i = 0n; i < e; i++) {
    power *= b;
    if (power > MAX_SAFE || power < -MAX_SAFE) {
      ctx.report(
        diagnostics.power(
          node,
          `\`${node.getText()}\` is beyond ±(2^53-1), past which JavaScript numbers stop being exact integers`,
        ),
      );
      return false;
    }
  }
  return true;
}
