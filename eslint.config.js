// Lint rules: typescript-eslint's recommended set, and DESIGN.md's layer table as an import rule
// (scripts/eslint-layers.mjs), so "who may import whom" is checked on every `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/eslint-layers.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-output/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { layers: layersPlugin },
    rules: {
      'layers/boundaries': 'error',
      // `_name` marks a deliberately unused binding (destructured away, or a callback's slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
          caughtErrors: 'none',
        },
      ],
      // common/ui-contract.ts grows UiCalls by declaration merging, one `extends` per area.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // One spawning primitive (issue 14 item 18): execa, and runtime/host/spawn.ts for what execa
    // costs too much for or cannot do (its header says why). Types (ChildProcess) may be imported.
    // Tests keep node:child_process for now (about 25 files of fixtures and probes).
    files: ['**/*.ts'],
    ignores: ['runtime/host/spawn.ts', 'test/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        ...['node:child_process', 'child_process'].map((name) => ({
          name,
          allowTypeImports: true,
          message: 'start programs with execa, or runtime/host/spawn.ts where execa does not fit (see its header)',
        })),
      ],
    },
  },
  {
    // The apiserver handles arbitrary JSON objects whose shape its schema checks at runtime.
    files: ['cluster/apiserver/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Electron loads a sandboxed preload as CommonJS: `require('electron')` is the only way in.
    files: ['electron/preload.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-this-alias': 'off' },
  },
);
