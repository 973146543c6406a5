import type { StoredEvent } from '@attest/event-store';
import { leafHash } from '@attest/merkle';
import { checkLog, LoggedLeaf } from './log-check';
import { checkpointOf, sampleLog, signer, treeOf } from './testing/fixtures';
import { entryOfStoredEvent } from './verify/entry';

const { privateKey, key } = signer();
const original = sampleLog();
const tree = treeOf(original);
const checkpoints = [checkpointOf(tree, 3, privateKey, key, '2026-01-01T00:00:00.000Z'), checkpointOf(tree, 6, privateKey, key, '2026-01-02T00:00:00.000Z')];
const logged: LoggedLeaf[] = original.map((e, i) => ({ leafIndex: i, position: e.globalPosition, eventId: e.eventId, hash: leafHash(entryOfStoredEvent(e)) }));

const source = (events: StoredEvent[], options: { corruptAt?: bigint; withLog?: boolean } = {}) => ({
  async *readAll(from: bigint) {
    for (const event of events) {
      if (event.globalPosition < from) continue;
      if (event.globalPosition === options.corruptAt) throw new SyntaxError('Unexpected token in JSON');
      yield event;
    }
  },
  checkpoints,
  keys: [key],
  ...(options.withLog === false ? {} : { loggedLeaf: async (i: number) => logged[i] }),
});

describe('checkLog (attest audit check)', () => {
  it('passes an untouched store', async () => {
    expect(await checkLog(source(original))).toMatchObject({ ok: true, eventsRead: 6, checkpointsChecked: 2, problems: [] });
  });

  it('names an edited event by position and id', async () => {
    const edited = original.map((e) => (e.eventId === 'e-2' ? { ...e, data: { ...e.data, purpose: 'marketing' } } : e));
    const report = await checkLog(source(edited));
    expect(report.ok).toBe(false);
    expect(report.firstDifference).toMatchObject({ code: 'EVENT_CHANGED', position: '2', eventId: 'e-2', leafIndex: 1 });
    expect(report.problems.map((p) => p.code)).toEqual(['EVENT_CHANGED', 'ROOT_MISMATCH', 'ROOT_MISMATCH']);
  });

  it('names a deleted event and an inserted one', async () => {
    const deleted = await checkLog(source(original.filter((e) => e.eventId !== 'e-4')));
    expect(deleted.firstDifference).toMatchObject({ code: 'EVENT_DELETED', position: '4', eventId: 'e-4' });
    // The first checkpoint (3 leaves) still holds; the second now has more leaves than the store.
    expect(deleted.problems.map((p) => p.code)).toEqual(['EVENT_DELETED', 'LOG_TRUNCATED']);
    // Inserted into a gap of positions (a PostgreSQL sequence leaves gaps): positions 10, 20, …
    // and a forged event slipped in at 25.
    const spaced = original.map((e) => ({ ...e, globalPosition: e.globalPosition * 10n }));
    const spacedTree = treeOf(spaced);
    const spacedLog = spaced.map((e, i) => ({ leafIndex: i, position: e.globalPosition, eventId: e.eventId, hash: leafHash(entryOfStoredEvent(e)) }));
    const forged = { ...(spaced[2] as StoredEvent), eventId: 'forged', globalPosition: 25n };
    const report = await checkLog({
      ...source([...spaced.slice(0, 2), forged, ...spaced.slice(2)]),
      checkpoints: [checkpointOf(spacedTree, 6, privateKey, key, '2026-01-02T00:00:00.000Z')],
      loggedLeaf: async (i: number) => spacedLog[i],
    });
    expect(report.firstDifference).toMatchObject({ code: 'EVENT_INSERTED', position: '25', eventId: 'forged' });
    expect(report.problems.map((p) => p.code)).toEqual(['EVENT_INSERTED', 'ROOT_MISMATCH']);
  });

  it('reports an unreadable row, a truncated store and, without the log read model, the range that differs', async () => {
    const unreadable = await checkLog(source(original, { corruptAt: 5n }));
    expect(unreadable.problems.map((p) => p.code)).toEqual(['EVENT_UNREADABLE', 'EVENT_UNREADABLE', 'ROOT_MISMATCH']);
    expect(unreadable.problems[1]).toMatchObject({ position: '5' });
    expect((await checkLog(source(original.slice(0, 4)))).problems.map((p) => p.code)).toEqual(['LOG_TRUNCATED']);
    const blind = await checkLog(source(original.map((e) => (e.eventId === 'e-5' ? { ...e, type: 'Edited' } : e)), { withLog: false }));
    expect(blind.firstDifference).toBeNull();
    expect(blind.problems).toEqual([expect.objectContaining({ code: 'ROOT_MISMATCH', treeSize: 6, detail: expect.stringContaining('leaves 3..5') })]);
  });

  it('rejects a checkpoint whose signature does not verify', async () => {
    const bad = { ...(checkpoints[0] as (typeof checkpoints)[number]), treeSize: 4 };
    const report = await checkLog({ ...source(original), checkpoints: [bad, ...checkpoints.slice(1)] });
    expect(report.problems.map((p) => p.code)).toEqual(['CHECKPOINT_INVALID']);
  });
});
