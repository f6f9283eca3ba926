/**
 * Import rules, checked by `npm run lint` (dependency-cruiser). Type-only imports count: a cycle
 * through types still ties the files together.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles (the developers guide).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'better-sqlite3-only-in-storage-sqlite',
      severity: 'error',
      comment: 'Only src/storage/sqlite/ talks to SQLite; everything else goes through the Store contract.',
      from: { pathNot: '^src/storage/sqlite/' },
      // node_modules may be a symlink: match the package wherever it resolves.
      to: { path: '(^|/)node_modules/(@types/)?better-sqlite3/' },
    },
    {
      name: 'storage-sqlite-only-from-storage',
      severity: 'error',
      comment:
        'The app uses the Store contract (src/storage/contract) and opens a store with src/storage/open-store.ts; ' +
        'only tests construct the SQLite store directly.',
      from: { path: '^(src|bench|dashboard/src)/', pathNot: ['^src/storage/', '[.]test[.]tsx?$'] },
      to: { path: '^src/storage/sqlite/' },
    },
    {
      name: 'dashboard-no-zod-schemas',
      severity: 'error',
      comment:
        'The dashboard imports only types from the zod schema modules (src/shared/*-schemas.ts): a value from one ' +
        'bundled zod and its OpenAPI extension (~390 KB, 91 KB gzipped) into the Settings and Workers screens. ' +
        'Plain constants live in zod-free modules (notify-events.ts, worker-values.ts).',
      from: { path: '^dashboard/src/' },
      to: { path: '^src/shared/.*-schemas[.]ts$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
  },
};
