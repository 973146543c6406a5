import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { generateKey } from '@attest/auth';
import { loadConfig } from '@attest/config';
import { generateKek } from '@attest/crypto-shredding';
import { EventRegistry } from '@attest/event-store';
import { AppModule } from '../apps/api/src/app.module';
import { catalogueRegistry } from './event-catalogue';

describe('event catalogue coverage', () => {
  it('lists exactly the event types the API registers (a new domain must add its list to scripts/event-catalogue.ts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attest-catalogue-'));
    // Only the registry is read: projections inline, not on a worker thread that would compile the
    // module graph again under ts-node (seconds, past jest's timeout on a loaded machine).
    const config = loadConfig({
      ATTEST_MODE: 'test',
      LOG_LEVEL: 'silent',
      ATTEST_DATA_DIR: dir,
      ATTEST_JWT_KEYS: generateKey('t').encoded,
      ATTEST_KEKS: generateKek('k'),
      ATTEST_PROJECTIONS: 'inline',
    });
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: false });
    try {
      const registered = app.get(EventRegistry).all().map((d) => d.type).sort();
      expect(catalogueRegistry().all().map((d) => d.type).sort()).toEqual(registered);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
