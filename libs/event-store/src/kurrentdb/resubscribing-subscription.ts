import { BatchHandler, SubscribeOptions, Subscription } from '../adapter.port';
import { SUBSCRIPTION_BATCH_SIZE_DEFAULT, SUBSCRIPTION_BATCH_SIZE_MAX } from '../catch-up-subscription';
import { StoredEvent } from '../envelope';

/** One server subscription: events strictly after a position, until it errors or is closed. */
export interface LiveFeed {
  events: AsyncIterable<StoredEvent | null>;
  /** How many events are already buffered (a batch is delivered when this reaches 0). */
  buffered(): number;
  close(): Promise<void>;
}

export interface ResubscribeOptions {
  /** First delay after an error; doubles on each consecutive error. */
  initialDelayMs: number;
  /** The bound on the delay. */
  maxDelayMs: number;
  /** Consecutive failures (no event delivered in between) after which the subscription dies. */
  attemptsMax: number;
  log: (message: string) => void;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export const RESUBSCRIBE_DEFAULTS: Omit<ResubscribeOptions, 'log'> = { initialDelayMs: 100, maxDelayMs: 5_000, attemptsMax: 50 };

/** Delay before attempt `attempt` (1-based): exponential, bounded. */
export const backoffDelayMs = (attempt: number, options: Pick<ResubscribeOptions, 'initialDelayMs' | 'maxDelayMs'>): number =>
  Math.min(options.initialDelayMs * 2 ** Math.max(0, attempt - 1), options.maxDelayMs);

/**
 * A subscription that survives the server dropping it. The KurrentDB client does not
 * resubscribe after an error, so this does: it re-opens the feed from the last position the
 * handler finished (the checkpoint), after a bounded exponential backoff, and logs each time.
 * Events at or before the checkpoint are skipped, so a replayed tail is never delivered twice.
 * A handler error is not retried: it ends the subscription (`done` rejects), as on every store.
 */
export const resubscribingSubscription = (
  open: (afterPosition: bigint) => LiveFeed,
  options: SubscribeOptions,
  handler: BatchHandler,
  retry: ResubscribeOptions,
): Subscription => {
  const batchSize = Math.min(options.batchSizeMax ?? SUBSCRIPTION_BATCH_SIZE_DEFAULT, SUBSCRIPTION_BATCH_SIZE_MAX);
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let checkpoint = options.afterPosition;
  let stopped = false;
  let feed: LiveFeed | null = null;
  let failures = 0;

  class HandlerFailed extends Error {
    constructor(readonly original: unknown) {
      super('handler failed');
    }
  }

  const consume = async (current: LiveFeed) => {
    let batch: StoredEvent[] = [];
    const deliver = async () => {
      const events = batch;
      batch = [];
      try {
        await handler(events);
      } catch (error) {
        throw new HandlerFailed(error);
      }
      const last = events[events.length - 1];
      if (last) checkpoint = last.globalPosition;
      failures = 0;
    };
    for await (const event of current.events) {
      if (stopped) return;
      // null: the feed filtered something out; a chance to flush what is buffered.
      if (event && event.globalPosition > checkpoint && event.globalPosition > (batch[batch.length - 1]?.globalPosition ?? -1n)) batch.push(event);
      if (batch.length >= batchSize || (batch.length > 0 && current.buffered() === 0)) await deliver();
    }
    if (batch.length > 0 && !stopped) await deliver();
  };

  const run = async () => {
    while (!stopped) {
      feed = open(checkpoint);
      try {
        await consume(feed);
        if (stopped) break;
        throw new Error('the server ended the subscription');
      } catch (error) {
        if (error instanceof HandlerFailed) throw error.original;
        if (stopped) break;
        failures++;
        if (failures > retry.attemptsMax) throw error;
        const delayMs = backoffDelayMs(failures, retry);
        retry.log(`subscription to $all dropped after position ${checkpoint} (${String(error)}); resubscribing in ${delayMs} ms (attempt ${failures}/${retry.attemptsMax})`);
        await feed.close().catch(() => undefined);
        await sleep(delayMs);
      }
    }
  };

  const done = run().finally(async () => {
    await feed?.close().catch(() => undefined);
  });
  // Keep an unobserved failure from crashing the process; owners observe `done`.
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      stopped = true;
      await feed?.close().catch(() => undefined);
      await done.catch(() => undefined);
    },
  };
};
