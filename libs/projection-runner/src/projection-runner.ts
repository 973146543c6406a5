import { extname } from 'node:path';
import type { WorkerOptions } from 'node:worker_threads';
import { EventStore, RecordedEvent, StoredEvent, Subscription, SUBSCRIPTION_BATCH_SIZE_MAX } from '@attest/event-store';
import { Projection } from './projection';
import { ReadModelQueries, ReadModelStore } from './read-model-store';

export interface ProjectionStatus {
  name: string;
  version: number;
  /** Last global position whose effect is committed. */
  position: bigint;
  state: 'stopped' | 'running' | 'failed';
  error?: string;
  /** recordedAt of the last event applied (for lag in seconds). */
  lastEventAt: string | null;
}

export class ProjectionLagging extends Error {
  readonly code = 'PROJECTION_LAGGING';
  constructor(
    readonly projection: string,
    readonly wanted: bigint,
    readonly reached: bigint,
  ) {
    super(`projection ${projection} has reached ${reached}, not yet ${wanted}`);
    this.name = 'ProjectionLagging';
  }
}

/**
 * Projections run somewhere else in this process (a worker thread) that this runner drives:
 * it starts them, asks for rebuilds, stops them, and hears every status change. See
 * apps/api/src/infrastructure/projection-worker and docs/adr/0021.
 */
