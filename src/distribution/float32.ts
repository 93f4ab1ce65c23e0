// IEEE-754 single precision, emulated exactly with integers.
// libmemcached computes each server's share of the ketama continuum in C `float` arithmetic; where the exact share is a
// whole number of hash groups, float rounding can land just below it and the server gets one group (4 points) fewer.
// To place keys exactly where libmemcached does we must round the same way, and integers are the only arithmetic
// that is identical in Node and in Python (Python has no single-precision float).
import { intDiv } from '../ports/runtime';
import { DistributionError } from './errors';

/** The value mantissa * 2^exponent, with 2^23 <= mantissa < 2^24 (or mantissa 0 for zero). */
export type Float32Value = { mantissa: number; exponent: number };

const MANTISSA_MIN = 8388608; // 2^23
const MANTISSA_LIMIT = 16777216; // 2^24

/** Largest integer accepted as an operand; beyond it the scaled products below would leave the exact-integer range. */
export const FLOAT32_MAX_OPERAND = MANTISSA_LIMIT - 1;

function isOdd(n: number): boolean {
  return n - intDiv(n, 2) * 2 === 1;
}

/** numerator / denominator (both > 0) rounded to the nearest integer, ties to even, as IEEE rounding does. */
function roundHalfToEven(numerator: number, denominator: number): number {
  const quotient = intDiv(numerator, denominator);
  const twiceRemainder = (numerator - quotient * denominator) * 2;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && isOdd(quotient))) {
    return quotient + 1;
  }
  return quotient;
}

/** The float32 nearest to numerator / (denominator * 2^-exponent); numerator >= 0, denominator > 0. */
function roundRatio(numerator: number, denominator: number, exponent: number): Float32Value {
  if (numerator === 0) return { mantissa: 0, exponent: 0 };
  let n = numerator;
  let d = denominator;
  let e = exponent;
  // Scale by powers of two (exact) until the quotient has 24 significant bits.
  while (n >= d * MANTISSA_LIMIT) {
    d = d * 2;
    e = e + 1;
  }
  while (n < d * MANTISSA_MIN) {
    n = n * 2;
    e = e - 1;
  }
  const mantissa = roundHalfToEven(n, d);
  if (mantissa === MANTISSA_LIMIT) return { mantissa: MANTISSA_MIN, exponent: e + 1 };
  return { mantissa, exponent: e };
}

function requireOperand(n: number, what: string): void {
  if (n < 0 || n > FLOAT32_MAX_OPERAND) {
    throw new DistributionError(`float32 emulation: ${what} must be from 0 to 16777215`);
  }
}

/** C's `(float) numerator / (float) denominator` for integers below 2^24 (whose conversion to float is exact). */
export function float32Divide(numerator: number, denominator: number): Float32Value {
  requireOperand(numerator, 'numerator');
  requireOperand(denominator, 'denominator');
  if (denominator === 0) throw new DistributionError('float32 emulation: division by zero');
  return roundRatio(numerator, denominator, 0);
}

/** C's `x * (float) factor` for an integer factor below 2^24. */
export function float32MultiplyByInteger(x: Float32Value, factor: number): Float32Value {
  requireOperand(factor, 'factor');
  // mantissa * factor < 2^48: exact in a double and in a Python int.
  return roundRatio(x.mantissa * factor, 1, x.exponent);
}

/** x / 2^k: exact in binary floating point (no result here comes near the subnormal range). */
export function float32DivideByPowerOfTwo(x: Float32Value, k: number): Float32Value {
  if (x.mantissa === 0) return x;
  return { mantissa: x.mantissa, exponent: x.exponent - k };
}

/** C's `floor(x)` as an integer, for x >= 0. */
export function float32Floor(x: Float32Value): number {
  if (x.exponent >= 0) {
    let result = x.mantissa;
    for (let i = 0; i < x.exponent; i++) result = result * 2;
    return result;
  }
  // The mantissa has 24 bits: shifting right by 24 or more leaves nothing.
  if (x.exponent <= -24) return 0;
  let divisor = 1;
  for (let i = 0; i < -x.exponent; i++) divisor = divisor * 2;
  return intDiv(x.mantissa, divisor);
}
