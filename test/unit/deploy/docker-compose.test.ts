import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';
import { parseConfig } from '../../../src/config/load-config.js';

/**
 * No Docker engine runs on the development and CI machines, so docker-compose.yml is checked here:
 * its structure with a schema, and its worker config with the parser the worker itself uses.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');

const healthcheck = z.strictObject({
  test: z.union([z.string().min(1), z.array(z.string()).min(2)]),
  interval: z.string(),
  timeout: z.string(),
  retries: z.number().int().positive(),
  start_period: z.string().optional(),
});

const envFile = z.array(z.literal('deploy/dialer.env')).length(1);
const dependsOnHealthy = z.record(z.string(), z.strictObject({ condition: z.literal('service_healthy') }));

// Values that name a secret must never be set in the file itself.
const SECRET_NAME = /pass(word)?|secret|token|api.?key|credential/i;
const environment = z
  .record(z.string(), z.string())
  .refine((env) => Object.keys(env).every((name) => !SECRET_NAME.test(name)), {
    message: 'a secret is set inline in environment: use the env file',
  })
  .optional();

const dialerService = z.object({
  build: z.literal('.'),
  image: z.string(),
  env_file: envFile,
  environment,
  volumes: z.array(z.literal('./deploy/dialer.yaml:/etc/dialer/dialer.yaml:ro')).length(1),
  healthcheck,
  restart: z.literal('unless-stopped'),
});

const composeSchema = z.strictObject({
  name: z.string(),
  'x-dialer': z.unknown(),
  services: z.strictObject({
    redis: z.object({
      image: z.string().regex(/^redis:\d/),
      command: z.array(z.string()),
      env_file: envFile,
      volumes: z.array(z.string()).refine((v) => v.some((m) => m.endsWith(':/data')), 'no /data volume'),
      healthcheck,
    }),
    drachtio: z.object({
      image: z.string().regex(/^drachtio\/drachtio-server:\d+\.\d+\.\d+$/, 'pin a drachtio-server version'),
      command: z.array(z.string()),
      env_file: envFile,
      volumes: z.array(z.literal('./deploy/drachtio.conf.xml:/etc/drachtio.conf.xml:ro')),
      ports: z.array(z.string()),
      healthcheck,
    }),
    worker: dialerService.extend({
      command: z.tuple([z.literal('worker')]),
      deploy: z.strictObject({ replicas: z.literal(2) }),
      depends_on: dependsOnHealthy,
      stop_grace_period: z.string(),
    }),
    api: dialerService.extend({
      command: z.tuple([z.literal('serve')]),
      depends_on: dependsOnHealthy,
      ports: z.array(z.string().regex(/^127\.0\.0\.1:/, 'publish the API on loopback only')),
    }),
    carrier: z.object({
      profiles: z.tuple([z.literal('carrier')]),
      build: z.literal('deploy/carrier'),
      env_file: envFile,
      command: z.array(z.string()),
      volumes: z.array(z.literal('./deploy/sipp:/scenarios:ro')),
      healthcheck,
    }),
  }),
  volumes: z.strictObject({ 'redis-data': z.null() }),
});

type Compose = z.infer<typeof composeSchema>;

function loadCompose(): Compose {
  // `merge`: the dialer services share their settings through a YAML merge key (<<: *dialer).
  return composeSchema.parse(parse(read('docker-compose.yml'), { merge: true }));
}

/** `KEY=value` lines of the example env file. */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of read('deploy/dialer.env.example').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) env[match[1]] = match[2] ?? '';
  }
  return env;
}

function portIn(text: string, pattern: RegExp): number {
  const port = pattern.exec(text)?.[1];
  if (port === undefined) throw new Error(`no port matching ${pattern} in ${text}`);
  return Number(port);
}

function testText(check: { test: string | string[] }): string {
  return Array.isArray(check.test) ? check.test.join(' ') : check.test;
}

describe('docker-compose.yml', () => {
  it('has the production services with healthchecks, env files and the carrier profile', () => {
    const compose = loadCompose();
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'carrier', 'drachtio', 'redis', 'worker']);
    expect(compose.services.worker.depends_on).toHaveProperty('redis');
    expect(compose.services.worker.depends_on).toHaveProperty('drachtio');
  });

  it('runs Redis with AOF persistence and noeviction, its password from the env file', () => {
    const command = loadCompose().services.redis.command.join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--requirepass "\$\$REDIS_PASSWORD"/);
  });

  it('writes no secret inline: only variable references, and the env file is git-ignored', () => {
    const text = read('docker-compose.yml');
    for (const [name, value] of Object.entries(exampleEnv())) {
      if (SECRET_NAME.test(name)) expect(text).not.toContain(value);
    }
    expect(text).not.toMatch(/requirepass\s+(?!"\$\$)/);
    expect(read('deploy/.gitignore')).toMatch(/^\*\.env$/m);
    expect(read('.dockerignore')).toMatch(/^deploy\/\*\.env$/m);
    // drachtio-server takes its admin secret from DRACHTIO_SECRET, not from its config file.
    expect(read('deploy/drachtio.conf.xml')).not.toMatch(/secret="/);
  });

  it('mounts a worker config that parses with parseConfig, given the example env file', () => {
    const compose = loadCompose();
    const config = parseConfig(read('deploy/dialer.yaml'), {
      ...exampleEnv(),
      MEDIA_ADDRESS: '172.18.0.5',
    });
    expect(config.engine).toBe('drachtio');
    expect(config.drachtio).toMatchObject({ host: 'drachtio', secret: exampleEnv()['DRACHTIO_SECRET'] });
    expect(config.redis).toBe(exampleEnv()['REDIS_URL']);
    expect(config.redis).toContain('@redis:6379');
    expect(config.trunks[0]?.proxy).toBe('carrier:5060');

    // The ports the config names are the ones the compose file checks and publishes.
    const adminPort = portIn(read('deploy/drachtio.conf.xml'), /<admin port="(\d+)"/);
    expect(config.drachtio?.port).toBe(adminPort);
    expect(testText(compose.services.drachtio.healthcheck)).toContain(`/${adminPort}`);
    expect(testText(compose.services.worker.healthcheck)).toContain(
      `:${config.metrics?.listen?.port}/metrics`,
    );
    expect(testText(compose.services.api.healthcheck)).toContain(`:${config.api.listen.port}/healthz`);
    expect(compose.services.api.ports).toContain(
      `127.0.0.1:${config.api.listen.port}:${config.api.listen.port}`,
    );
  });

  it('says which variable is missing when the env file lacks one', () => {
    const { API_TOKEN: _unused, ...env } = exampleEnv();
    expect(() => parseConfig(read('deploy/dialer.yaml'), { ...env, MEDIA_ADDRESS: '172.18.0.5' })).toThrow(
      /API_TOKEN/,
    );
  });

  it('gives the carrier stand-in the scenario it runs', () => {
    const carrier = loadCompose().services.carrier;
    const scenario = /-sf \/scenarios\/([\w.-]+)/.exec(carrier.command.join(' '))?.[1];
    expect(scenario).toBeDefined();
    expect(existsSync(`${root}deploy/sipp/${scenario}`)).toBe(true);
    expect(existsSync(`${root}deploy/carrier/Dockerfile`)).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage on a slim Node LTS image, installs production dependencies only, runs as non-root', () => {
    const text = read('Dockerfile');
    const stages = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const image of stages) expect(image).toMatch(/^node:(20|22|24)-\w+-slim$/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/COPY --from=build \/app\/dist/);
    expect(text).not.toMatch(/^(ENV|ARG) .*(PASSWORD|SECRET|TOKEN)/im);
  });
});
