import { BatchHandler, SubscribeOptions, Subscription } from './adapter.port';
import { StoredEvent } from './envelope';

export interface CatchUpSource {
  /** Events with position > `afterPosition`, in order, at most `limit`, none of them past a gap. */
  readBatch(afterPosition: bigint, limit: number): Promise<StoredEvent[]>;
  /** Called after each local commit; returns an unsubscribe function. */
  onAppended(listener: () => void): () => void;
  /** Fallback poll for writes made by other processes. */
  pollIntervalMs: number;
}

export const SUBSCRIPTION_BATCH_SIZE_DEFAULT = 1_000;
export const SUBSCRIPTION_BATCH_SIZE_MAX = 10_000;
export const SUBSCRIPTION_LINGER_MS_MAX = 100;

/**
 * Catch-up then live subscription built on ordered reads: read batches after the checkpoint
 * until the end, then sleep until a local append wakes us (or the poll interval passes, for
 * writes made by another process). Delivers each event once, in global order, and never runs
 * two handler calls at once.
 */
export const catchUpSubscription = (source: CatchUpSource, options: SubscribeOptions, handler: BatchHandler): Subscription => {
  const batchSize = Math.min(options.batchSizeMax ?? SUBSCRIPTION_BATCH_SIZE_DEFAULT, SUBSCRIPTION_BATCH_SIZE_MAX);
  const lingerMs = Math.min(options.lingerMs ?? 0, SUBSCRIPTION_LINGER_MS_MAX);
  let stopped = false;
  let woken = false;
  let wake: (() => void) | null = null;
  const unsubscribe = source.onAppended(() => {
    woken = true;
    wake?.();
  });
  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, source.pollIntervalMs);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const run = async () => {
    let after = options.afterPosition;
    try {
      while (!stopped) {
        woken = false;
        const batch = await source.readBatch(after, batchSize);
        if (stopped) break;
        if (batch.length > 0) {
          await handler(batch);
          const last = batch[batch.length - 1];
          if (last) after = last.globalPosition;
          continue;
        }
        if (!woken) await sleep();
        // Live: let appends of the next few milliseconds gather, so a busy store is projected
        // in batches (one read-model transaction for many events) instead of one by one.
        if (lingerMs > 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, lingerMs));
      }
    } finally {
      unsubscribe();
    }
  };
  const done = run();
  // Keep an unobserved failure from crashing the process; owners observe `done`.
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      stopped = true;
      wake?.();
      await done.catch(() => undefined);
    },
  };
};
