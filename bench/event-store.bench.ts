import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { EventStore, EventStoreAdapter, NewEvent, SqliteEventStore } from '@attest/event-store';
import { testRegistry } from '@attest/event-store/testing/test-events';
import { Projection, ProjectionRunner, SqliteReadModelStore } from '@attest/projection-runner';
import { Benchmark, BenchResult } from './lib/report';

const actor = 'system:bench';
const metadata = () => ({ recordedAt: new Date().toISOString(), correlationId: uuidv7(), causationId: null, actor });
const rawEvent = (i: number): NewEvent => ({
  eventId: uuidv7(),
  type: 'TestCounted',
  schemaVersion: 1,
  data: { by: String(i), note: 'a short note of about forty characters..' },
  pii: null,
  metadata: metadata(),
});

/** Store-neutral event-store benchmarks; `open` gives a fresh empty store. */
export const eventStoreSuite = (label: string, open: () => Promise<{ adapter: EventStoreAdapter; cleanup: () => Promise<void> }>, targets: {
  concurrent: number;
  batched: number;
  readAll?: number;
  catchUp?: number;
}): Benchmark => ({
  name: `event-store/${label}`,
  run: async (): Promise<BenchResult> => {
    const { adapter, cleanup } = await open();
    const store = new EventStore(adapter, testRegistry());
    const measurements: BenchResult['measurements'] = [];
    try {
      // 1. Concurrent single-event appends: 64 callers, each to its own stream, expected revision checked.
      const callers = 64;
      const perCaller = 800;
      let started = performance.now();
      await Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let i = 0; i < perCaller; i++) {
            await store.append(`bench-${c}`, [{ type: 'TestCounted', data: { by: BigInt(i) } }], {
              expectedRevision: i === 0 ? 'noStream' : BigInt(i - 1),
              actor,
            });
          }
        }),
      );
      let seconds = (performance.now() - started) / 1000;
      const sizes = adapter instanceof SqliteEventStore ? adapter.groupCommitSizes : [];
      const meanGroup = sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : 0;
      measurements.push({
        metric: `concurrent single-event appends (${callers} callers × ${perCaller})`,
        value: (callers * perCaller) / seconds,
        unit: 'events/s',
        target: { atLeast: targets.concurrent },
        ...(meanGroup ? { note: `mean group commit ${meanGroup.toFixed(1)} appends/transaction` } : {}),
      });

      // 2. Batched appends: 1,000 events per append.
      const batches = 300;
      // Events are built (ids, JSON) before the clock starts: this measures the store.
      const prepared = Array.from({ length: batches }, () => Array.from({ length: 1_000 }, (_, i) => rawEvent(i)));
      started = performance.now();
      for (let b = 0; b < batches; b++) {
        await adapter.append([{ streamId: `batch-${b}`, expectedRevision: 'noStream', events: prepared[b] ?? [] }]);
      }
      seconds = (performance.now() - started) / 1000;
      measurements.push({ metric: 'batched appends (1,000 events per append)', value: (batches * 1_000) / seconds, unit: 'events/s', target: { atLeast: targets.batched } });

      // 3. readAll over everything written.
      started = performance.now();
      let read = 0;
      for await (const _ of adapter.readAll()) read++;
      seconds = (performance.now() - started) / 1000;
      measurements.push({ metric: `readAll (${read.toLocaleString('en')} events, decoded envelopes)`, value: read / seconds, unit: 'events/s', ...(targets.readAll ? { target: { atLeast: targets.readAll } } : {}) });

      // 4. Projection catch-up into a SQLite read model (a per-stream counter).
      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-rm-'));
      const readModels = new SqliteReadModelStore(join(dir, 'rm.sqlite'));
      const projection: Projection = {
        name: 'bench-counter',
        version: 1,
        handles: ['TestCounted'],
        schema: ['CREATE TABLE IF NOT EXISTS counter (stream_id TEXT PRIMARY KEY, n INTEGER NOT NULL, total INTEGER NOT NULL)'],
        tables: ['counter'],
        apply: async (event, tx) => {
          await tx.run(
            'INSERT INTO counter (stream_id, n, total) VALUES (?, 1, ?) ON CONFLICT (stream_id) DO UPDATE SET n = counter.n + 1, total = counter.total + excluded.total',
            event.streamId,
            (event.data as { by: bigint }).by,
          );
        },
      };
      const runner = new ProjectionRunner(store, readModels).register(projection);
      const head = await store.headPosition();
      started = performance.now();
      await runner.start();
      await runner.waitFor('bench-counter', head, 30_000);
      seconds = (performance.now() - started) / 1000;
      await runner.stop();
      const check = await readModels.query.get<{ n: bigint }>('SELECT sum(n) AS n FROM counter');
      if (Number(check?.n) !== read) throw new Error(`catch-up counted ${check?.n}, expected ${read}`);
      await readModels.close();
      rmSync(dir, { recursive: true, force: true });
      measurements.push({ metric: `projection catch-up into SQLite read model (${read.toLocaleString('en')} events)`, value: read / seconds, unit: 'events/s', ...(targets.catchUp ? { target: { atLeast: targets.catchUp } } : {}) });
    } finally {
      await cleanup();
    }
    return {
      name: `event-store/${label}`,
      description: `Event-store port on ${label}: 64 concurrent callers appending one event each with an exact expected revision; 300 appends of 1,000 events; readAll of everything; a counter projection catching up from 0 with checkpoint and read model committed per 1,000-event batch.`,
      measurements,
    };
  },
});

export const eventStoreBenchmarks: Benchmark[] = [
  eventStoreSuite(
    'sqlite (synchronous=FULL)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'attest-bench-'));
      const adapter = new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'FULL' });
      return { adapter, cleanup: async () => { await adapter.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
    { concurrent: 20_000, batched: 200_000, readAll: 500_000, catchUp: 100_000 },
  ),
];
