import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { ConfigError, loadConfig } from '@attest/config';
import { ProjectionRunner } from '@attest/projection-runner';
import { AppModule } from '../../api/src/app.module';

/**
 * The projector: runs every projection, and nothing else (no HTTP). With PostgreSQL or
 * KurrentDB, run one projector and any number of API instances with ATTEST_PROJECTIONS=external;
 * they follow the projector's checkpoints for read-your-writes and readiness.
 *
 * On SIGTERM/SIGINT it stops taking batches, lets the batch in flight commit together with its
 * checkpoint, closes the stores and exits 0.
 */
const main = async () => {
  const config = { ...loadConfig(), projections: 'inline' as const };
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  await app.init();
  // Not Nest's enableShutdownHooks: it re-raises the signal after closing, and an orchestrator
  // should see a clean exit 0 after a graceful stop.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: finishing the batch in flight and saving checkpoints\n`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const runner = app.get(ProjectionRunner);
  process.stdout.write(`Attest projector running ${runner.names.length} projection(s) on ${config.store}: ${runner.names.join(', ')}\n`);
};

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
