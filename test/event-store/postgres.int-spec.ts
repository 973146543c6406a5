import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { DuplicateEventId, EventStore, NewEvent, PostgresEventStore, StoredEvent, toSetWire, WrongExpectedRevision } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/postgres';

/**
 * PostgreSQL-specific guarantees the shared contract cannot express: no reader skips an event
 * whose transaction commits late (the in-flight gap), several processes never both win a
 * stream, subscriptions are woken by NOTIFY and survive a dropped LISTEN connection.
 */
const actor = 'system:postgres-spec';
const waitFor = async (predicate: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rawEvent = (by: number): NewEvent => ({
  eventId: uuidv7(),
  type: 'TestCounted',
  schemaVersion: 1,
  data: { by: String(by) },
  pii: null,
  metadata: { recordedAt: new Date().toISOString(), correlationId: uuidv7(), causationId: null, actor },
});

describe('postgres event store', () => {
  let database: ThrowawayDatabase;
  let schemaCounter = 0;
  let schema: string;
  const opened: PostgresEventStore[] = [];
  const open = async (options: { pollIntervalMs?: number } = {}) => {
    const adapter = await PostgresEventStore.open({ connectionString: database.url, schema, pollIntervalMs: options.pollIntervalMs ?? 50, onWarning: () => undefined });
    opened.push(adapter);
    return adapter;
  };

  beforeAll(async () => {
    database = await createThrowawayDatabase('pgspec');
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(() => {
    schema = `spec_${schemaCounter++}`;
  });
  afterEach(async () => {
    for (const adapter of opened.splice(0)) await adapter.close();
  });

  it('a transaction committing late is never skipped: every event reaches the subscriber once, in order', async () => {
    const first = await open();
    const second = await open(); // another pool: stands for another API process
    const seen: StoredEvent[] = [];
    const subscription = first.subscribeToAll({ afterPosition: 0n }, async (batch) => {
      seen.push(...batch);
    });

    // A raw connection goes down the same insert path and keeps its transaction open.
    const raw = new Client({ connectionString: database.url });
    await raw.connect();
    await raw.query('BEGIN');
    const wire = toSetWire([[{ streamId: 'held', expectedRevision: 'noStream', events: [rawEvent(0)] }]]);
    const held = await raw.query<{ results: Array<{ ok: boolean; streams: Array<{ f: string }> }> }>(
      `SELECT "${schema}".append_set($1::json, $2::json) AS results`,
      [wire.heads, wire.events],
    );
    const heldPosition = BigInt(held.rows[0]?.results[0]?.streams[0]?.f ?? '-1');
    expect(held.rows[0]?.results[0]?.ok).toBe(true);

    // Meanwhile both "processes" append; none of this may become visible ahead of the held event.
    const others = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? first : second).append([{ streamId: `other-${i}`, expectedRevision: 'noStream', events: [rawEvent(i + 1)] }]),
    );
    await sleep(400);
    expect(seen.filter((e) => e.globalPosition > heldPosition)).toEqual([]);

    await raw.query('COMMIT');
    await raw.end();
    const results = await Promise.all(others);
    await waitFor(() => seen.length >= 21);
    await sleep(200); // a duplicate delivery would arrive here
    await subscription.stop();

    expect(seen).toHaveLength(21);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(21);
    expect(seen[0]?.streamId).toBe('held');
    for (let i = 1; i < seen.length; i++) expect((seen[i] as StoredEvent).globalPosition > (seen[i - 1] as StoredEvent).globalPosition).toBe(true);
    const all: StoredEvent[] = [];
    for await (const event of first.readAll()) all.push(event);
    expect(all.map((e) => e.eventId)).toEqual(seen.map((e) => e.eventId));
    for (const result of results) expect(result.lastPosition > heldPosition).toBe(true);
  });

  it('two independent pools appending to one stream with the same expected revision: exactly one wins, every round', async () => {
    const storeA = new EventStore(await open(), testRegistry());
    const storeB = new EventStore(await open(), testRegistry());
    await storeA.append('contested', [counted(0n)], { expectedRevision: 'noStream', actor });
    for (let round = 0; round < 25; round++) {
      const expected = BigInt(round);
      const outcomes = await Promise.allSettled([
        storeA.append('contested', [counted(1n)], { expectedRevision: expected, actor }),
        storeB.append('contested', [counted(2n)], { expectedRevision: expected, actor }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const loser = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(loser?.reason).toBeInstanceOf(WrongExpectedRevision);
      expect(loser?.reason).toMatchObject({ expected, actual: expected + 1n });
    }
    expect(await storeB.streamRevision('contested')).toBe(25n);
    const revisions: bigint[] = [];
    for await (const event of storeA.readStream('contested')) revisions.push(event.streamRevision);
    expect(revisions).toEqual(Array.from({ length: 26 }, (_, i) => BigInt(i)));
  });

  it('one group commit: a conflict and a reused event id fail only their own appends, whatever path the group takes', async () => {
    const adapter = await open();
    await adapter.append([{ streamId: 'taken', expectedRevision: 'noStream', events: [rawEvent(0)] }]);
    const reused = rawEvent(1);
    await adapter.append([{ streamId: 'first-owner', expectedRevision: 'noStream', events: [reused] }]);
    const groupsBefore = adapter.groupCommitSizes.length;
    // Queued in one event-loop turn: one group. Without the reused id the set-based insert takes
    // it whole; with it, that insert is undone and the group goes append by append.
    const cleanGroup = await Promise.allSettled([
      adapter.append([{ streamId: 'g-a', expectedRevision: 'noStream', events: [rawEvent(2), rawEvent(3)] }]),
      adapter.append([{ streamId: 'taken', expectedRevision: 'noStream', events: [rawEvent(4)] }]),
      adapter.append([
        { streamId: 'g-b', expectedRevision: 'noStream', events: [rawEvent(5)] },
        { streamId: 'g-a', expectedRevision: 'any', events: [rawEvent(6)] },
      ]),
      adapter.append([{ streamId: 'g-a', expectedRevision: 2n, events: [rawEvent(7)] }]),
    ]);
    const mixedGroup = await Promise.allSettled([
      adapter.append([{ streamId: 'h-a', expectedRevision: 'noStream', events: [rawEvent(8)] }]),
      adapter.append([{ streamId: 'h-b', expectedRevision: 'noStream', events: [rawEvent(9), reused] }]),
      adapter.append([{ streamId: 'h-a', expectedRevision: 0n, events: [rawEvent(10)] }]),
    ]);
    expect(adapter.groupCommitSizes.slice(groupsBefore)).toEqual([4, 3]);

    expect(cleanGroup.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((cleanGroup[1] as PromiseRejectedResult).reason).toMatchObject({ streamId: 'taken', expected: 'noStream', actual: 0n });
    const [first, , multi, last] = cleanGroup.map((o) => (o.status === 'fulfilled' ? o.value : null));
    expect(first?.streams.map((s) => s.nextRevision)).toEqual([1n]);
    expect(multi?.streams.map((s) => [s.streamId, s.nextRevision])).toEqual([['g-b', 0n], ['g-a', 2n]]);
    expect(last?.streams[0]?.nextRevision).toBe(3n);

    expect(mixedGroup.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((mixedGroup[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventId);
    expect(await adapter.streamRevision('h-b')).toBe('noStream');
    expect(await adapter.streamRevision('h-a')).toBe(1n);

    // Every reported position is where the event is stored.
    const stored = new Map<string, bigint>();
    for await (const event of adapter.readAll()) stored.set(`${event.streamId}@${event.streamRevision}`, event.globalPosition);
    for (const outcome of [...cleanGroup, ...mixedGroup]) {
      if (outcome.status !== 'fulfilled') continue;
      for (const stream of outcome.value.streams) {
        const firstRevision = stream.nextRevision - BigInt(stream.positions.length) + 1n;
        stream.positions.forEach((position, i) => expect(stored.get(`${stream.streamId}@${firstRevision + BigInt(i)}`)).toBe(position));
      }
    }
    expect([...stored.keys()].filter((key) => key.startsWith('g-a@'))).toEqual(['g-a@0', 'g-a@1', 'g-a@2', 'g-a@3']);
  });

  it('append_set decides revision conflicts itself, in order within the group, and hands retries back to append_batch', async () => {
    const adapter = await open();
    await adapter.append([{ streamId: 'x', expectedRevision: 'noStream', events: [rawEvent(0)] }]);
    const raw = new Client({ connectionString: database.url });
    await raw.connect();
    const call = async (group: Parameters<typeof toSetWire>[0]) => {
      const wire = toSetWire(group);
      const result = await raw.query<{ results: unknown }>(`SELECT "${schema}".append_set($1::json, $2::json) AS results`, [wire.heads, wire.events]);
      return result.rows[0]?.results;
    };
    const retried = rawEvent(1);
    const results = await call([
      [{ streamId: 'x', expectedRevision: 0n, events: [retried, rawEvent(2)] }],
      [{ streamId: 'x', expectedRevision: 0n, events: [rawEvent(3)] }],
      [{ streamId: 'y', expectedRevision: 'noStream', events: [rawEvent(4)] }, { streamId: 'x', expectedRevision: 2n, events: [rawEvent(5)] }],
    ]);
    expect(results).toMatchObject([
      { ok: true, replay: false, streams: [{ s: 'x', r: '2', c: 2 }] },
      { ok: false, error: 'wrong_expected_revision', s: 'x', x: '0', a: '2' },
      { ok: true, streams: [{ s: 'y', r: '0', c: 1 }, { s: 'x', r: '3', c: 1 }] },
    ]);
    // The same first event id again: a retry, or not; append_set writes nothing and says so.
    expect(await call([[{ streamId: 'x', expectedRevision: 0n, events: [retried] }]])).toBeNull();
    await raw.end();
    expect(await adapter.streamRevision('x')).toBe(3n);
  });

  it('the database itself refuses a second event at a taken stream revision', async () => {
    const adapter = await open();
    await adapter.append([{ streamId: 's', expectedRevision: 'noStream', events: [rawEvent(1)] }]);
    const raw = new Client({ connectionString: database.url });
    await raw.connect();
    const error = await raw
      .query(
        `INSERT INTO "${schema}".events (event_id, stream_id, stream_revision, type, schema_version, data, recorded_at, correlation_id, actor)
         VALUES ($1, 's', 0, 'TestCounted', 1, '{"by":"1"}', now()::text, 'c', 'a')`,
        [uuidv7()],
      )
      .catch((e: unknown) => e);
    await raw.end();
    expect(error).toMatchObject({ code: '23505', constraint: 'events_stream_revision_unique' });
  });

  it('a live subscriber is woken by NOTIFY for another process’s write, and again after its LISTEN connection is killed', async () => {
    const writer = await open();
    // Polling every minute: anything faster than that came through a notification.
    const reader = await open({ pollIntervalMs: 60_000 });
    const seen: StoredEvent[] = [];
    const subscription = reader.subscribeToAll({ afterPosition: 0n }, async (batch) => {
      seen.push(...batch);
    });
    await sleep(200); // LISTEN is in place
    const started = Date.now();
    await writer.append([{ streamId: 'n', expectedRevision: 'noStream', events: [rawEvent(1)] }]);
    await waitFor(() => seen.length === 1, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);

    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${schema}_appended"`],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    await sleep(500); // reconnect with backoff
    await writer.append([{ streamId: 'n', expectedRevision: 0n, events: [rawEvent(2)] }]);
    await waitFor(() => seen.length === 2, 5_000);
    await subscription.stop();
    expect(seen.map((e) => e.streamRevision)).toEqual([0n, 1n]);
  });

  it('migrations run once even when two processes start at the same time', async () => {
    await Promise.all([open(), open(), open()]);
    const raw = new Client({ connectionString: database.url });
    await raw.connect();
    const applied = await raw.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    await raw.end();
    expect(applied.rows.map((r) => r.version)).toEqual([1, 2, 3]);
  });
});
