/* global module */
// The layout the build enforces (`npm run lint`). docs/architecture.md draws the same arrows.
// Allowed, bottom to top:
//   kernel  ←  config, log, numbers, redis  ←  sip, media, compliance  ←  jobs  ←  workers, and
//   beside them the observers (results, callbacks, metrics)  ←  cli, api, demo
// The worker and its observers know only the call lifecycle events (src/jobs); the edges wire
// them together.
// A folder is entered only through its index.ts. Everything not allowed below is forbidden.
const folder = (names) => `^src/(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'folder-door',
      comment: 'Another folder is entered only through its index.ts: its inner files are its own to change.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.[jt]s$'] },
    },
    {
      name: 'package-door',
      comment: 'The package root exports from folder doors only.',
      severity: 'error',
      from: { path: '^src/index\\.[jt]s$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/[^/]+/index\\.[jt]s$' },
    },
    {
      name: 'engines-are-independent',
      comment: 'Each SIP engine stands alone; what both need lives in src/sip/.',
      severity: 'error',
      from: { path: '^src/sip/(embedded|drachtio)/' },
      to: { path: '^src/sip/(embedded|drachtio)/', pathNot: '^src/sip/$1/' },
    },
    {
      name: 'kernel-depends-on-nothing',
      severity: 'error',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'config-depends-on-nothing-above',
      severity: 'error',
      from: { path: folder(['config', 'log']) },
      to: { path: '^src/', pathNot: folder(['kernel', 'config', 'log']) },
    },
    {
      name: 'numbers-are-pure',
      comment: 'Normalising a number needs no network, no queue and no SIP.',
      severity: 'error',
      from: { path: '^src/numbers/' },
      to: {
        path: ['^src/', '^(ioredis|bullmq|node:net|node:dgram|node:http)$'],
        pathNot: folder(['kernel', 'numbers']),
      },
    },
    {
      name: 'sip-knows-no-queue',
      severity: 'error',
      from: { path: '^src/sip/' },
      to: {
        path: ['^src/', '^(bullmq|ioredis)$'],
        pathNot: folder(['kernel', 'config', 'log', 'sip']),
      },
    },
    {
      name: 'media-knows-no-queue',
      severity: 'error',
      from: { path: '^src/media/' },
      to: { path: ['^src/', '^(bullmq|ioredis)$'], pathNot: folder(['kernel', 'config', 'log', 'media']) },
    },
    {
      name: 'jobs-know-no-wire-format',
      comment: 'Jobs, outcomes and campaigns are data; SIP and RTP are the workers’ business.',
      severity: 'error',
      from: { path: folder(['jobs', 'compliance', 'results']) },
      to: { path: folder(['sip', 'media', 'workers', 'callbacks', 'metrics', 'cli', 'api', 'demo']) },
    },
    {
      name: 'observers-below-workers',
      comment:
        'Callbacks and metrics observe call lifecycle events (src/jobs); they never reach into the worker.',
      severity: 'error',
      from: { path: folder(['callbacks', 'metrics', 'redis']) },
      to: { path: folder(['workers', 'cli', 'api', 'demo']) },
    },
    {
      name: 'workers-know-no-observers',
      comment:
        'The worker emits call lifecycle events; callbacks and metrics are handed to it as observers by the composition root (src/cli/start-worker-process.ts).',
      severity: 'error',
      from: { path: folder(['workers']) },
      to: { path: folder(['callbacks', 'metrics', 'results']) },
    },
    {
      name: 'ioredis-only-in-redis',
      comment:
        'Connections are made in one place (src/redis/create-redis-connection.ts), so a Sentinel or cluster config reaches every one; elsewhere a connection is a RedisConnection.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/redis/' },
      to: { path: ['^ioredis$', '(^|/)node_modules/ioredis/'] },
    },
    {
      name: 'workers-below-the-edges',
      severity: 'error',
      from: { path: folder(['workers']) },
      to: { path: folder(['cli', 'api', 'demo']) },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
