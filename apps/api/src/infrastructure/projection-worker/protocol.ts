import type { AttestConfig } from '@attest/config';
import type { ProjectionStatus } from '@attest/projection-runner';
import type { LaggingData } from '../read-side';

/**
 * Messages between the API thread and its projection worker thread (docs/adr/0021). Positions
 * are bigints (structured clone carries them as they are).
 */
export interface ProjectionWorkerData {
  /** The API's configuration, with `projections: 'inline'` and `projectionWorker` set. */
  config: AttestConfig;
}

/** API thread → worker. */
export type ToProjectionWorker =
  /** The API thread's store has made every event up to `position` durable: project it. */
  | { type: 'visible'; position: bigint }
  | { type: 'rebuild'; id: number; name: string }
  /** Run a registered read-side query once `projection` has applied `position`. */
  | { type: 'query'; id: number; name: string; args: unknown; projection: string; position: bigint; timeoutMs: number }
  /** Finish the batches in flight, save their checkpoints, close the stores, exit. */
  | { type: 'stop' };

/** Worker → API thread. */
export type FromProjectionWorker =
  /** Every projection has started (the API may serve): their statuses then. */
  | { type: 'started'; statuses: ProjectionStatus[] }
  /** Projections whose status changed (batches applied, a failure), coalesced per turn of the worker's loop. */
  | { type: 'status'; statuses: ProjectionStatus[] }
  | { type: 'done'; id: number; error?: string }
  /** A query's JSON answer, or why there is none (`lagging`: the projection did not get there in time). */
  | { type: 'answer'; id: number; json: string }
  | { type: 'answer'; id: number; lagging: LaggingData }
  | { type: 'answer'; id: number; error: string }
  | { type: 'start-failed'; error: string };
