import { v7 as uuidv7 } from 'uuid';
import { EventStoreAdapter } from '../adapter.port';
import { StoredEvent } from '../envelope';
import { DuplicateEventId, InvalidEvent, WrongExpectedRevision } from '../errors';
import { EventStore } from '../event-store';
import { counted, testRegistry } from './test-events';

export interface ContractHarness {
  /** A fresh, empty store. */
  create(): Promise<EventStoreAdapter>;
  /** Called after each test with the adapter `create` returned. */
  dispose?(adapter: EventStoreAdapter): Promise<void>;
}

const actor = 'system:contract-suite';
const collect = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
};
const waitFor = async (predicate: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/**
 * The one contract suite every event-store adapter must pass (SQLite, PostgreSQL, KurrentDB).
 * It defines the port's semantics; an adapter that needs an exception here is wrong.
 */
export const eventStoreContract = (name: string, harness: ContractHarness) => {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    let adapter: EventStoreAdapter;
    let stream: (label: string) => string;

    beforeEach(async () => {
      adapter = await harness.create();
      store = new EventStore(adapter, testRegistry());
      const run = uuidv7().slice(-12);
      stream = (label) => `${label}-${run}`;
    });
    afterEach(async () => {
      if (harness.dispose) await harness.dispose(adapter);
      else await adapter.close();
    });

    describe('expected revision', () => {
      it('noStream succeeds on a new stream and fails once it exists, reporting the actual revision', async () => {
        const s = stream('a');
        const first = await store.append(s, [counted(1n)], { expectedRevision: 'noStream', actor });
        expect(first.streams[0]?.nextRevision).toBe(0n);
        const error = await store.append(s, [counted(2n)], { expectedRevision: 'noStream', actor }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ streamId: s, expected: 'noStream', actual: 0n });
        expect(await collect(store.readStream(s))).toHaveLength(1);
      });

      it('streamExists fails on a missing stream and succeeds on an existing one', async () => {
        const s = stream('b');
        const error = await store.append(s, [counted(1n)], { expectedRevision: 'streamExists', actor }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error).toMatchObject({ expected: 'streamExists', actual: 'noStream' });
        expect(await store.streamRevision(s)).toBe('noStream');
        await store.append(s, [counted(1n)], { expectedRevision: 'noStream', actor });
        const ok = await store.append(s, [counted(2n), counted(3n)], { expectedRevision: 'streamExists', actor });
        expect(ok.streams[0]?.nextRevision).toBe(2n);
      });

      it('an exact revision must equal the last revision', async () => {
        const s = stream('c');
        await store.append(s, [counted(1n), counted(2n)], { expectedRevision: 'noStream', actor });
        const stale = await store.append(s, [counted(3n)], { expectedRevision: 0n, actor }).catch((e: unknown) => e);
        expect(stale).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', expected: 0n, actual: 1n });
        const ahead = await store.append(s, [counted(3n)], { expectedRevision: 5n, actor }).catch((e: unknown) => e);
        expect(ahead).toMatchObject({ expected: 5n, actual: 1n });
        const missing = await store.append(stream('never'), [counted(3n)], { expectedRevision: 0n, actor }).catch((e: unknown) => e);
        expect(missing).toMatchObject({ expected: 0n, actual: 'noStream' });
        const ok = await store.append(s, [counted(3n)], { expectedRevision: 1n, actor });
        expect(ok.streams[0]?.nextRevision).toBe(2n);
      });

      it('any appends whatever the state', async () => {
        const s = stream('d');
        await store.append(s, [counted(1n)], { expectedRevision: 'any', actor });
        const second = await store.append(s, [counted(2n)], { expectedRevision: 'any', actor });
        expect(second.streams[0]?.nextRevision).toBe(1n);
      });

      it('only one of many concurrent appends expecting the same revision wins', async () => {
        const s = stream('race');
        await store.append(s, [counted(0n)], { expectedRevision: 'noStream', actor });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) => store.append(s, [counted(BigInt(i))], { expectedRevision: 0n, actor })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const losers = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(losers).toHaveLength(15);
        for (const loser of losers) expect(loser.reason).toBeInstanceOf(WrongExpectedRevision);
        expect(await collect(store.readStream(s))).toHaveLength(2);
      });
    });

    describe('multi-stream append', () => {
      it('writes every stream or none: one stale stream fails the whole append', async () => {
        const [a, b] = [stream('payer'), stream('payee')];
        await store.append(a, [counted(1n)], { expectedRevision: 'noStream', actor });
        const head = await store.headPosition();
        const error = await store
          .appendMulti(
            [
              { streamId: a, expectedRevision: 0n, events: [counted(-5n)] },
              { streamId: b, expectedRevision: 3n, events: [counted(5n)] },
            ],
            { actor },
          )
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ streamId: b, actual: 'noStream' });
        expect(await store.headPosition()).toBe(head);
        expect(await collect(store.readStream(a))).toHaveLength(1);
        expect(await store.streamRevision(b)).toBe('noStream');

        const ok = await store.appendMulti(
          [
            { streamId: a, expectedRevision: 0n, events: [counted(-5n)] },
            { streamId: b, expectedRevision: 'noStream', events: [counted(5n), counted(1n)] },
          ],
          { actor },
        );
        expect(ok.streams.map((r) => r.nextRevision)).toEqual([1n, 1n]);
        const all = await collect(store.readAll({ fromPosition: head + 1n }));
        expect(all.map((e) => e.streamId)).toEqual([a, b, b]);
        expect(new Set(all.map((e) => e.metadata.correlationId)).size).toBe(1);
      });

      it('rejects an invalid event before anything is written, siblings included', async () => {
        const [a, b] = [stream('valid'), stream('invalid')];
        const head = await store.headPosition();
        const error = await store
          .appendMulti(
            [
              { streamId: a, expectedRevision: 'any', events: [counted(1n)] },
              { streamId: b, expectedRevision: 'any', events: [{ type: 'TestCounted', data: { by: 1.5 } }] },
            ],
            { actor },
          )
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidEvent);
        expect((error as InvalidEvent).issues[0]?.path).toBe('data.by');
        const unknown = await store.append(a, [{ type: 'NoSuchEvent', data: {} }], { expectedRevision: 'any', actor }).catch((e: unknown) => e);
        expect(unknown).toBeInstanceOf(InvalidEvent);
        const extra = await store
          .append(a, [{ type: 'TestCounted', data: { by: 1n, sneaky: true } }], { expectedRevision: 'any', actor })
          .catch((e: unknown) => e);
        expect(extra).toBeInstanceOf(InvalidEvent);
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('reading', () => {
      it('reads a stream forwards, backwards, from a revision and with a limit', async () => {
        const s = stream('read');
        await store.append(s, Array.from({ length: 25 }, (_, i) => counted(BigInt(i))), { expectedRevision: 'noStream', actor });
        const forwards = await collect(store.readStream(s));
        expect(forwards.map((e) => (e.data as { by: bigint }).by)).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i)));
        expect(forwards.map((e) => e.streamRevision)).toEqual(Array.from({ length: 25 }, (_, i) => BigInt(i)));
        const backwards = await collect(store.readStream(s, { direction: 'backwards', limit: 3 }));
        expect(backwards.map((e) => e.streamRevision)).toEqual([24n, 23n, 22n]);
        const from = await collect(store.readStream(s, { from: 20n }));
        expect(from.map((e) => e.streamRevision)).toEqual([20n, 21n, 22n, 23n, 24n]);
        expect(await collect(store.readStream(stream('empty')))).toEqual([]);
      });

      // Past the number of page queries a store keeps prepared (the SQLite store writes each
      // limit into its SQL: see SqliteEventStore.pageQuery), every limit still reads exactly its page.
      it('reads exactly the requested page for every limit from 1 to 80, in a stream and in $all, with and without a type filter', async () => {
        const s = stream('limits');
        const start = (await store.headPosition()) + 1n;
        await store.append(s, Array.from({ length: 90 }, (_, i) => counted(BigInt(i))), { expectedRevision: 'noStream', actor });
        for (let limit = 1; limit <= 80; limit++) {
          const forwards = await collect(store.readStream(s, { from: 5n, limit }));
          expect(forwards.map((e) => e.streamRevision)).toEqual(Array.from({ length: limit }, (_, i) => BigInt(5 + i)));
          const backwards = await collect(store.readStream(s, { direction: 'backwards', limit }));
          expect(backwards.map((e) => e.streamRevision)).toEqual(Array.from({ length: limit }, (_, i) => BigInt(89 - i)));
          const all = await collect(store.readAll({ fromPosition: start, limit }));
          expect(all.map((e) => e.streamRevision)).toEqual(Array.from({ length: limit }, (_, i) => BigInt(i)));
          const typed = await collect(store.readAll({ fromPosition: start, limit, types: ['TestCounted'] }));
          expect(typed.map((e) => e.globalPosition)).toEqual(all.map((e) => e.globalPosition));
        }
      });

      it('reads all events in strictly increasing global order, from a position, with a limit', async () => {
        const start = (await store.headPosition()) + 1n;
        for (let i = 0; i < 5; i++) await store.append(stream(`o${i % 2}`), [counted(BigInt(i)), counted(BigInt(i))], { expectedRevision: 'any', actor });
        const all = await collect(store.readAll({ fromPosition: start }));
        expect(all).toHaveLength(10);
        for (let i = 1; i < all.length; i++) expect((all[i] as StoredEventLike).globalPosition > (all[i - 1] as StoredEventLike).globalPosition).toBe(true);
        const page = await collect(store.readAll({ fromPosition: (all[3] as StoredEventLike).globalPosition, limit: 4 }));
        expect(page.map((e) => e.globalPosition)).toEqual(all.slice(3, 7).map((e) => e.globalPosition));
      });

      it('upcasts an old schema version on read', async () => {
        const s = stream('old');
        await adapter.append([
          {
            streamId: s,
            expectedRevision: 'noStream',
            events: [
              {
                eventId: uuidv7(),
                type: 'TestRenamed',
                schemaVersion: 1,
                data: { title: 'legacy' },
                pii: { displayName: 'x' },
                metadata: { recordedAt: new Date().toISOString(), correlationId: uuidv7(), causationId: null, actor },
              },
            ],
          },
        ]);
        const [event] = await collect(store.readStream(s));
        expect(event).toMatchObject({ schemaVersion: 2, data: { name: 'legacy' }, pii: { displayName: 'x' } });
      });
    });

    describe('idempotent append', () => {
      it('re-appending the same event ids at the same place is a no-op that returns the original positions', async () => {
        const s = stream('idem');
        const events = [counted(1n, uuidv7()), counted(2n, uuidv7())];
        const first = await store.append(s, events, { expectedRevision: 'noStream', actor });
        const head = await store.headPosition();
        const again = await store.append(s, events, { expectedRevision: 'noStream', actor });
        expect(again.idempotentReplay).toBe(true);
        expect(again.streams[0]?.positions).toEqual(first.streams[0]?.positions);
        expect(await store.headPosition()).toBe(head);
        expect(await collect(store.readStream(s))).toHaveLength(2);
      });

      it('an event id reused elsewhere is refused', async () => {
        const id = uuidv7();
        await store.append(stream('one'), [counted(1n, id)], { expectedRevision: 'any', actor });
        const other = await store.append(stream('two'), [counted(1n, id)], { expectedRevision: 'any', actor }).catch((e: unknown) => e);
        expect(other).toBeInstanceOf(DuplicateEventId);
        const later = await store.append(stream('one'), [counted(1n), counted(2n, id)], { expectedRevision: 'any', actor }).catch((e: unknown) => e);
        expect(later).toBeInstanceOf(DuplicateEventId);
        expect(await collect(store.readStream(stream('one')))).toHaveLength(1);
      });

      it('appends made together succeed or fail each on its own: a refused one writes nothing and costs the others nothing', async () => {
        const used = uuidv7();
        await store.append(stream('taken'), [counted(0n, used)], { expectedRevision: 'noStream', actor });
        await store.append(stream('stale'), [counted(0n)], { expectedRevision: 'noStream', actor });
        // Issued in one turn, so a store that commits in groups puts them in one group.
        const outcomes = await Promise.allSettled([
          store.append(stream('first'), [counted(1n)], { expectedRevision: 'noStream', actor }),
          store.append(stream('reuse'), [counted(2n, used)], { expectedRevision: 'any', actor }),
          store.append(stream('stale'), [counted(3n)], { expectedRevision: 5n, actor }),
          // Refused at its second event, after its first was checked.
          store.append(stream('partial'), [counted(4n), counted(5n, used)], { expectedRevision: 'noStream', actor }),
          // Refused at its second stream, after its first stream's events were checked.
          store.appendMulti(
            [
              { streamId: stream('pair-a'), expectedRevision: 'noStream', events: [counted(7n)] },
              { streamId: stream('stale'), expectedRevision: 'noStream', events: [counted(8n)] },
            ],
            { actor },
          ),
          store.append(stream('last'), [counted(6n)], { expectedRevision: 'noStream', actor }),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
        const reason = (i: number) => (outcomes[i] as PromiseRejectedResult).reason as unknown;
        expect(reason(1)).toBeInstanceOf(DuplicateEventId);
        expect(reason(2)).toBeInstanceOf(WrongExpectedRevision);
        expect(reason(3)).toBeInstanceOf(DuplicateEventId);
        expect(await store.streamRevision(stream('reuse'))).toBe('noStream');
        expect(await collect(store.readStream(stream('stale')))).toHaveLength(1);
        expect(await store.streamRevision(stream('partial'))).toBe('noStream');
        expect(reason(4)).toBeInstanceOf(WrongExpectedRevision);
        expect(await store.streamRevision(stream('pair-a'))).toBe('noStream');
        for (const label of ['first', 'last']) expect(await collect(store.readStream(stream(label)))).toHaveLength(1);
        const all = await collect(store.readAll());
        expect(all.filter((e) => e.eventId === used)).toHaveLength(1);
        expect(all.map((e) => e.streamId).filter((s) => s.startsWith('first-') || s.startsWith('last-'))).toEqual([stream('first'), stream('last')]);
      });
    });

    describe('subscription', () => {
      it('catches up from a checkpoint, then goes live, delivering each event once in order', async () => {
        const s = stream('sub');
        const start = await store.headPosition();
        await store.append(s, [counted(1n), counted(2n), counted(3n)], { expectedRevision: 'noStream', actor });
        const seen: StoredEvent[] = [];
        const subscription = store.subscribeToAll({ afterPosition: start, batchSizeMax: 2 }, async (batch) => {
          seen.push(...batch);
        });
        await waitFor(() => seen.length >= 3);
        await store.append(s, [counted(4n)], { expectedRevision: 2n, actor });
        await store.append(s, [counted(5n)], { expectedRevision: 3n, actor });
        await waitFor(() => seen.length >= 5);
        await subscription.stop();
        const ours = seen.filter((e) => e.streamId === s);
        expect(ours.map((e) => e.streamRevision)).toEqual([0n, 1n, 2n, 3n, 4n]);
        expect(new Set(seen.map((e) => e.globalPosition)).size).toBe(seen.length);

        // Resuming from a checkpoint delivers what came after it, and nothing before.
        const checkpoint = ours[2]?.globalPosition ?? 0n;
        const resumed: StoredEvent[] = [];
        const again = store.subscribeToAll({ afterPosition: checkpoint }, async (batch) => {
          resumed.push(...batch);
        });
        await waitFor(() => resumed.filter((e) => e.streamId === s).length >= 2);
        await again.stop();
        expect(resumed.filter((e) => e.streamId === s).map((e) => e.streamRevision)).toEqual([3n, 4n]);
      });

      it('concurrent appenders: no lost, duplicated or out-of-order event reaches a subscriber', async () => {
        const start = await store.headPosition();
        const seen: StoredEvent[] = [];
        const subscription = store.subscribeToAll({ afterPosition: start }, async (batch) => {
          seen.push(...batch);
        });
        const callers = 64;
        const perCaller = 10;
        const shared = stream('shared');
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: callers }, async (_, c) => {
            for (let i = 0; i < perCaller; i++) {
              await store.append(stream(`caller${c}`), [counted(BigInt(i))], { expectedRevision: i === 0 ? 'noStream' : BigInt(i - 1), actor });
              // Contended stream: read, then append with the revision read; retry on conflict.
              for (let attempt = 0; ; attempt++) {
                const revision = await store.streamRevision(shared);
                try {
                  await store.append(shared, [counted(1n)], { expectedRevision: revision, actor });
                  break;
                } catch (error) {
                  if (!(error instanceof WrongExpectedRevision) || attempt > callers * perCaller) throw error;
                  conflicts++;
                }
              }
            }
          }),
        );
        const expected = callers * perCaller * 2;
        await waitFor(() => seen.length >= expected, 30_000);
        await subscription.stop();
        expect(seen).toHaveLength(expected);
        const positions = seen.map((e) => e.globalPosition);
        for (let i = 1; i < positions.length; i++) expect((positions[i] as bigint) > (positions[i - 1] as bigint)).toBe(true);
        const stored = await collect(store.readAll({ fromPosition: start + 1n }));
        expect(stored.map((e) => e.globalPosition)).toEqual(positions);
        const sharedEvents = await collect(store.readStream(shared));
        expect(sharedEvents).toHaveLength(callers * perCaller);
        expect(sharedEvents.map((e) => e.streamRevision)).toEqual(sharedEvents.map((_, i) => BigInt(i)));
        expect(conflicts).toBeGreaterThanOrEqual(0);
      }, 60_000);
    });
  });
};

type StoredEventLike = { globalPosition: bigint; streamRevision: bigint };
