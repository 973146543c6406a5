import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Role, TokenService, generateKey } from '@attest/auth';
import { AttestConfig, loadConfig } from '@attest/config';
import { generateKek } from '@attest/crypto-shredding';
import { createApp } from '../../apps/api/src/bootstrap';
import { createThrowawayDatabase, ThrowawayDatabase } from './postgres';

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
 * A real API over a fresh store (real files or a real database, real HTTP through Fastify's
 * server). `env` overrides configuration variables.
 *
 * The store is the embedded one in a temporary directory, unless `ATTEST_TEST_STORE=postgres`:
 * then each app gets a throwaway PostgreSQL database (log and read models), dropped on close.
 * `npm test` runs the e2e project both ways.
 */
export const startTestApp = async (env: Record<string, string> = {}): Promise<TestApp> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attest-e2e-'));
  const testStore = process.env['ATTEST_TEST_STORE'] ?? 'sqlite';
  if (testStore !== 'sqlite' && testStore !== 'postgres') throw new Error(`ATTEST_TEST_STORE must be sqlite or postgres, not ${testStore}`);
  const database: ThrowawayDatabase | null = testStore === 'postgres' && env['ATTEST_STORE'] === undefined ? await createThrowawayDatabase('e2e') : null;
  const storeEnv: Record<string, string> = database ? { ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: database.url } : {};
  const cleanUp = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await database?.drop();
  };
  let app: NestFastifyApplication;
  let config: AttestConfig;
  try {
    config = loadConfig({
      ATTEST_MODE: 'test',
      LOG_LEVEL: 'silent',
      ATTEST_DATA_DIR: dataDir,
      ATTEST_JWT_KEYS: generateKey('test').encoded,
      ATTEST_KEKS: generateKek('test-kek'),
      // The suite runs projections on the test's event loop: a projection worker thread would
      // compile the whole module graph again under ts-node for every app. The worker mode (the
      // embedded store's default) has its own e2e spec, projection-worker.e2e-spec.ts.
      ATTEST_PROJECTIONS: 'inline',
      ...storeEnv,
      ...env,
    });
    app = await createApp(config);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    await cleanUp();
    throw error;
  }
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
      await cleanUp();
    },
  };
};
