import { RecordedEvent, StoredEvent } from '@attest/event-store';
import { ReadModelQueries, ReadModelStore } from './read-model-store';

/**
 * A projection: name + version + the event types it handles + a handler that writes its read
 * model. The runner commits the handler's writes and the checkpoint in one transaction, so each
 * event takes effect exactly once. Raising `version` drops `tables` and rebuilds from position 0.
 *
 * Rules (STYLE §7): never throw on an event of a handled type; be idempotent; keep everything
 * the read model needs in the read model (no reads of the event store from `apply`).
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  /** Event types handled, or 'all' (the Merkle log takes every event). */
  readonly handles: readonly string[] | 'all';
  /**
   * 'decoded' (default): `apply` gets the domain event (bigint money, upcast). 'stored': it gets
   * the event exactly as stored (JSON, encrypted pii) — what the Merkle log hashes.
   */
  readonly input?: 'decoded' | 'stored';
  /**
   * Decoded input only: true to receive personal-data sections decrypted. Default false — the
   * section reads `{ withheld: true }`, nothing is decrypted, and read models stay free of
   * personal data (so an erasure never has to purge them).
   */
  readonly needsPii?: boolean;
  /** DDL run before the first event and after a reset (use IF NOT EXISTS). */
  readonly schema: readonly string[] | ((dialect: ReadModelStore['dialect']) => readonly string[]);
  /** Tables dropped when the projection is rebuilt. */
  readonly tables: readonly string[];
  apply(event: RecordedEvent | StoredEvent, tx: ReadModelQueries): Promise<void>;
  /**
   * Optional: the handled events of one batch at once, in order, inside the batch's transaction
   * (the runner then calls this instead of `apply`). Must have the same effect as `apply` on each
   * event in turn; it exists for projections whose per-event cost is dominated by round trips
   * (the Merkle log writes its nodes in multi-row inserts).
   */
  applyBatch?(events: ReadonlyArray<RecordedEvent | StoredEvent>, tx: ReadModelQueries): Promise<void>;
}
