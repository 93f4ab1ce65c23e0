// The `Math` namespace. Only functions whose results are the same integers in Python are mapped.
import { REFUSED } from '../context';
import { diagnostics } from '../diagnostics';
import * as py from '../python-ast';
import { checkPower } from '../translation/power';
import { arg, refuseArity, type BuiltinModule, type GlobalMapping } from './common';

function mathFunction(name: string): GlobalMapping {
  return (call) =>
    refuseArity(call, `Math.${name}`, [1]) ?? py.call(py.attr(call.ctx.module('math'), name), [arg(call, 0)]);
}

function extreme(name: 'max' | 'min'): GlobalMapping {
  return (call) => {
    // With no argument (or an empty spread) JavaScript returns ∓Infinity and Python raises.
    if (call.args.length < 2) {
      return call.ctx.report(
        diagnostics.unsupportedBuiltin(
          call.node,
          `Math.${name}`,
          'with fewer than two arguments or a spread is not mapped (JS returns Infinity on empty input)',
          'Pass two or more arguments, or reduce an array that you know is non-empty',
        ),
      );
    }
    return py.call(
      py.name(name),
      call.args.map((_a, i) => arg(call, i)),
    );
  };
}

function refused(name: string, why: string, instead: string): GlobalMapping {
  return (call) => call.ctx.report(diagnostics.unsupportedBuiltin(call.node, `Math.${name}`, why, instead));
}

export const mathBuiltins: BuiltinModule = {
  namespaces: {
    Math: {
      calls: {
        floor: mathFunction('floor'),
        ceil: mathFunction('ceil'),
        trunc: mathFunction('trunc'),
        abs: (call) => refuseArity(call, 'Math.abs', [1]) ?? py.call(py.name('abs'), [arg(call, 0)]),
        max: extreme('max'),
        min: extreme('min'),
        pow: (call) => {
          const refused = refuseArity(call, 'Math.pow', [2]);
          if (refused !== null) return refused;
          const [base, exponent] = call.args;
          if (
            base === undefined ||
            exponent === undefined ||
            !checkPower(call.ctx, call.node, base, exponent, 'Math.pow')
          )
            return REFUSED;
          return py.binop(arg(call, 0), '**', arg(call, 1));
        },
        round: refused(
          'round',
          'rounds halves up in JavaScript and to even in Python',
          'Use Math.floor(x + 0.5) on a Float, or integer arithmetic',
        ),
        random: refused('random', 'has no reproducible Python equivalent', 'Pass randomness in from the caller'),
        imul: refused('imul', 'is a 32-bit operation', 'Use u32Mul from ./ports/runtime'),
        sqrt: refused('sqrt', 'returns a float, which is not an int', 'Use integer arithmetic'),
        sign: refused('sign', 'is not mapped', 'Compare with 0'),
        log: refused('log', 'returns a float, which is not an int', 'Use integer arithmetic'),
      },
      values: {
        PI: (ctx) => py.attr(ctx.module('math'), 'pi'),
      },
    },
  },
};
