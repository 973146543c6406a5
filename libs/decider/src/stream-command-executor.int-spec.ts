import { EventStore, SqliteEventStore } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';
import { accept, Decider, DomainEvent } from './decider';
import { StreamCommandExecutor } from './stream-command-executor';

type Counted = DomainEvent<'TestCounted', { by: bigint }>;
/** A counter: each command adds to it. */
const counter: Decider<{ by: bigint }, Counted, bigint> = {
  initialState: () => 0n,
  evolve: (state, event) => state + event.data.by,
  decide: (command) => accept(counted(command.by) as Counted),
};

describe('StreamCommandExecutor: state loads', () => {
  let store: EventStore;
  let executor: StreamCommandExecutor;
  beforeEach(() => {
    store = new EventStore(new SqliteEventStore({ path: ':memory:' }), testRegistry());
    executor = new StreamCommandExecutor(store);
  });
  afterEach(() => store.close());

  const add = (streamId: string, by: bigint) =>
    executor.execute({ decider: counter, deciderName: 'counter', streamId, command: { by }, context: { actor: 'system:spec' } });

  it('counts, per decider, the states the cache answered and those read from the store', async () => {
    await add('c-1', 1n);
    await add('c-1', 2n);
    await add('c-2', 5n);
    await add('c-1', 3n);
    expect(executor.stateLoads().get('counter')).toEqual({ cache: 2, store: 2 });
    expect((await executor.load('counter', counter, 'c-1')).state).toBe(6n);
    expect(executor.stateLoads().get('counter')).toEqual({ cache: 3, store: 2 });
  });

  it('reads the store again after another writer moved the stream (a conflict), and counts it', async () => {
    await add('c-3', 1n);
    // Another writer appends behind the cache's back: the cached revision is now stale.
    await store.append('c-3', [counted(10n)], { expectedRevision: 0n, actor: 'system:other' });
    const result = await add('c-3', 1n);
    expect(result.state).toBe(12n);
    // First command: a store read; second: the stale cache entry, a conflict, then a store read.
    expect(executor.stateLoads().get('counter')).toEqual({ cache: 1, store: 2 });
  });
});
