import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Role, TokenService, generateKey } from '@attest/auth';
import { AttestConfig, loadConfig } from '@attest/config';
import { generateKek } from '@attest/crypto-shredding';
import { createApp } from '../../apps/api/src/bootstrap';

export interface TestApp {
  app: NestFastifyApplication;
  config: AttestConfig;
  http: () => ReturnType<typeof request>;
  /** A valid bearer token for this app: `auth('subject', 'u1')`, `auth('partner', 'p1', 'bureau')`. */
  token: (role: Role, id: string, recipientId?: string) => Promise<string>;
  /** `Authorization` header value for the same. */
  bearer: (role: Role, id: string, recipientId?: string) => Promise<string>;
  close: () => Promise<void>;
}

/**
 * A real API over a fresh embedded store in a temporary directory (real files, real HTTP
 * through Fastify's server, real token verification). `env` overrides configuration variables.
 */
export const startTestApp = async (env: Record<string, string> = {}): Promise<TestApp> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attest-e2e-'));
  const config = loadConfig({
    ATTEST_MODE: 'test',
    LOG_LEVEL: 'silent',
    ATTEST_DATA_DIR: dataDir,
    ATTEST_JWT_KEYS: generateKey('test').encoded,
    ATTEST_KEKS: generateKek('test-kek'),
    ...env,
  });
  const app = await createApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const tokens = app.get(TokenService);
  const token = (role: Role, id: string, recipientId?: string) => tokens.mint({ role, id, ...(recipientId ? { recipientId } : {}) });
  return {
    app,
    config,
    http: () => request(app.getHttpServer()),
    token,
    bearer: async (role, id, recipientId) => `Bearer ${await token(role, id, recipientId)}`,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
