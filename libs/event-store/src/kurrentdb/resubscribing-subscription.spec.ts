import { StoredEvent } from '../envelope';
import { backoffDelayMs, LiveFeed, resubscribingSubscription } from './resubscribing-subscription';

const event = (position: bigint): StoredEvent => ({
  eventId: `e${position}`,
  streamId: 's',
  streamRevision: position,
  globalPosition: position,
  type: 'TestCounted',
  schemaVersion: 1,
  data: {},
  pii: null,
  metadata: { recordedAt: '2026-01-01T00:00:00.000Z', correlationId: 'c', causationId: null, actor: 'a' },
});

/** A fake server: each opening serves the log after the position asked for, then fails or idles. */
const fakeServer = (log: StoredEvent[], script: Array<{ serve: number; then: 'fail' | 'idle' }>) => {
  const opened: bigint[] = [];
  const open = (after: bigint): LiveFeed => {
    const step = script[opened.length] ?? { serve: Number.POSITIVE_INFINITY, then: 'idle' as const };
    opened.push(after);
    let closed = false;
    let wake: () => void = () => undefined;
    // Resending from an earlier position than asked: the subscription must drop the overlap.
    const pending = log.filter((e) => e.globalPosition > after - 1n).slice(0, step.serve + 1);
    async function* events() {
      for (const e of pending) yield e;
      if (step.then === 'fail') throw new Error('connection reset');
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (closed) resolve();
      });
    }
    return {
      events: events(),
      buffered: () => 0,
      close: async () => {
        closed = true;
        wake();
      },
    };
  };
  return { open, opened };
};

describe('resubscribing subscription (KurrentDB $all)', () => {
  it('resubscribes from the last checkpoint after errors, delivering every event exactly once, in order', async () => {
    const log = Array.from({ length: 10 }, (_, i) => event(BigInt((i + 1) * 10)));
    const server = fakeServer(log, [
      { serve: 3, then: 'fail' },
      { serve: 2, then: 'fail' },
      { serve: 0, then: 'fail' },
    ]);
    const messages: string[] = [];
    const delays: number[] = [];
    const seen: bigint[] = [];
    const subscription = resubscribingSubscription(
      server.open,
      { afterPosition: 0n },
      async (batch) => {
        seen.push(...batch.map((e) => e.globalPosition));
      },
      { initialDelayMs: 100, maxDelayMs: 150, attemptsMax: 5, log: (m) => messages.push(m), sleep: async (ms) => void delays.push(ms) },
    );
    const deadline = Date.now() + 2_000;
    while (seen.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await subscription.stop();
    expect(seen).toEqual(log.map((e) => e.globalPosition));
    expect(server.opened[0]).toBe(0n);
    expect(server.opened.slice(1)).toEqual([40n, 60n, 60n]);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/dropped after position 40 .*connection reset.*resubscribing in 100 ms/);
    // Backoff grows (a failure with nothing new delivered) and stays within the bound.
    expect(delays).toEqual([100, 100, 150]);
  });

  it('gives up after attemptsMax consecutive failures, and a handler error ends it without retry', async () => {
    const server = fakeServer([], Array.from({ length: 10 }, () => ({ serve: 0, then: 'fail' as const })));
    const dead = resubscribingSubscription(server.open, { afterPosition: 0n }, async () => undefined, {
      initialDelayMs: 1,
      maxDelayMs: 1,
      attemptsMax: 3,
      log: () => undefined,
      sleep: async () => undefined,
    });
    await expect(dead.done).rejects.toThrow('connection reset');
    expect(server.opened).toHaveLength(4);

    const healthy = fakeServer([event(1n)], []);
    const failing = resubscribingSubscription(healthy.open, { afterPosition: 0n }, async () => { throw new Error('projection bug'); }, {
      initialDelayMs: 1,
      maxDelayMs: 1,
      attemptsMax: 3,
      log: () => undefined,
    });
    await expect(failing.done).rejects.toThrow('projection bug');
    expect(healthy.opened).toHaveLength(1);
  });

  it('bounds the backoff delay', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 5_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((a) => backoffDelayMs(a, options))).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });
});
