import { CompactRange, Hash, hashesEqual, leafHashOfText } from '@attest/merkle';
import type { StoredEvent } from '@attest/event-store';
import { fromBase64 } from './verify/encoding';
import { entryTextOfStoredEvent } from './verify/entry';
import { LogPublicKey, SignedCheckpoint, verifyCheckpoint } from './verify/checkpoint';

/**
 * `attest audit check`: recompute the tree from the event store as it is now and hold it against
 * every signed checkpoint. A checkpoint is the authority (it is signed); the log read model's
 * per-leaf record (position, event id, leaf hash as first appended) is only used to say *which*
 * event differs, and how: changed, deleted or inserted.
 */
export interface LoggedLeaf {
  leafIndex: number;
  position: bigint;
  eventId: string;
  hash: Hash;
}

export type LogProblemCode =
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_ORDER'
  | 'ROOT_MISMATCH'
  | 'EVENT_CHANGED'
  | 'EVENT_DELETED'
  | 'EVENT_INSERTED'
  | 'EVENT_UNREADABLE'
  | 'LOG_TRUNCATED';

export interface LogProblem {
  code: LogProblemCode;
  detail: string;
  position?: string;
  eventId?: string;
  leafIndex?: number;
  treeSize?: number;
}

export interface LogCheckReport {
  ok: boolean;
  eventsRead: number;
  checkpointsChecked: number;
  /** The first leaf that differs from what the log recorded, when the log read model can tell. */
  firstDifference: LogProblem | null;
  problems: LogProblem[];
}

export interface LogCheckSource {
  /** Stored events in global order from `fromPosition` (inclusive); may throw on a corrupt row. */
  readAll(fromPosition: bigint): AsyncIterable<StoredEvent>;
  checkpoints: readonly SignedCheckpoint[];
  keys: readonly LogPublicKey[];
  /** The log read model's record of leaf `index`, if it has one. */
  loggedLeaf?: (leafIndex: number) => Promise<LoggedLeaf | undefined>;
}

/** Bound on unreadable rows skipped before giving up (each restarts the read). */
const UNREADABLE_MAX = 100;
/** A leaf hash no entry can have: stands in for a row that cannot be read, so later leaves keep their index. */
const UNREADABLE_LEAF = Buffer.alloc(32);

export const checkLog = async (source: LogCheckSource): Promise<LogCheckReport> => {
  const problems: LogProblem[] = [];
  // 1. The checkpoints themselves: signed by a registered key, sizes not shrinking, timestamps strictly increasing.
  const checkpoints: SignedCheckpoint[] = [];
  let previous: SignedCheckpoint | null = null;
  for (const checkpoint of source.checkpoints) {
    const verdict = verifyCheckpoint(checkpoint, source.keys);
    if (!verdict.ok) {
      problems.push({ code: 'CHECKPOINT_INVALID', treeSize: checkpoint.treeSize, detail: `checkpoint at tree size ${checkpoint.treeSize}: ${verdict.detail}` });
      continue;
    }
    if (previous && (checkpoint.treeSize < previous.treeSize || checkpoint.timestamp <= previous.timestamp))
      problems.push({ code: 'CHECKPOINT_ORDER', treeSize: checkpoint.treeSize, detail: `checkpoint at ${checkpoint.timestamp} (size ${checkpoint.treeSize}) does not follow ${previous.timestamp} (size ${previous.treeSize})` });
    checkpoints.push(checkpoint);
    previous = checkpoint;
  }
  const bySize = [...checkpoints].sort((a, b) => a.treeSize - b.treeSize);

  // 2. Stream the store through a compact range, comparing each leaf with the log's record.
  const range = new CompactRange();
  let firstDifference: LogProblem | null = null;
  let next = 0;
  let lastGoodSize = 0;
  const noteDifference = (problem: LogProblem) => {
    if (!firstDifference) firstDifference = problem;
  };
  const compareWithCheckpoints = () => {
    while (next < bySize.length && bySize[next]?.treeSize === range.size) {
      const checkpoint = bySize[next] as SignedCheckpoint;
      const expected = fromBase64(checkpoint.rootHash, 32);
      if (!expected || !hashesEqual(expected, range.root())) {
        problems.push({
          code: 'ROOT_MISMATCH',
          treeSize: checkpoint.treeSize,
          detail: `the events stored now do not give the root signed at ${checkpoint.timestamp} for tree size ${checkpoint.treeSize}: an event among leaves ${lastGoodSize}..${checkpoint.treeSize - 1} was changed, deleted or inserted`,
        });
      } else lastGoodSize = checkpoint.treeSize;
      next++;
    }
  };
  const compareLeaf = async (event: StoredEvent | null, position: bigint, hash: Hash) => {
    if (firstDifference || !source.loggedLeaf) return;
    const logged = await source.loggedLeaf(range.size);
    if (!logged) return;
    const where = { leafIndex: range.size, position: position.toString() };
    if (event === null) noteDifference({ code: 'EVENT_UNREADABLE', ...where, detail: `the stored row at position ${position} cannot be read` });
    else if (position > logged.position)
      noteDifference({ code: 'EVENT_DELETED', leafIndex: range.size, position: logged.position.toString(), eventId: logged.eventId, detail: `event ${logged.eventId} at position ${logged.position} (leaf ${range.size}) is no longer in the store` });
    else if (position < logged.position)
      noteDifference({ code: 'EVENT_INSERTED', ...where, eventId: event.eventId, detail: `event ${event.eventId} at position ${position} was never appended to the log (leaf ${range.size} was position ${logged.position})` });
    else if (event.eventId !== logged.eventId || !hashesEqual(hash, logged.hash))
      noteDifference({ code: 'EVENT_CHANGED', ...where, eventId: event.eventId, detail: `event ${event.eventId} at position ${position} (leaf ${range.size}) differs from what the log recorded when it was appended` });
  };

  compareWithCheckpoints();
  let from = 1n;
  let unreadable = 0;
  for (;;) {
    let lastPosition = from - 1n;
    try {
      for await (const event of source.readAll(from)) {
        const hash = leafHashOfText(entryTextOfStoredEvent(event));
        await compareLeaf(event, event.globalPosition, hash);
        range.append(hash);
        lastPosition = event.globalPosition;
        compareWithCheckpoints();
      }
      break;
    } catch (error) {
      // A row that no longer parses (bytes edited into invalid JSON) is a tampered event too.
      const position = lastPosition + 1n;
      await compareLeaf(null, position, UNREADABLE_LEAF);
      problems.push({ code: 'EVENT_UNREADABLE', position: position.toString(), leafIndex: range.size, detail: `the stored row after position ${lastPosition} cannot be read: ${error instanceof Error ? error.message : String(error)}` });
      range.append(UNREADABLE_LEAF);
      compareWithCheckpoints();
      if (++unreadable >= UNREADABLE_MAX) break;
      from = position + 1n;
    }
  }
  for (; next < bySize.length; next++) {
    const checkpoint = bySize[next] as SignedCheckpoint;
    problems.push({ code: 'LOG_TRUNCATED', treeSize: checkpoint.treeSize, detail: `a checkpoint signed ${checkpoint.treeSize} leaves, the store has only ${range.size} events` });
  }
  // The pinpointed event first: it is what an operator looks at. It counts as a problem even past
  // the last checkpoint (no signed root covers it yet, but the log recorded something else).
  const found = firstDifference as LogProblem | null;
  if (found) problems.unshift(found);
  return { ok: problems.length === 0, eventsRead: range.size, checkpointsChecked: checkpoints.length, firstDifference: found, problems };
};
