// Lint: typescript-eslint's recommended rules plus Riffle's layering rule (DESIGN.md, "Layout"):
// folders import each other only through index.ts, and dependencies point one way.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layering from './scripts/eslint-layering.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', '.riffle/**', 'dist/**', 'console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { riffle: layering },
    rules: {
      'riffle/layering': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
