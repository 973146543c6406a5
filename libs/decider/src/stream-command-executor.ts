import { evictOldestHalf, AppendContext, AppendResult, EventStore, ExpectedRevision, RecordedEvent, StreamEvents, WrongExpectedRevision } from '@attest/event-store';
import { Decider, Decision, DomainEvent } from './decider';


export interface ExecuteOptions<C, E extends DomainEvent, S> {
  decider: Decider<C, E, S>;
  /** Names the decider in the state cache, so two deciders never share an entry. */
  deciderName: string;
  streamId: string;
  command: C;
  context: AppendContext;
  /**
   * Further streams written atomically with the decider's own events (for example the payee's
   * side of a tip). They carry their own expected revision.
   */
  alongside?: (events: E[], state: S) => StreamEvents[];
  /**
   * The `alongside` streams are streams of this same decider (for example the payee's wallet):
   * after a successful append, their cached states are evolved with the events written to them,
   * instead of being left stale (which would cost the next command on them a conflict and a
   * reload). Only a cache entry exactly one append behind is evolved; any other is dropped.
   */
  evolveAlongside?: boolean;
}

export interface ExecuteResult<E extends DomainEvent, S> {
  decision: Decision<E>;
  /** State after the decision's events. */
  state: S;
  append: AppendResult | null;
}

interface CachedState {
  state: unknown;
  revision: bigint;
}

export interface StateLoads {
  cache: number;
  store: number;
}

/** Bounds (TIGER_STYLE: every retry and cache is bounded). */
export const EXECUTE_RETRIES_MAX = 8;
export const STATE_CACHE_ENTRIES_MAX = 200_000;

/**
 * The thin shell around a decider: load the stream's state, decide, append with the revision
 * that was read, and on a concurrency conflict reload and decide again (bounded).
 *
 * Commands on one stream are serialised inside this process (a per-stream queue), so they do
 * not conflict with each other; conflicts with *other* processes are caught by the store's
 * expected-revision check and retried. The state of recently used streams is cached with the
 * revision it reflects; a stale entry can only cause a conflict, never a wrong decision.
 */
export class StreamCommandExecutor {
  private readonly cache = new Map<string, CachedState>();
  private readonly queues = new Map<string, Promise<unknown>>();
  /** State loads so far, per decider: answered by the cache, or read and folded from the store. */
  private readonly loads = new Map<string, StateLoads>();

  constructor(private readonly store: EventStore) {}

  execute<C, E extends DomainEvent, S>(options: ExecuteOptions<C, E, S>): Promise<ExecuteResult<E, S>> {
    const key = `${options.deciderName}|${options.streamId}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.executeNow(key, options),
      () => this.executeNow(key, options),
    );
    this.queues.set(key, run);
    const cleanup = () => {
      if (this.queues.get(key) === run) this.queues.delete(key);
    };
    run.then(cleanup, cleanup);
    return run;
  }

  /** Loads a stream's state through the cache (used by queries that need the decider's view). */
  async load<E extends DomainEvent, S>(deciderName: string, decider: Decider<unknown, E, S>, streamId: string): Promise<{ state: S; revision: bigint }> {
    const key = `${deciderName}|${streamId}`;
    const cached = this.cache.get(key);
    let counts = this.loads.get(deciderName);
    if (!counts) this.loads.set(deciderName, (counts = { cache: 0, store: 0 }));
    if (cached) {
      counts.cache++;
      return cached as { state: S; revision: bigint };
    }
    counts.store++;
    return this.loadFromStore(key, decider, streamId);
  }

  /**
   * How many times each decider's state was taken from the cache and how many times it was read
   * from the store (a new or evicted stream, or a reload after a conflict), since start: the
   * cache's hit ratio, for the metrics.
   */
  stateLoads(): ReadonlyMap<string, Readonly<StateLoads>> {
    return this.loads;
  }

  private async loadFromStore<E extends DomainEvent, S>(key: string, decider: Decider<unknown, E, S>, streamId: string) {
    let state = decider.initialState();
    let revision = -1n;
    for await (const event of this.store.readStream<RecordedEvent>(streamId)) {
      state = decider.evolve(state, event as unknown as E);
      revision = event.streamRevision;
    }
    this.remember(key, { state, revision });
    return { state, revision };
  }

  private remember(key: string, entry: CachedState) {
    if (this.cache.size >= STATE_CACHE_ENTRIES_MAX && !this.cache.has(key)) evictOldestHalf(this.cache);
    this.cache.delete(key);
    this.cache.set(key, entry);
  }

  private async executeNow<C, E extends DomainEvent, S>(key: string, options: ExecuteOptions<C, E, S>): Promise<ExecuteResult<E, S>> {
    for (let attempt = 0; ; attempt++) {
      const { state, revision } = await this.load(options.deciderName, options.decider as Decider<unknown, E, S>, options.streamId);
      const decision = options.decider.decide(options.command, state);
      if (decision.events.length === 0) return { decision, state, append: null };
      const expectedRevision: ExpectedRevision = revision < 0n ? 'noStream' : revision;
      try {
        const alongside = options.alongside ? options.alongside(decision.events, state) : [];
        const append = await this.store.appendMulti(
          [{ streamId: options.streamId, expectedRevision, events: decision.events }, ...alongside],
          options.context,
        );
        this.refreshAlongside(options, alongside, append);
        let next = state;
        for (const event of decision.events) next = options.decider.evolve(next, event);
        const mine = append.streams[0];
        if (append.idempotentReplay || !mine) this.cache.delete(key);
        else this.remember(key, { state: next, revision: mine.nextRevision });
        return { decision, state: next, append };
      } catch (error) {
        this.cache.delete(key);
        if (error instanceof WrongExpectedRevision && attempt + 1 < EXECUTE_RETRIES_MAX) continue;
        throw error;
      }
    }
  }

  private refreshAlongside<C, E extends DomainEvent, S>(options: ExecuteOptions<C, E, S>, alongside: StreamEvents[], append: AppendResult): void {
    alongside.forEach((written, i) => {
      const key = `${options.deciderName}|${written.streamId}`;
      const cached = this.cache.get(key);
      if (!cached) return;
      const result = append.streams[i + 1];
      const before = result ? result.nextRevision - BigInt(written.events.length) : null;
      if (!options.evolveAlongside || !result || append.idempotentReplay || cached.revision !== before) {
        this.cache.delete(key);
        return;
      }
      let state = cached.state as S;
      for (const event of written.events) state = options.decider.evolve(state, event as unknown as E);
      this.remember(key, { state, revision: result.nextRevision });
    });
  }

  /** Forget cached state (tests, or after an out-of-band change). */
  invalidate(): void {
    this.cache.clear();
  }
}
