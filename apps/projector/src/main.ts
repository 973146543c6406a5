import 'reflect-metadata';
import { createServer } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { EventStore } from '@attest/event-store';
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
/**
 * A minimal health endpoint for orchestrators (the projector has no API): `/health/live`, and
 * `/health/ready` = store reachable and every projection running within the lag bound.
 */
const serveHealth = (store: EventStore, runner: ProjectionRunner, lagMax: number, host: string, port: number) => {
  createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.url === '/health/live') return reply(200, { status: 'ok' });
    if (request.url !== '/health/ready') return reply(404, { status: 'not found' });
    store.headPosition().then(
      (head) => {
        const projections = runner.status().map((s) => ({ name: s.name, state: s.state, lagEvents: Number(head - s.position) }));
        const ready = projections.every((p) => p.state === 'running' && p.lagEvents <= lagMax);
        reply(ready ? 200 : 503, { status: ready ? 'ok' : 'error', headPosition: head.toString(), projections });
      },
      (error: unknown) => reply(503, { status: 'error', message: String(error) }),
    );
  }).listen(port, host, function (this: ReturnType<typeof createServer>) {
    const address = this.address();
    process.stdout.write(`health endpoint on http://${host}:${typeof address === 'object' && address ? address.port : port}/health/ready\n`);
  });
};

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
  if (process.env['PORT'] !== undefined) serveHealth(app.get(EventStore), runner, config.readyLagEventsMax, config.http.host, Number(process.env['PORT']));
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
