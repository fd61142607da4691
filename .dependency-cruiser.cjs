/** Module boundaries of docs/architecture.md §1, checked on every `npm test`. */
module.exports = {
  forbidden: [
    {
      name: 'module-public-api-only',
      comment:
        'A module reaches another module only through its index.ts, or its messages.ts: the message contracts two modules may each need of the other (orders and shipping do), which an import of index.ts would make a cycle.',
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$', '^src/modules/[^/]+/messages\\.ts$'] },
    },
    {
      name: 'platform-not-to-modules',
      comment: 'The platform serves every module and knows none of them.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'platform-self-contained',
      comment: 'The platform is a library the app is built on: it imports nothing of the app (config, modules, commands).',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'http-knows-no-extension',
      comment: 'The HTTP edge is extended (idempotency) through RouteExtension; it imports none of its extensions.',
      severity: 'error',
      from: { path: '^src/platform/http/' },
      to: { path: '^src/platform/idempotency/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
