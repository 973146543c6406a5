import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AttestConfig, loadConfig } from '@attest/config';
import { createApp } from '../../apps/api/src/bootstrap';

export interface TestApp {
  app: NestFastifyApplication;
  config: AttestConfig;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

/**
 * A real API over a fresh embedded store in a temporary directory (real files, real HTTP
 * through Fastify's server). `env` overrides configuration variables.
 */
export const startTestApp = async (env: Record<string, string> = {}): Promise<TestApp> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attest-e2e-'));
  const config = loadConfig({ ATTEST_MODE: 'test', LOG_LEVEL: 'silent', ATTEST_DATA_DIR: dataDir, ...env });
  const app = await createApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    config,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
