/**
 * What the caller believes about a stream before appending.
 * - `any`: no check;
 * - `noStream`: the stream must not exist yet;
 * - `streamExists`: the stream must have at least one event;
 * - a bigint: the stream's last revision must be exactly this (revisions start at 0).
 */
export type ExpectedRevision = 'any' | 'noStream' | 'streamExists' | bigint;

/** The revision of a stream as it is: `noStream` when it has no event. */
export type CurrentRevision = 'noStream' | bigint;

export const describeRevision = (revision: ExpectedRevision | CurrentRevision): string =>
  typeof revision === 'bigint' ? revision.toString() : revision;

/** True when a stream whose current revision is `actual` satisfies `expected`. */
export const revisionMatches = (expected: ExpectedRevision, actual: CurrentRevision): boolean => {
  if (expected === 'any') return true;
  if (expected === 'noStream') return actual === 'noStream';
  if (expected === 'streamExists') return actual !== 'noStream';
  return actual === expected;
};
