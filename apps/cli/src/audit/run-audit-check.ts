import { existsSync } from 'node:fs';
import { AttestConfig } from '@attest/config';
import { StoredEvent } from '@attest/event-store';
import {
  checkLog,
  LOG_CHECKPOINTS_STREAM,
  LogCheckReport,
  LogCheckpointSigned,
  LoggedLeaf,
  LogKeyRegistered,
  LogPublicKey,
  logPublicKeySchema,
  SignedCheckpoint,
  signedCheckpointSchema,
} from '@attest/audit';
import { MerkleLogReader } from '@attest/projections/merkle-log';
import { createEventStoreAdapter, createReadModelStore } from '../../../api/src/infrastructure/store.factory';
import { UsageError } from '../cli-exit';

/** Upper bound of events read from the checkpoint stream. */
const CHECKPOINT_STREAM_READ_MAX = 1_000_000;

/** Sequential access to the log read model's leaves, as `checkLog` asks for them (in order). */
const sequentialLeaves = (reader: MerkleLogReader) => {
  const iterator = reader.leaves();
  let current: LoggedLeaf | undefined;
  let done = false;
  return async (leafIndex: number): Promise<LoggedLeaf | undefined> => {
    while (!done && (!current || current.leafIndex < leafIndex)) {
      const next = await iterator.next();
      if (next.done) done = true;
      else current = next.value;
    }
    return current?.leafIndex === leafIndex ? current : undefined;
  };
};

/**
 * Recomputes the tree from the configured event store and holds it against every signed
 * checkpoint stored there; the log read model (if present) says which event differs. Takes the
 * config (not the environment) so that `attest demo` checks its own temporary store.
 */
export const runAuditCheck = async (config: AttestConfig): Promise<LogCheckReport> => {
  if (config.store === 'sqlite' && !existsSync(config.sqlite.eventsPath)) throw new UsageError(`no event store at ${config.sqlite.eventsPath}`);
  const adapter = await createEventStoreAdapter(config);
  const readModels = config.readModels === 'sqlite' && !existsSync(config.sqlite.readModelsPath) ? null : await createReadModelStore(config);
  try {
    const keys: LogPublicKey[] = [];
    const checkpoints: SignedCheckpoint[] = [];
    for await (const event of adapter.readStream(LOG_CHECKPOINTS_STREAM, { limit: CHECKPOINT_STREAM_READ_MAX })) {
      if (event.type === LogKeyRegistered.type) keys.push(logPublicKeySchema.parse(event.data));
      if (event.type === LogCheckpointSigned.type) checkpoints.push(signedCheckpointSchema.parse(event.data));
    }
    let loggedLeaf: ((leafIndex: number) => Promise<LoggedLeaf | undefined>) | undefined;
    if (readModels) {
      const reader = new MerkleLogReader(readModels.query);
      // A read model without the log's tables (never started) just cannot pinpoint.
      const usable = await reader.size().then(
        () => true,
        () => false,
      );
      if (usable) loggedLeaf = sequentialLeaves(reader);
    }
    return await checkLog({
      readAll: (fromPosition: bigint): AsyncIterable<StoredEvent> => adapter.readAll({ fromPosition }),
      checkpoints,
      keys,
      ...(loggedLeaf ? { loggedLeaf } : {}),
    });
  } finally {
    await adapter.close();
    await readModels?.close();
  }
};
