import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AttestConfig } from '@attest/config';
import { EventStore, WrongExpectedRevision } from '@attest/event-store';
import {
  LOG_CHECKPOINTS_STREAM,
  LogCheckpointSigned,
  LogKeyRegistered,
  LogPublicKey,
  logPublicKeySchema,
  SignedCheckpoint,
  signedCheckpointSchema,
  signCheckpoint,
  SigningKey,
  toBase64,
} from '@attest/audit';
import { ProjectionRunner } from '@attest/projection-runner';
import { MERKLE_LOG, MerkleLogReader } from '@attest/projections/merkle-log';
import { ATTEST_CONFIG } from '../infrastructure/infrastructure.module';

export const SIGNING_KEY = Symbol('SIGNING_KEY');

/** Upper bound of events read from the checkpoint stream at start (keys + checkpoints). */
const CHECKPOINT_STREAM_READ_MAX = 1_000_000;
const APPEND_ATTEMPTS_MAX = 3;
const TICK_MS_MAX = 1_000;

/**
 * Issues signed checkpoints of the Merkle log: every `checkpointEveryEvents` new leaves, every
 * `checkpointIntervalMs` if anything new was logged, and on demand. Checkpoints are events on
 * the `log-checkpoints` stream (docs/adr/0006), appended with the stream's expected revision so two
 * issuers cannot interleave; timestamps strictly increase even if the clock steps back.
 * Issuing is serialised in-process; the stream revision guards across processes.
 */
@Injectable()
export class CheckpointService implements OnModuleDestroy {
  private readonly logger = new Logger('Checkpoints');
  private latestCheckpoint: SignedCheckpoint | null = null;
  private keys: LogPublicKey[] = [];
  private revision: bigint | 'noStream' = 'noStream';
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastIssuedAt = Date.now();

  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly reader: MerkleLogReader,
    @Inject(SIGNING_KEY) private readonly signingKey: SigningKey,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
  ) {}

  /** Loads keys and the last checkpoint, starts the cadence. */
  async start(): Promise<void> {
    await this.serialised(() => this.load());
    const tickMs = Math.min(this.config.audit.checkpointIntervalMs, TICK_MS_MAX);
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.logger.error(`checkpoint not issued: ${String(error)}`));
    }, tickMs);
    // The cadence must never keep a process alive on its own.
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.chain.catch(() => undefined);
  }

  latest(): SignedCheckpoint | null {
    return this.latestCheckpoint;
  }

  /** Every key that ever signed for this log (rotation keeps the old ones). */
  publicKeys(): LogPublicKey[] {
    return [...this.keys];
  }

  keyFor(checkpoint: SignedCheckpoint): LogPublicKey | undefined {
    return this.keys.find((k) => k.keyId === checkpoint.keyId);
  }

  /**
   * On demand: waits until the log holds every stored event, then signs its current size (or
   * returns the latest checkpoint if it already covers it).
   */
  async issueNow(): Promise<SignedCheckpoint> {
    const head = await this.store.headPosition();
    await this.runner.waitFor(MERKLE_LOG, head, this.config.readYourWritesTimeoutMs);
    return this.serialised(() => this.issue(0));
  }

  /** The latest checkpoint if it covers `leaves` leaves, else a fresh one (after catching up). */
  async covering(leaves: number): Promise<SignedCheckpoint> {
    const latest = this.latestCheckpoint;
    if (latest && latest.treeSize >= leaves) return latest;
    const issued = await this.issueNow();
    if (issued.treeSize < leaves) throw new Error(`checkpoint of ${issued.treeSize} leaves cannot cover ${leaves}`);
    return issued;
  }

  private async tick(): Promise<void> {
    const size = await this.reader.size();
    const covered = this.latestCheckpoint?.treeSize ?? 0;
    const dueByCount = size - covered >= this.config.audit.checkpointEveryEvents;
    // `+ 1`: the previous checkpoint's own event is a leaf; it alone does not call for another.
    const dueByTime = Date.now() - this.lastIssuedAt >= this.config.audit.checkpointIntervalMs && size > (this.latestCheckpoint ? covered + 1 : 0);
    if (dueByCount || dueByTime) await this.serialised(() => this.issue(0));
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async issue(attempt: number): Promise<SignedCheckpoint> {
    const size = await this.reader.size();
    const latest = this.latestCheckpoint;
    if (latest && latest.treeSize >= size) return latest;
    // The current key is registered (as an event) before its first signature; a rotated-out key
    // stays registered, so old checkpoints keep verifying.
    if (!this.keys.some((k) => k.keyId === this.signingKey.publicKey.keyId)) {
      await this.append({ type: LogKeyRegistered.type, data: this.signingKey.publicKey });
      this.keys.push(this.signingKey.publicKey);
      this.logger.log(`registered checkpoint signing key ${this.signingKey.publicKey.keyId} for ${this.config.audit.origin}`);
    }
    const root = await this.reader.root(size);
    // Strictly increasing timestamps, even across a clock step back: at least 1 ms after the last.
    const now = Date.now();
    const last = latest ? Date.parse(latest.timestamp) : 0;
    const timestamp = new Date(Math.max(now, last + 1)).toISOString();
    const checkpoint = signCheckpoint(
      { origin: this.config.audit.origin, treeSize: size, rootHash: toBase64(root), timestamp },
      this.signingKey.privateKey,
      this.signingKey.publicKey,
    );
    try {
      await this.append({ type: LogCheckpointSigned.type, data: checkpoint });
    } catch (error) {
      // Another process issued meanwhile: reload its checkpoint and try again (bounded).
      if (error instanceof WrongExpectedRevision && attempt + 1 < APPEND_ATTEMPTS_MAX) {
        await this.load();
        return this.issue(attempt + 1);
      }
      throw error;
    }
    this.latestCheckpoint = checkpoint;
    this.lastIssuedAt = now;
    return checkpoint;
  }

  private async append(event: { type: string; data: unknown }): Promise<void> {
    const result = await this.store.append(LOG_CHECKPOINTS_STREAM, [event], { expectedRevision: this.revision, actor: 'system:merkle-log' });
    const stream = result.streams[0];
    if (stream) this.revision = stream.nextRevision;
  }

  private async load(): Promise<void> {
    this.keys = [];
    this.latestCheckpoint = null;
    this.revision = 'noStream';
    for await (const event of this.store.adapter.readStream(LOG_CHECKPOINTS_STREAM, { limit: CHECKPOINT_STREAM_READ_MAX })) {
      this.revision = event.streamRevision;
      if (event.type === LogKeyRegistered.type) this.keys.push(logPublicKeySchema.parse(event.data));
      if (event.type === LogCheckpointSigned.type) this.latestCheckpoint = signedCheckpointSchema.parse(event.data);
    }
  }
}
