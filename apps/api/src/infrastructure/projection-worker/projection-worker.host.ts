import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AttestConfig } from '@attest/config';
import { SqliteEventStore } from '@attest/event-store';
import { projectionThreadOptions, ProjectionStatus, RemoteProjections } from '@attest/projection-runner';
import { laggingFromData, ReadAfter, RemoteReadSide } from '../read-side';
import { FromProjectionWorker, ProjectionWorkerData, ToProjectionWorker } from './protocol';

/** How long a stopping worker may take to finish its batches before it is terminated. */
export const WORKER_STOP_TIMEOUT_MS = 30_000;

/**
 * Runs the projections on a worker thread of this process (ATTEST_PROJECTIONS=worker, the
 * default with the embedded store; docs/adr/0021-projections-on-a-worker-thread.md).
 *
 * The worker opens the same SQLite files: the log as a read-only follower, the read models as
 * their only writer. This thread keeps everything that answers requests: appends, decisions,
 * read-model queries (through its own read connection) and read-your-writes waits, which the
 * worker's status messages satisfy. The follower sees an event only once this thread's store has
 * made it durable (`onDurable`, after the fsync), so no projection runs ahead of the log (ADR 0018).
 *
 * If the worker dies, every projection is reported failed (readiness fails, waits are refused
 * with PROJECTION_LAGGING) and the process keeps serving what does not need them; restart it.
 */
export class ProjectionWorkerHost implements RemoteProjections, RemoteReadSide {
  private worker: Worker | null = null;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  /** Requests sent to the worker (rebuilds, queries), by id, until it answers. */
  private readonly pending = new Map<number, { resolve: (value: string | undefined) => void; reject: (error: Error) => void }>();
  private nextCall = 1;

  constructor(
    private readonly config: AttestConfig,
    private readonly store: SqliteEventStore,
  ) {}

  start(onStatus: (statuses: readonly ProjectionStatus[]) => void, onLost: (reason: string) => void): Promise<void> {
    if (this.worker) throw new Error('the projection worker is already running');
    return new Promise<void>((resolve, reject) => {
      let started = false;
      // Read and subscribe in the same turn: no durable position can fall between the two.
      const visibleUpTo = this.store.durablePosition;
      const data: ProjectionWorkerData = { config: { ...this.config, projections: 'inline', projectionWorker: { visibleUpTo } } };
      // Young generation sized for projection batches; TypeScript loaded under jest/ts-node.
      const worker = new Worker(workerEntry(), { workerData: data, ...projectionThreadOptions(__filename) });
      this.worker = worker;
      const send = (message: ToProjectionWorker) => worker.postMessage(message);
      const unsubscribe = this.store.onDurable((position) => send({ type: 'visible', position }));
      worker.on('message', (message: FromProjectionWorker) => {
        switch (message.type) {
          case 'started':
            onStatus(message.statuses);
            started = true;
            resolve();
            return;
          case 'status':
            onStatus(message.statuses);
            return;
          case 'done':
          case 'answer': {
            const call = this.pending.get(message.id);
            this.pending.delete(message.id);
            if ('json' in message) call?.resolve(message.json);
            else if ('lagging' in message) call?.reject(laggingFromData(message.lagging));
            else if (message.error !== undefined) call?.reject(new Error(message.error));
            else call?.resolve(undefined);
            return;
          }
          case 'start-failed':
            reject(new Error(`the projection worker failed to start: ${message.error}`));
            return;
        }
      });
      let failure: Error | null = null;
      worker.on('error', (error) => {
        failure = error;
      });
      this.exited = new Promise<void>((exited) => {
        worker.on('exit', (code) => {
          unsubscribe();
          this.worker = null;
          const reason = failure?.message ?? `the projection worker exited (code ${code})`;
          for (const call of this.pending.values()) call.reject(new Error(reason));
          this.pending.clear();
          if (!started) reject(failure ?? new Error(reason));
          else if (!this.stopping) onLost(reason);
          exited();
        });
      });
    });
  }

  async rebuild(name: string): Promise<void> {
    await this.request((id) => ({ type: 'rebuild', id, name }));
  }

  /** The worker thread while it runs (null before start and after exit). */
  get thread(): Worker | null {
    return this.worker;
  }

  /** Runs a read-side query on the worker, beside the read models (see ReadSide). */
  async query(name: string, args: unknown, after: ReadAfter): Promise<string> {
    const json = await this.request((id) => ({ type: 'query', id, name, args, projection: after.projection, position: after.position, timeoutMs: after.timeoutMs }));
    if (json === undefined) throw new Error(`the projection worker answered query ${name} without JSON`);
    return json;
  }

  /** Sends the request `build` makes with a fresh id; settles with the worker's answer to that id. */
  private request(build: (id: number) => ToProjectionWorker): Promise<string | undefined> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the projection worker is not running'));
    const id = this.nextCall++;
    return new Promise<string | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(build(id));
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    const message: ToProjectionWorker = { type: 'stop' };
    worker.postMessage(message);
    const timer = setTimeout(() => void worker.terminate(), WORKER_STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The worker's entry beside this file: compiled JavaScript, or TypeScript under ts-node/jest. */
const workerEntry = (): string => join(__dirname, `projection-worker.main${extname(__filename)}`);

