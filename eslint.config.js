// ESLint (flat config) with typescript-eslint: `npm run lint`, run by .ci/run.
// Type-aware rules are left out to keep the lint fast on a 2-core CI box; tsc --strict covers types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', '**/*.d.ts', '../shared/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // `_`-prefixed parameters are deliberately unused (interface conformance).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // No `any` in protocol code (src/); tests may use it to poke at internals.
      '@typescript-eslint/no-explicit-any': 'error',
      // Flags `let done = x; for (;;) { ... }` state machines whose first value is read on some paths only.
      'no-useless-assignment': 'off',
    },
  },
  // Plain-JS helpers run by node (and code they hand to the browser with page.evaluate).
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
  // CommonJS helpers (spawned with plain node) may require().
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    // Expected output is matched literally, spaces included.
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off', 'no-regex-spaces': 'off' },
  },
);
