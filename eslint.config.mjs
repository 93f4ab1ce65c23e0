// ESLint for the TypeScript of src/, codegen/, test/, bench/ and scripts/ (run by scripts/test.sh): typescript-eslint's
// recommended rules, `any` refused everywhere (the emitter and the tests type what they touch), unused names refused.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'python-out/',
      'host/',
      'extension/',
      '.run/',
      'test/codegen/fixtures/',
      'test/codegen/refusals/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
