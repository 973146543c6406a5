import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { EventStore, SqliteEventStore } from '@attest/event-store';
import { ProjectionLagging, ProjectionRunner, ProjectionStatus } from '@attest/projection-runner';
import { AppModule } from '../../app.module';
import { laggingToData, ReadSide } from '../read-side';
import { FromProjectionWorker, ProjectionWorkerData, ToProjectionWorker } from './protocol';

/**
 * The projection worker thread (ATTEST_PROJECTIONS=worker, docs/adr/0021): the API's module
 * graph without HTTP, as apps/projector boots it, running every projection inline over a
 * follower view of the log. The API thread tells it how far the log is durable and hears back
 * every checkpoint; nothing here appends an event.
 */
const port = parentPort;
if (!port) throw new Error('projection-worker.main runs as a worker thread (see ProjectionWorkerHost)');
const post = (message: FromProjectionWorker) => port.postMessage(message);

const main = async () => {
  const { config } = workerData as ProjectionWorkerData;
  // Messages that arrive while the module graph boots (visible positions) are kept for after.
  const early: ToProjectionWorker[] = [];
  let handle: (message: ToProjectionWorker) => void = (message) => early.push(message);
  port.on('message', (message: ToProjectionWorker) => handle(message));

  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  const runner = app.get(ProjectionRunner);
  const readSide = app.get(ReadSide);
  const store = app.get(EventStore).adapter;
  if (!(store instanceof SqliteEventStore)) throw new Error('the projection worker follows the embedded store only');

  // Status changes, coalesced per turn of this loop: one message for every projection that moved.
  const changed = new Map<string, ProjectionStatus>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (changed.size === 0) return;
    post({ type: 'status', statuses: [...changed.values()] });
    changed.clear();
  };
  runner.onStatusChange((statuses) => {
    for (const status of statuses) changed.set(status.name, status);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });

  let stopping = false;
  handle = (message) => {
    switch (message.type) {
      case 'visible':
        store.advanceVisible(message.position);
        return;
      case 'rebuild':
        runner.rebuild(message.name).then(
          () => {
            flush();
            post({ type: 'done', id: message.id });
          },
          (error: unknown) => post({ type: 'done', id: message.id, error: error instanceof Error ? error.message : String(error) }),
        );
        return;
      case 'query': {
        const { id } = message;
        readSide.runHere(message.name, message.args, { projection: message.projection, position: message.position, timeoutMs: message.timeoutMs }).then(
          (json) => post({ type: 'answer', id, json }),
          (error: unknown) =>
            post(
              error instanceof ProjectionLagging
                ? { type: 'answer', id, lagging: laggingToData(error) }
                : { type: 'answer', id, error: error instanceof Error ? error.message : String(error) },
            ),
        );
        return;
      }
      case 'stop':
        if (stopping) return;
        stopping = true;
        // app.close(): the runner stops after each batch in flight (its checkpoint committed
        // with it), then the stores close. The port closes last, which ends this thread.
        app.close().then(
          () => {
            flush();
            port.close();
          },
          (error: unknown) => {
            process.stderr.write(`projection worker: shutdown failed: ${String(error)}\n`);
            port.close();
          },
        );
        return;
    }
  };
  for (const message of early.splice(0)) handle(message);
  post({ type: 'started', statuses: runner.status() });
};

main().catch((error: unknown) => {
  post({ type: 'start-failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  port.close();
});
