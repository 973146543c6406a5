import { existsSync } from 'node:fs';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AttestConfig } from '@attest/config';
import { AppModule } from '../../../api/src/app.module';
import { UsageError } from '../cli-exit';

/**
 * Boots the API's module graph without HTTP, exactly as apps/projector does, so that a command
 * sees the same event registry, stores and projections as the API and cannot drift from it.
 *
 * `projections`: `inline` runs them here (rebuild); `external` only reads their committed
 * checkpoints (status, migrate) and applies no event.
 */
export const withAppContext = async <T>(
  config: AttestConfig,
  projections: 'inline' | 'external',
  body: (app: INestApplicationContext) => Promise<T>,
): Promise<T> => {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ ...config, projections }), { logger: false, abortOnError: false });
  try {
    return await body(app);
  } finally {
    await app.close();
  }
};

/** For commands that read an existing embedded store: refuse to create an empty one by accident. */
export const requireExistingStore = (config: AttestConfig): void => {
  if (config.store === 'sqlite' && !existsSync(config.sqlite.eventsPath)) throw new UsageError(`no event store at ${config.sqlite.eventsPath} (run \`attest migrate\` or start the API first)`);
};
