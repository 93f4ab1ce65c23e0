// The `JSON` namespace: refused, because JSON.stringify and json.dumps format differently (separators, escapes,
// floats); the runtime port has exact twins.
import { diagnostics } from '../diagnostics';
import type { BuiltinModule, GlobalMapping } from './common';

function useRuntime(name: string, replacement: string): GlobalMapping {
  return (call) =>
    call.ctx.report(
      diagnostics.unsupportedBuiltin(
        call.node,
        `JSON.${name}`,
        'formats or parses differently in Python (separators, escapes, numbers)',
        `Use \`${replacement}\` from ./ports/runtime`,
      ),
    );
}

export const jsonBuiltins: BuiltinModule = {
  namespaces: {
    JSON: {
      calls: {
        stringify: useRuntime('stringify', 'jsonStringify'),
        parse: useRuntime('parse', 'jsonParse'),
      },
    },
  },
};
