// The configuration files the repository ships must start Vigil as they are: every source
// accepted and every family section naming sources of the right kind.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createHealthEngine } from '../../src/engine/engine.ts';
import { captureLogger, startTestApp } from '../support/app.ts';

const file = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

const DEMO_ENV = {
  VIGIL_DEMO_HASURA_SECRET: 'demo-hasura-secret',
  VIGIL_DEMO_ES_URL: 'http://127.0.0.1:9',
  VIGIL_DEMO_QDRANT_URL: 'http://127.0.0.1:9',
  VIGIL_DEMO_SFTPGO_URL: 'http://127.0.0.1:9/api/v2/status',
  VIGIL_DEMO_CONTAINER_URL: 'http://127.0.0.1:9',
  VIGIL_DEMO_ADMIN_UI_URL: 'http://127.0.0.1:9',
  VIGIL_DEMO_USER_UI_URL: 'http://127.0.0.1:9',
  VIGIL_DEMO_SCRIPTS_DIR: '/nonexistent/scripts',
  VIGIL_DEMO_MODELS_DIR: '/nonexistent/models',
  VIGIL_DEMO_IDENTITIES_DIR: '/nonexistent/identities',
};

const EXAMPLE_ENV = { PG_PASSWORD: 'pg-secret', VIGIL_JWT_SECRET: 'jwt-secret-value-0123456789abcdef', HASURA_ADMIN_SECRET: 'hasura-secret-value' };

describe('the shipped configuration files', () => {
  it.each([
    ['vigil.example.yaml', EXAMPLE_ENV],
    ['config/local.yaml', DEMO_ENV],
    ['deploy/container/vigil.yaml', {}],
  ])('%s is accepted whole: sources, and every family section at start-up', async (relative, env) => {
    const config = loadConfig({ argv: ['--config', file(relative)], env });
    expect(config.invalidSources).toEqual([]);
    const { logger } = captureLogger('silent');
    // Never started: this is about the configuration, not about reaching the sources.
    const engine = createHealthEngine({ sources: config.sources, invalidSources: [], logger });
    const app = await startTestApp({
      config: { sources: config.sources.map((source) => ({ ...source })), families: config.families },
      engine,
      logger,
      waitForSources: false,
    });
    try {
      expect(Object.keys(config.families).length).toBeGreaterThan(0);
    } finally {
      await app.close();
      await engine.stop();
    }
  });

  it('config/local.yaml names the missing variable when the demo has not set it', () => {
    const { VIGIL_DEMO_ES_URL: _unset, ...env } = DEMO_ENV;
    const config = loadConfig({ argv: ['--config', file('config/local.yaml')], env });
    expect(config.invalidSources.map((s) => s.definition.name)).toEqual(['search']);
    expect(config.invalidSources[0]?.reason).toContain('VIGIL_DEMO_ES_URL is not set');
  });
});
