import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamCommandExecutor } from '@attest/decider';
import { EventRegistry, EventStore, RecordedEvent, SqliteEventStore } from '@attest/event-store';
import { CONSENT_EVENTS, noticeTextHash, subjectDecider, subjectStream } from '@attest/consent';
import { CREDIT_NOTICE_TEXT_V1, fixtureCatalogue, validCollection } from '@attest/consent/testing/fixtures';

/**
 * Two executors on one store behave like two API processes: each has its own state cache and
 * its own per-stream queue, so only the store's expected-revision check serialises a share
 * against a withdrawal. Many shares race one withdrawal; none may be recorded after it.
 */
describe('share vs withdrawal across processes (optimistic concurrency)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-consent-race-'));
  const store = new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'NORMAL' }), new EventRegistry().register(...CONSENT_EVENTS));
  const catalogue = fixtureCatalogue();
  const context = { actor: 'system:test' };
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never records a DataShared after the ConsentWithdrawn it could have seen', async () => {
    const processes = [new StreamCommandExecutor(store), new StreamCommandExecutor(store), new StreamCommandExecutor(store)];
    const [first] = processes;
    if (!first) throw new Error('no executor');
    const run = (executor: StreamCommandExecutor, command: Parameters<typeof subjectDecider.decide>[0]) =>
      executor.execute({ decider: subjectDecider, deciderName: 'consent-subject', streamId: subjectStream('u-race'), command, context });
    await run(first, {
      type: 'GrantConsent',
      subjectId: 'u-race',
      consentId: 'c1',
      purposeId: 'credit-scoring',
      recipientId: 'bureau',
      notice: { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) },
      language: 'en',
      collection: validCollection(),
      expiresAt: null,
      evidence: { ipPrefix: null, userAgent: null },
      now: new Date().toISOString(),
      catalogue,
    });
    // Warm every process's cache with the granted state, so each decides from what it last saw.
    for (const executor of processes) await executor.load('consent-subject', subjectDecider, subjectStream('u-race'));

    let sent = 0;
    const share = (executor: StreamCommandExecutor) =>
      run(executor, {
        type: 'RequestDataShare',
        subjectId: 'u-race',
        shareId: `s-${sent++}`,
        recipientId: 'bureau',
        purposeId: 'credit-scoring',
        dataCategories: ['credit-score'],
        collectedFor: null,
        now: new Date().toISOString(),
        catalogue,
      });
    const shares: Promise<unknown>[] = [];
    // A client retries a 409 like this; the withdrawal id makes each retry safe.
    const withdrawUntilRecorded = async () => {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          return await run(first, { type: 'WithdrawConsent', subjectId: 'u-race', withdrawalId: 'w', target: { scope: 'all' }, now: new Date().toISOString() });
        } catch (error) {
          if (!String(error).includes('WrongExpectedRevision')) throw error;
        }
      }
      throw new Error('withdrawal starved');
    };
    let withdrawing: Promise<unknown> = Promise.resolve();
    // Two share "processes" keep sending, each one request at a time, while a third withdraws.
    const caller = async (executor: StreamCommandExecutor) => {
      for (let round = 0; round < 30; round++) {
        const pending = share(executor);
        shares.push(pending);
        await pending.catch(() => undefined);
        // A short pause between requests: back to back, a caller whose cache is warm always
        // beats one that must reload after a conflict, and the withdrawal would only land at
        // the end (safe, but then the test would not exercise the interleaving).
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (round === 10 && executor === processes[1]) withdrawing = withdrawUntilRecorded();
      }
    };
    await Promise.all(processes.slice(1).map(caller));
    // Under this much contention a command may exhaust its bounded retries: it then fails with
    // WrongExpectedRevision (409 CONCURRENCY_CONFLICT over HTTP) and records nothing.
    const settled = await Promise.allSettled(shares);
    await withdrawing;
    const conflicts = settled.filter((r) => r.status === 'rejected');
    for (const failure of conflicts) expect(String((failure as PromiseRejectedResult).reason)).toMatch(/WrongExpectedRevision/);

    const stream: RecordedEvent[] = [];
    for await (const event of store.readStream(subjectStream('u-race'))) stream.push(event);
    const withdrawal = stream.find((e) => e.type === 'ConsentWithdrawn');
    if (!withdrawal) throw new Error('the withdrawal was not recorded');
    expect(stream.filter((e) => e.type === 'DataShared' && e.globalPosition > withdrawal.globalPosition)).toEqual([]);
    expect(stream.filter((e) => e.type === 'DataShared').length).toBeGreaterThan(0);
    expect(stream.filter((e) => e.type === 'DataShareRefused' && (e.data as { reason: string }).reason === 'WITHDRAWN').length).toBeGreaterThan(0);
    expect(stream.filter((e) => e.type === 'DataShared' || e.type === 'DataShareRefused').length + conflicts.length).toBe(60);
    expect(stream.filter((e) => e.type === 'ConsentWithdrawn')).toHaveLength(1);
  });
});
