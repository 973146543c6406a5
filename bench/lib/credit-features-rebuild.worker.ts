import { parentPort, workerData } from 'node:worker_threads';
import { rebuild } from '../credit-features.bench';

/**
 * The credit-features rebuild benchmark's thread (see `rebuildOnProjectionThread` in
 * credit-features.bench.ts): rebuilds the projection over the log in `workerData.dataDir` and
 * posts back `{ seconds, rows }`, or `{ error }`.
 */
rebuild((workerData as { dataDir: string }).dataDir).then(
  (result) => parentPort?.postMessage(result),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