export interface RemoteProjections {
  /**
   * Starts them; resolves once every projection has started (caught up or not). `onStatus` hears
   * every status change; `onLost` that they stopped running unasked (the worker died).
   */
  start(onStatus: (statuses: readonly ProjectionStatus[]) => void, onLost: (reason: string) => void): Promise<void>;
  rebuild(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface Waiter {
  position: bigint;
  /** Satisfied by `Running.readable` (a reader), else only by the committed checkpoint. */
  readable: boolean;
  resolve: () => void;
}

interface Running {
  projection: Projection;
  status: ProjectionStatus;
  subscription: Subscription | null;
  waiters: Waiter[];
  /**
   * Read-your-writes position: every event up to here that this projection handles is committed
   * in the read model. At least `status.position` (the committed checkpoint); ahead of it while a
   * batch is applied whose first events (or all of them) are of types the projection ignores,
   * since those change nothing a reader can see. A reader waiting for a position need not wait
   * for the commit of a batch that has nothing for it up to that position.
   */
  readable: bigint;
}

const CHECKPOINTS_DDL = `CREATE TABLE IF NOT EXISTS projection_checkpoints (
  name TEXT PRIMARY KEY, version INTEGER NOT NULL, position BIGINT NOT NULL, updated_at TEXT NOT NULL)`;

/**
 * Events per projection batch (one read-model transaction with its checkpoint). Live batches are
 * whatever arrived since the last one; this bounds catch-up and rebuilds, where larger batches
 * mean fewer commits and fewer rewrites of the same index pages (ADR 0017: the credit-features
 * rebuild ~9–12% faster at 10,000 than at 1,000). The subscription's own cap.
 */
export const PROJECTION_BATCH_SIZE = SUBSCRIPTION_BATCH_SIZE_MAX;

/**
 * V8 young-generation size (MB) for a thread that runs projections. A batch of
 * PROJECTION_BATCH_SIZE events stays reachable until its transaction commits: ~10-15 MB of
 * envelopes and parsed data in a rebuild. V8's default young generation (48 MB, three 16 MB
 * semi-spaces on 64-bit) scavenges every few thousand events, copying the live batch each time
 * and promoting it to the old generation. With 192 MB (64 MB semi-spaces) a credit-features
 * rebuild of 1.1M events scavenged 54-55 times in 0.7-1.0 s instead of 226-234 times in 1.9-2.6 s,
 * and was 11-37% faster in 5 of 5 interleaved pairs (ADR 0017, addendum 3). Used as the projection
 * worker's `resourceLimits.maxYoungGenerationSizeMb`; a process that runs projections on its
 * main thread gets the same with `node --max-semi-space-size=64` (a third of this: V8's young
 * generation is three semi-spaces), which `npm run start:projector` passes (a unit test,
 * apps/projector/src/projector-script.spec.ts, keeps the two in step).
 */
export const PROJECTION_THREAD_YOUNG_GENERATION_MB = 192;

/**
 * Worker options for a thread that runs projections, started from the module `starter`: the
 * young generation above and, when `starter` is TypeScript (jest, ts-node), the options to load
 * TypeScript with the path aliases. Compiled, the thread inherits this process's Node options
 * (heap size, --cpu-prof, …). The API's projection worker and the rebuild benchmark's thread both
 * use it, so the benchmark runs a rebuild on the thread the API would.
 */
export const projectionThreadOptions = (starter: string): Pick<WorkerOptions, 'resourceLimits' | 'execArgv'> => ({
  resourceLimits: { maxYoungGenerationSizeMb: PROJECTION_THREAD_YOUNG_GENERATION_MB },
  ...(extname(starter) === '.ts' ? { execArgv: ['-r', require.resolve('ts-node/register/transpile-only'), '-r', require.resolve('tsconfig-paths/register')] } : {}),
});
export const WAIT_TIMEOUT_MS_MAX = 30_000;

/**
 * Feeds each registered projection from its checkpoint (catch-up, then live). For every batch
 * the read-model writes and the checkpoint commit in one transaction: exactly-once effect.
 */
export class ProjectionRunner {
  private readonly running = new Map<string, Running>();
  private onFailure: (name: string, error: unknown) => void = () => undefined;
  private readonly statusListeners = new Set<(statuses: readonly ProjectionStatus[]) => void>();
  private follower: NodeJS.Timeout | null = null;

  /**
   * `inline`: this process runs the projections (the embedded store, or the projector app).
   * `external`: another process (apps/projector) runs them; this one only follows their
   * checkpoints in the shared read-model database, for read-your-writes and health.
   * Given `remote` (a worker thread of this process runs them), the mode is `remote`: this runner
   * starts, rebuilds and stops them through it and follows the statuses it reports.
   */
  readonly mode: 'inline' | 'external' | 'remote';

  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    mode: 'inline' | 'external' = 'inline',
    private readonly followIntervalMs = 25,
    /** Live batching: wait this long after a wake-up before reading (see SubscribeOptions.lingerMs). */
    private readonly lingerMs = 0,
    private readonly remote: RemoteProjections | null = null,
  ) {
    this.mode = remote ? 'remote' : mode;
  }

  register(...projections: Projection[]): this {
    for (const projection of projections) {
      if (this.running.has(projection.name)) throw new Error(`projection ${projection.name} registered twice`);
      this.running.set(projection.name, {
        projection,
        status: { name: projection.name, version: projection.version, position: 0n, state: 'stopped', lastEventAt: null },
        subscription: null,
        waiters: [],
        readable: 0n,
      });
    }
    return this;
  }

  onProjectionFailure(listener: (name: string, error: unknown) => void): void {
    this.onFailure = listener;
  }

  /**
   * Inline: calls `listener` with the projections whose status changed (a batch applied, a start,
   * a failure), synchronously, as it happens; a projection worker forwards them to the runner
   * that drives it.
   */
  onStatusChange(listener: (statuses: readonly ProjectionStatus[]) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private changed(running: Running): void {
    if (this.statusListeners.size === 0) return;
    const status = [{ ...running.status }];
    for (const listener of this.statusListeners) listener(status);
  }

  /** Remote: the statuses the remote runner reported; wakes the waiters they satisfy. */
  private followRemote(statuses: readonly ProjectionStatus[]): void {
    for (const status of statuses) {
      const running = this.running.get(status.name);
      if (!running || status.version !== running.projection.version) continue;
      const failedNow = status.state === 'failed' && running.status.state !== 'failed';
      running.status = { ...status };
      running.readable = status.position;
      this.wake(running);
      if (failedNow) this.onFailure(status.name, new Error(status.error ?? 'failed'));
    }
  }

  /** Remote: the projections stopped running unasked; every one is failed from now on. */
  private loseRemote(reason: string): void {
    for (const running of this.running.values()) {
      const failedNow = running.status.state !== 'failed';
      running.status = { ...running.status, state: 'failed', error: reason };
      if (failedNow) this.onFailure(running.projection.name, new Error(reason));
    }
  }

  /** Resolves the waiters of `running` that its checkpoint (or, for readers, `readable`) now satisfies. */
  private wake(running: Running): void {
    const still: Waiter[] = [];
    for (const waiter of running.waiters) {
      if (waiter.position <= (waiter.readable ? running.readable : running.status.position)) waiter.resolve();
      else still.push(waiter);
    }
    running.waiters = still;
  }

  get names(): string[] {
    return [...this.running.keys()];
  }

  /** Prepares every projection (rebuilding those whose version changed) and starts them. */
  async start(names: readonly string[] = this.names): Promise<void> {
    if (this.remote) {
      await this.remote.start(
        (statuses) => this.followRemote(statuses),
        (reason) => this.loseRemote(reason),
      );
      return;
    }
    await this.readModels.exec(CHECKPOINTS_DDL);
    if (this.mode === 'external') {
      await this.follow();
      this.follower = setInterval(() => void this.follow().catch(() => undefined), this.followIntervalMs);
      this.follower.unref();
      return;
    }
    for (const name of names) await this.startOne(this.get(name));
  }

  private get(name: string): Running {
    const running = this.running.get(name);
    if (!running) throw new Error(`no projection named ${name}`);
    return running;
  }

  private async startOne(running: Running): Promise<void> {
    const { projection } = running;
    const row = await this.readModels.query.get<{ version: bigint | number; position: bigint | number | string }>(
      'SELECT version, position FROM projection_checkpoints WHERE name = ?',
      projection.name,
    );
    let position = 0n;
    if (row && Number(row.version) === projection.version) {
      position = BigInt(row.position);
      for (const ddl of this.ddlOf(projection)) await this.readModels.exec(ddl);
    } else {
      await this.reset(projection);
    }
    running.status = { ...running.status, position, state: 'running' };
    running.readable = position;
    delete running.status.error;
    const handled = projection.handles === 'all' ? 'all' : new Set(projection.handles);
    running.subscription = this.store.subscribeToAll({ afterPosition: position, batchSizeMax: PROJECTION_BATCH_SIZE, lingerMs: this.lingerMs }, async (batch) => {
      await this.applyBatch(running, handled, batch);
    });
    this.changed(running);
    running.subscription.done.catch((error: unknown) => {
      running.status = { ...running.status, state: 'failed', error: error instanceof Error ? error.message : String(error) };
      this.changed(running);
      this.onFailure(projection.name, error);
    });
  }

  private ddlOf(projection: Projection): readonly string[] {
    return typeof projection.schema === 'function' ? projection.schema(this.readModels.dialect) : projection.schema;
  }

  private async reset(projection: Projection): Promise<void> {
    await this.readModels.transaction(async (tx) => {
      for (const table of projection.tables) await tx.run(`DROP TABLE IF EXISTS ${table}`);
      await tx.run('DELETE FROM projection_checkpoints WHERE name = ?', projection.name);
    });
    for (const ddl of this.ddlOf(projection)) await this.readModels.exec(ddl);
    await this.readModels.transaction((tx) => this.saveCheckpoint(tx, projection, 0n));
  }

  private saveCheckpoint(tx: ReadModelQueries, projection: Projection, position: bigint) {
    return tx.run(
      `INSERT INTO projection_checkpoints (name, version, position, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position, updated_at = excluded.updated_at`,
      projection.name,
      projection.version,
      position,
      new Date().toISOString(),
    );
  }

  private async applyBatch(running: Running, handled: ReadonlySet<string> | 'all', batch: StoredEvent[]): Promise<void> {
    const last = batch[batch.length - 1];
    if (!last) return;
    const { projection } = running;
    // Up to just before the first event it handles, this batch changes nothing in the read
    // model: readers waiting for those positions read what is already committed.
    const events = handled === 'all' ? batch : batch.filter((event) => handled.has(event.type));
    const firstHandled = events[0];
    const unchangedUpTo = firstHandled === undefined ? last.globalPosition : firstHandled.globalPosition - 1n;
    if (unchangedUpTo > running.readable) {
      running.readable = unchangedUpTo;
      this.wake(running);
    }
    await this.readModels.transaction(async (tx) => {
      const stored = projection.input === 'stored';
      const revealPii = projection.needsPii === true;
      const input = stored ? events : await Promise.all(events.map((event) => this.store.decode<RecordedEvent>(event, { revealPii })));
      if (projection.applyBatch) {
        if (input.length > 0) await projection.applyBatch(input, tx);
      } else {
        for (const event of input) await projection.apply(event, tx);
      }
      await this.saveCheckpoint(tx, projection, last.globalPosition);
    });
    running.status.position = last.globalPosition;
    running.status.lastEventAt = last.metadata.recordedAt;
    if (last.globalPosition > running.readable) running.readable = last.globalPosition;
    this.wake(running);
    this.changed(running);
  }

  /** External mode: read every projection's committed checkpoint and wake the waiters it satisfies. */
  private async follow(): Promise<void> {
    const rows = await this.readModels.query.all<{ name: string; version: bigint | number; position: bigint | number | string; updated_at: string }>(
      'SELECT name, version, position, updated_at FROM projection_checkpoints',
    );
    for (const row of rows) {
      const running = this.running.get(row.name);
      if (!running) continue;
      const position = BigInt(row.position);
      const current = Number(row.version) === running.projection.version;
      running.status = { ...running.status, position: current ? position : 0n, state: current ? 'running' : 'stopped' };
      running.readable = running.status.position;
      if (current) this.wake(running);
    }
  }

  /**
   * Resolves once `name` has applied and committed everything up to `position` (its checkpoint
   * has reached it). Bounded: rejects with ProjectionLagging after `timeoutMs`.
   */
  waitFor(name: string, position: bigint, timeoutMs = 5_000): Promise<void> {
    return this.waitUntil(name, position, timeoutMs, false);
  }

  /**
   * Read-your-writes for a reader: resolves once `name`'s read model reads as it will at
   * `position`, i.e. every event up to there that the projection handles is committed (see
   * `Running.readable`); the checkpoint itself may still be behind. Bounded like `waitFor`.
   */
  waitUntilReadable(name: string, position: bigint, timeoutMs = 5_000): Promise<void> {
    return this.waitUntil(name, position, timeoutMs, true);
  }

  private waitUntil(name: string, position: bigint, timeoutMs: number, readable: boolean): Promise<void> {
    const running = this.get(name);
    if ((readable ? running.readable : running.status.position) >= position) return Promise.resolve();
    if (running.status.state === 'failed') return Promise.reject(new ProjectionLagging(name, position, running.status.position));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        running.waiters = running.waiters.filter((w) => w !== waiter);
        reject(new ProjectionLagging(name, position, running.status.position));
      }, Math.min(timeoutMs, WAIT_TIMEOUT_MS_MAX));
      const waiter: Waiter = {
        position,
        readable,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      running.waiters.push(waiter);
    });
  }

  statusOf(name: string): ProjectionStatus {
    return { ...this.get(name).status };
  }

  status(): ProjectionStatus[] {
    return [...this.running.values()].map((r) => ({ ...r.status }));
  }

  /**
   * Schema only, no events: creates the checkpoint table and every projection's tables. A
   * projection whose stored version differs is reset to position 0 (its old tables dropped), as
   * `start` would do, so the next start replays it. Used by `attest migrate`, which must not
   * apply events itself (the API or the projector does that).
   */
  async migrate(): Promise<Array<{ name: string; version: number; action: 'current' | 'created' | 'reset' }>> {
    await this.readModels.exec(CHECKPOINTS_DDL);
    const report: Array<{ name: string; version: number; action: 'current' | 'created' | 'reset' }> = [];
    for (const { projection } of this.running.values()) {
      const row = await this.readModels.query.get<{ version: bigint | number }>('SELECT version FROM projection_checkpoints WHERE name = ?', projection.name);
      if (row && Number(row.version) === projection.version) {
        for (const ddl of this.ddlOf(projection)) await this.readModels.exec(ddl);
        report.push({ name: projection.name, version: projection.version, action: 'current' });
      } else {
        await this.reset(projection);
        report.push({ name: projection.name, version: projection.version, action: row ? 'reset' : 'created' });
      }
    }
    return report;
  }

  /** Drops the read model and replays from position 0; resolves once restarted (not caught up). */
  async rebuild(name: string): Promise<void> {
    if (this.mode === 'external') throw new Error('rebuild runs where the projections run (the projector)');
    const running = this.get(name);
    if (this.remote) {
      await this.remote.rebuild(name);
      return;
    }
    await running.subscription?.stop();
    running.subscription = null;
    await this.reset(running.projection);
    await this.startOne(running);
  }

  /** Stops every projection after its batch in flight (checkpoint saved with it). */
  async stop(): Promise<void> {
    if (this.follower) clearInterval(this.follower);
    this.follower = null;
    if (this.remote) {
      await this.remote.stop();
      for (const running of this.running.values()) if (running.status.state === 'running') running.status.state = 'stopped';
      return;
    }
    for (const running of this.running.values()) {
      await running.subscription?.stop();
      running.subscription = null;
      if (running.status.state === 'running') running.status.state = 'stopped';
    }
  }
}
