import { ProjectionLagging, ProjectionRunner, ReadModelQueries } from '@attest/projection-runner';

/**
 * A read-model query that must reflect a given position of one projection (read-your-writes),
 * answered as JSON text. Registered by its feature module in every thread that boots the module
 * graph, so the same query runs wherever the read models are written.
 */
export interface ReadSideQuery<A> {
  name: string;
  run(db: ReadModelQueries, args: A): Promise<string>;
}

/** The projection a query waits for, and the position it must have applied. */
export interface ReadAfter {
  projection: string;
  position: bigint;
  timeoutMs: number;
}

/** Runs a registered query somewhere else (the projection worker thread). */
export interface RemoteReadSide {
  query(name: string, args: unknown, after: ReadAfter): Promise<string>;
}

/**
 * Where queries that wait for a projection run: beside the projections. Inline (or external),
 * here, after the runner's read-your-writes wait. With ATTEST_PROJECTIONS=worker, on the worker
 * thread: the worker waits until its own projection has applied the position, runs the query on
 * its connection and serialises the answer, so neither the wait, the SQL nor the JSON costs the
 * API's event loop anything (docs/adr/0021).
 */
export class ReadSide {
  private readonly queries = new Map<string, ReadSideQuery<never>>();

  constructor(
    private readonly runner: ProjectionRunner,
    private readonly db: ReadModelQueries,
    private readonly remote: RemoteReadSide | null,
  ) {}

  register<A>(query: ReadSideQuery<A>): void {
    if (this.queries.has(query.name)) throw new Error(`read-side query ${query.name} registered twice`);
    this.queries.set(query.name, query as ReadSideQuery<never>);
  }

  /** The query's JSON answer, once `after.projection` has applied `after.position` (else ProjectionLagging). */
  query<A>(query: ReadSideQuery<A>, args: A, after: ReadAfter): Promise<string> {
    if (this.queries.get(query.name) !== (query as ReadSideQuery<never>)) throw new Error(`read-side query ${query.name} is not registered`);
    if (!this.remote) return this.run(query, args, after);
    return this.remote.query(query.name, args, after).catch((error: unknown) => {
      // The worker is gone (its projections are reported failed): the read model cannot catch up.
      const status = this.runner.statusOf(after.projection);
      if (!(error instanceof ProjectionLagging) && status.state === 'failed') throw new ProjectionLagging(after.projection, after.position, status.position);
      throw error;
    });
  }

  /** Runs a registered query in this thread (the worker answers its API thread with this). */
  runHere(name: string, args: unknown, after: ReadAfter): Promise<string> {
    const query = this.queries.get(name);
    if (!query) return Promise.reject(new Error(`no read-side query named ${name}`));
    return this.run(query, args as never, after);
  }

  private async run<A>(query: ReadSideQuery<A>, args: A, after: ReadAfter): Promise<string> {
    await this.runner.waitUntilReadable(after.projection, after.position, after.timeoutMs);
    return query.run(this.db, args);
  }
}

/** A ProjectionLagging carried across the thread boundary as plain data, and back. */
export interface LaggingData {
  projection: string;
  wanted: bigint;
  reached: bigint;
}
export const laggingToData = (error: ProjectionLagging): LaggingData => ({ projection: error.projection, wanted: error.wanted, reached: error.reached });
export const laggingFromData = (data: LaggingData): ProjectionLagging => new ProjectionLagging(data.projection, data.wanted, data.reached);

/**
 * `json` (the text of a JSON object, as a read-side query answers) with `fields` added in front:
 * the answer goes out as text, never parsed and serialised again on the API's event loop.
 */
export const jsonWithFields = (json: string, fields: Record<string, unknown>): string => {
  const head = JSON.stringify(fields);
  if (!json.startsWith('{') || !head.startsWith('{')) throw new Error('jsonWithFields joins JSON objects');
  if (head === '{}') return json;
  return json === '{}' ? head : `${head.slice(0, -1)},${json.slice(1)}`;
};
