import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventRegistry, EventStore, SqliteEventStore, StoredEvent } from '@attest/event-store';
import { CONSENT_EVENTS } from '@attest/consent';
import { noticePublished, noticeV2 } from '@attest/consent/testing/fixtures';
import { LEDGER_EVENTS } from '@attest/ledger';
import { ProjectionRunner, SqliteReadModelStore } from '@attest/projection-runner';
import { CONTRIBUTIONS_TABLE, CREDIT_FEATURES_PROJECTION, creditFeaturesProjection } from './credit-features.projection';
import { countContributions, creditFeaturesToWire, queryCreditFeatures } from './credit-features.queries';
import { appendAt, appendCatalogue, consentGranted, consentWithdrawn, fundsDeposited, tipReceived, tipSent } from './testing/events';

/**
 * The projection against a real store and the real runner: each transition of the issue by
 * name, the purge, rebuild equality and asOf equality against a replay of the log.
 */
describe('credit features projection', () => {
  let dir: string;
  let store: EventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;

  const day = (n: number, hour = 9) => new Date(Date.UTC(2026, 2, n, hour)).toISOString();
  const caughtUp = async () => runner.waitFor(CREDIT_FEATURES_PROJECTION, await store.headPosition(), 10_000);
  const featuresOf = async (subjectId: string, recipientId: string, asOf: string, db = readModels) =>
    creditFeaturesToWire(await queryCreditFeatures(db.query, subjectId, recipientId, asOf));
  const feature = async (subjectId: string, recipientId: string, name: string, asOf = day(31)) => {
    const answer = await featuresOf(subjectId, recipientId, asOf);
    return answer.currencies[0]?.features[name] ?? null;
  };
  const tip = async (at: string, payer: string, payee: string, amountMinor: bigint): Promise<bigint> => {
    const sent = tipSent(payer, payee, amountMinor);
    const position = await appendAt(store, at, sent);
    await appendAt(store, at, tipReceived(sent));
    return position;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attest-credit-'));
    const registry = new EventRegistry().register(...LEDGER_EVENTS, ...CONSENT_EVENTS);
    store = new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'NORMAL', pollIntervalMs: 10 }), registry);
    readModels = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    runner = new ProjectionRunner(store, readModels).register(creditFeaturesProjection);
    await appendCatalogue(store, day(1));
    await runner.start();
  });

  afterEach(async () => {
    await runner.stop();
    await store.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('consent, tip, withdraw, tip again, re-consent', () => {
    let tips: bigint[];
    beforeEach(async () => {
      tips = [];
      tips.push(await tip(day(2), 'u1', 'u2', 1_000n)); // before any consent
      await appendAt(store, day(3), consentGranted('u1', 'c1', day(3)));
      await appendAt(store, day(3, 10), consentGranted('u1', 'l1', day(3, 10), { recipientId: 'lender' }));
      tips.push(await tip(day(4), 'u1', 'u2', 2_000n)); // inside both windows
      await appendAt(store, day(5), consentWithdrawn('u1', 'c1', 'w1', day(5)));
      tips.push(await tip(day(6), 'u1', 'u3', 3_000n)); // bureau window closed, lender open
      await appendAt(store, day(7), consentGranted('u1', 'c2', day(7)));
      tips.push(await tip(day(8), 'u1', 'u2', 4_000n)); // both open again
      await caughtUp();
    });

    it('consent: a tip before the first consent counts for no recipient, ever', async () => {
      const lender = await feature('u1', 'lender', 'tipsSentCount90d');
      expect(lender?.value).toBe('3');
      expect(lender?.lineage.fromPosition).toBe(String(tips[1]));
      const rows = await readModels.query.all<{ position: bigint }>(`SELECT position FROM ${CONTRIBUTIONS_TABLE} WHERE position = ?`, tips[0] ?? 0n);
      expect(rows).toEqual([]);
    });

    it('tip: a tip inside the window counts for that recipient, with its position as lineage', async () => {
      const volume = await feature('u1', 'bureau', 'tipsSentVolume90d', day(4, 12));
      // Read before the withdrawal would have been applied is not possible here (the log is ahead),
      // so the lender, whose window was never closed, shows the same tip:
      const lender = await featuresOf('u1', 'lender', day(4, 12));
      expect(lender.currencies[0]?.features['tipsSentVolume90d']).toEqual({
        value: '20.00',
        valueMinor: '2000',
        unit: 'CNY',
        window: '90d',
        lineage: { sourceEvents: 1, fromPosition: String(tips[1]), toPosition: String(tips[1]) },
      });
      // Bureau: purged by the withdrawal of day 5, so even asOf day 4 shows nothing.
      expect(volume).toBeNull();
    });

    it('withdraw: the bureau rows are deleted from the read model, the lender rows stay', async () => {
      const bureau = await readModels.query.all<{ position: bigint }>(`SELECT position FROM ${CONTRIBUTIONS_TABLE} WHERE subject_id = 'u1' AND recipient_id = 'bureau' ORDER BY position`);
      // Only the tip after re-consent: nothing from before the withdrawal survives.
      expect(bureau.map((r) => r.position)).toEqual([tips[3]]);
      expect(await countContributions(readModels.query, 'u1', 'lender')).toBe(3);
    });

    it('tip again: a tip between withdrawal and re-consent never counts for the bureau, not even later', async () => {
      const sent = await feature('u1', 'bureau', 'tipsSentCount90d');
      expect(sent?.value).toBe('1');
      const parties = await feature('u1', 'bureau', 'distinctCounterparties90d');
      // u3 was tipped only while the bureau window was closed.
      expect(parties?.value).toBe('1');
      expect(await feature('u1', 'lender', 'distinctCounterparties90d')).toMatchObject({ value: '2' });
    });

    it('re-consent: only events after the new consent count; features equal exactly the events inside windows', async () => {
      const bureau = await featuresOf('u1', 'bureau', day(31));
      expect(bureau.currencies.map((c) => c.currency)).toEqual(['CNY']);
      expect(bureau.currencies[0]?.features).toMatchObject({
        tipsSentCount90d: { value: '1', lineage: { sourceEvents: 1, fromPosition: String(tips[3]), toPosition: String(tips[3]) } },
        tipsSentVolume90d: { value: '40.00', valueMinor: '4000' },
        tipsSentCount30d: { value: '1' },
        tipsReceivedCount90d: { value: '0', lineage: { sourceEvents: 0, fromPosition: null, toPosition: null } },
        accountAgeDays: { value: '23', unit: 'days', window: 'lifetime' },
        daysSinceLastActivity: { value: '23' },
        reversalRatio90d: { value: '0' },
      });
      const lender = await featuresOf('u1', 'lender', day(31));
      expect(lender.currencies[0]?.features).toMatchObject({
        tipsSentCount90d: { value: '3', lineage: { sourceEvents: 3, fromPosition: String(tips[1]), toPosition: String(tips[3]) } },
        tipsSentVolume90d: { value: '90.00' },
        accountAgeDays: { value: '27' },
      });
      // The payees never consented: nothing of theirs is kept.
      expect(await countContributions(readModels.query, 'u2', 'bureau')).toBe(0);
    });

    it('purge: after withdrawal the row is gone, and a full rebuild from position 0 does not restore it', async () => {
      const live = { bureau: await featuresOf('u1', 'bureau', day(31)), lender: await featuresOf('u1', 'lender', day(31)) };
      await runner.rebuild(CREDIT_FEATURES_PROJECTION);
      await caughtUp();
      const rows = await readModels.query.all<{ position: bigint }>(`SELECT position FROM ${CONTRIBUTIONS_TABLE} WHERE subject_id = 'u1' AND recipient_id = 'bureau'`);
      expect(rows.map((r) => r.position)).toEqual([tips[3]]);
      expect({ bureau: await featuresOf('u1', 'bureau', day(31)), lender: await featuresOf('u1', 'lender', day(31)) }).toEqual(live);
    });

    it('a withdrawal with nothing after it leaves no row at all for that recipient', async () => {
      await appendAt(store, day(9), consentWithdrawn('u1', 'c2', 'w2', day(9)));
      await caughtUp();
      expect(await countContributions(readModels.query, 'u1', 'bureau')).toBe(0);
      expect((await featuresOf('u1', 'bureau', day(31))).currencies).toEqual([]);
    });
  });

  describe('windows follow the share gate', () => {
    it('an expired consent stops counting at its expiry', async () => {
      await appendAt(store, day(3), consentGranted('e1', 'c1', day(3), { expiresAt: day(5) }));
      await tip(day(4), 'e1', 'u2', 100n);
      await tip(day(6), 'e1', 'u2', 200n);
      await caughtUp();
      expect(await feature('e1', 'bureau', 'tipsSentCount90d')).toMatchObject({ value: '1' });
    });

    it('a notice version that drops the recipient closes its window (NOTICE_OUTDATED), the others stay open', async () => {
      await appendAt(store, day(3), consentGranted('n1', 'c1', day(3)));
      await appendAt(store, day(3), consentGranted('n1', 'l1', day(3), { recipientId: 'lender' }));
      await tip(day(4), 'n1', 'u2', 100n);
      await store.append('notice-credit-sharing', [noticePublished(noticeV2, day(5))], { expectedRevision: 'any', actor: 'operator:spec', recordedAt: day(5) });
      await tip(day(6), 'n1', 'u2', 200n);
      await caughtUp();
      expect(await feature('n1', 'bureau', 'tipsSentCount90d')).toMatchObject({ value: '2' });
      expect(await feature('n1', 'lender', 'tipsSentCount90d')).toMatchObject({ value: '1' });
    });

    it('consents that do not cover credit scoring for a recipient open no window', async () => {
      await appendAt(store, day(3), consentGranted('m1', 'mk', day(3), { purposeId: 'marketing' }));
      await appendAt(store, day(3), consentGranted('m1', 'own', day(3), { recipientId: null }));
      await tip(day(4), 'm1', 'u2', 100n);
      await appendAt(store, day(5), consentWithdrawn('m1', 'mk', 'w1', day(5), { purposeId: 'marketing' }));
      await caughtUp();
      expect(await countContributions(readModels.query, 'm1', 'bureau')).toBe(0);
    });

    it('counts deposits, received tips and counterparties; 30-day features drop what is older', async () => {
      await appendAt(store, day(3), consentGranted('d1', 'c1', day(3)));
      const deposit = await appendAt(store, day(4), fundsDeposited('d1', 50_000n));
      await tip(day(5), 'x1', 'd1', 10_000n);
      const lastTip = await tip(day(6), 'x2', 'd1', 10_000n);
      await caughtUp();
      const at = new Date(Date.UTC(2026, 3, 4, 12)).toISOString(); // 30 days after day 5, noon
      const answer = await featuresOf('d1', 'bureau', at);
      expect(answer.currencies[0]?.features).toMatchObject({
        depositsVolume90d: { value: '500.00' },
        tipsReceivedCount90d: { value: '2' },
        tipsReceivedVolume90d: { value: '190.00' },
        tipsReceivedCount30d: { value: '1' },
        distinctCounterparties90d: { value: '2' },
        reversalRatio90d: { value: '0' },
        // Lifetime features span every kind: the age from the deposit, the last activity from the
        // last received tip, and their lineage covers all three contributions.
        accountAgeDays: { value: '31' },
        daysSinceLastActivity: { value: '29' },
      });
      expect(answer.currencies[0]?.features['accountAgeDays']?.lineage).toEqual({ sourceEvents: 3, fromPosition: deposit.toString(), toPosition: (lastTip + 1n).toString() });
    });
  });

  it('window edges to the millisecond: an event at asOf counts, one a millisecond later does not, one exactly 30 days before is 90-day only', async () => {
    await appendAt(store, day(3), consentGranted('e1', 'c1', day(3)));
    const asOf = new Date(Date.UTC(2026, 3, 10, 12, 0, 0, 500)).toISOString();
    const thirtyDaysBefore = new Date(Date.parse(asOf) - 30 * 86_400_000).toISOString();
    const thirtyDaysBeforePlus1 = new Date(Date.parse(asOf) - 30 * 86_400_000 + 1).toISOString();
    const atAsOf = await tip(asOf, 'e1', 'x1', 1_000n);
    await tip(new Date(Date.parse(asOf) + 1).toISOString(), 'e1', 'x2', 2_000n);
    const oldest = await tip(thirtyDaysBefore, 'e1', 'x3', 4_000n);
    await tip(thirtyDaysBeforePlus1, 'e1', 'x4', 8_000n);
    await caughtUp();
    const features = (await featuresOf('e1', 'bureau', asOf)).currencies[0]?.features;
    expect(features).toMatchObject({
      tipsSentCount30d: { value: '2' },
      tipsSentVolume30d: { value: '90.00' },
      tipsSentCount90d: { value: '3' },
      tipsSentVolume90d: { value: '130.00' },
      daysSinceLastActivity: { value: '0' },
    });
    // Lineage spans the oldest and the newest counted events (positions, in log order).
    expect(features?.['tipsSentCount90d']?.lineage).toEqual({ sourceEvents: 3, fromPosition: atAsOf.toString(), toPosition: (oldest + 2n).toString() });
  });

  describe('consent state kept in memory between batches', () => {
    /** The handled events of the log after `after`, as the runner hands them (stored). */
    const storedAfter = async (after: bigint): Promise<StoredEvent[]> => {
      const events: StoredEvent[] = [];
      const handled = creditFeaturesProjection.handles;
      for await (const event of store.adapter.readAll({ fromPosition: after + 1n })) if (handled !== 'all' && handled.includes(event.type)) events.push(event);
      return events;
    };
    const freshReadModel = async (): Promise<SqliteReadModelStore> => {
      const fresh = new SqliteReadModelStore(':memory:');
      const ddl = creditFeaturesProjection.schema;
      for (const statement of typeof ddl === 'function' ? ddl('sqlite') : ddl) await fresh.exec(statement);
      return fresh;
    };
    const applyBatch = (readModel: SqliteReadModelStore, events: StoredEvent[]) => readModel.transaction((tx) => creditFeaturesProjection.applyBatch?.(events, tx) ?? Promise.resolve());

    it('a rolled-back batch leaves nothing behind: its withdrawal does not close the window afterwards', async () => {
      const catalogue = await storedAfter(0n);
      const start = await store.headPosition();
      await appendAt(store, day(2), consentGranted('u1', 'c1', day(2)));
      const granted = await store.headPosition();
      await appendAt(store, day(3), consentWithdrawn('u1', 'c1', 'w1', day(3)));
      const withdrawn = await store.headPosition();
      await tip(day(4), 'u1', 'u2', 1_000n);
      const [grant, withdrawal, tipEvents] = [await storedAfter(start), await storedAfter(granted), await storedAfter(withdrawn)];
      const readModel = await freshReadModel();
      try {
        await applyBatch(readModel, [...catalogue, ...grant.filter((e) => e.globalPosition <= granted)]);
        const failed = readModel.transaction(async (tx) => {
          await creditFeaturesProjection.applyBatch?.(withdrawal.filter((e) => e.globalPosition <= withdrawn), tx);
          throw new Error('the batch fails after the projection applied it (say, at its checkpoint)');
        });
        await expect(failed).rejects.toThrow('the batch fails');
        // The log as committed has no withdrawal: the tip falls inside the bureau window.
        await applyBatch(readModel, tipEvents);
        expect(await countContributions(readModel.query, 'u1', 'bureau')).toBe(1);
      } finally {
        await readModel.close();
      }
    });

    it("two read-model stores in one process never see each other's consent state", async () => {
      const catalogue = await storedAfter(0n);
      const start = await store.headPosition();
      await appendAt(store, day(2), consentGranted('u1', 'c1', day(2)));
      const granted = await store.headPosition();
      await tip(day(4), 'u1', 'u2', 1_000n);
      const [grant, tipEvents] = [await storedAfter(start), await storedAfter(granted)];
      const [a, b] = [await freshReadModel(), await freshReadModel()];
      try {
        await applyBatch(a, catalogue);
        await applyBatch(b, catalogue);
        await applyBatch(a, grant.filter((e) => e.globalPosition <= granted));
        // b never received the grant: the same tip counts in a, not in b, whatever order the batches run in.
        await applyBatch(b, tipEvents);
        await applyBatch(a, tipEvents);
        expect(await countContributions(b.query, 'u1', 'bureau')).toBe(0);
        expect(await countContributions(a.query, 'u1', 'bureau')).toBe(1);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('deterministic and rebuildable', () => {
    /**
     * Replays the log up to `asOf` into a fresh read model. The purges that happen after
     * `asOf` are the only difference allowed with the asOf answer of the live read model (they
     * delete the past too): so the replay is compared for recipients not withdrawn after `asOf`.
     */
    const replayUpTo = async (asOf: string): Promise<SqliteReadModelStore> => {
      const fresh = new SqliteReadModelStore(':memory:');
      const ddl = creditFeaturesProjection.schema;
      for (const statement of typeof ddl === 'function' ? ddl('sqlite') : ddl) await fresh.exec(statement);
      // The events as the runner hands them to this projection (`input: 'stored'`).
      expect(creditFeaturesProjection.input).toBe('stored');
      const events: StoredEvent[] = [];
      const handled = creditFeaturesProjection.handles;
      for await (const event of store.adapter.readAll()) {
        if (event.metadata.recordedAt > asOf) break;
        if (handled !== 'all' && handled.includes(event.type)) events.push(event);
      }
      // Applied one event at a time, unlike the runner's batches: the result must not depend on batching.
      await fresh.transaction(async (tx) => {
        for (const event of events) await creditFeaturesProjection.apply(event, tx);
      });
      return fresh;
    };

    beforeEach(async () => {
      for (let s = 0; s < 6; s++) await appendAt(store, day(2, s), consentGranted(`r${s}`, 'c1', day(2, s), { recipientId: s % 2 === 0 ? 'bureau' : 'lender' }));
      for (let d = 3; d <= 20; d++) {
        for (let s = 0; s < 6; s++) await tip(day(d, s), `r${s}`, `r${(s + d) % 6}` === `r${s}` ? 'zz' : `r${(s + d) % 6}`, BigInt(100 * d + s));
        if (d === 12) await appendAt(store, day(12, 23), consentWithdrawn('r0', 'c1', 'w1', day(12, 23)));
        if (d === 15) await appendAt(store, day(15, 23), consentGranted('r0', 'c2', day(15, 23)));
      }
      await caughtUp();
    });

    it('rebuild equality: a rebuild from position 0 gives exactly the live values', async () => {
      const snapshot = async () => Promise.all(['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].flatMap((s) => ['bureau', 'lender'].map((r) => featuresOf(s, r, day(25)))));
      const rows = async () => readModels.query.all(`SELECT * FROM ${CONTRIBUTIONS_TABLE} ORDER BY subject_id, recipient_id, position`);
      const live = { features: await snapshot(), rows: await rows() };
      await runner.rebuild(CREDIT_FEATURES_PROJECTION);
      await caughtUp();
      expect({ features: await snapshot(), rows: await rows() }).toEqual(live);
    });

    it('asOf equality against a replay of the log up to the instant', async () => {
      for (const asOf of [day(4, 3), day(10, 12), day(13), day(16, 2), day(20, 23)]) {
        const replay = await replayUpTo(asOf);
        try {
          for (const subjectId of ['r1', 'r2', 'r3', 'r4', 'r5']) {
            const recipientId = Number(subjectId.slice(1)) % 2 === 0 ? 'bureau' : 'lender';
            expect({ asOf, subjectId, features: await featuresOf(subjectId, recipientId, asOf) }).toEqual({
              asOf,
              subjectId,
              features: await featuresOf(subjectId, recipientId, asOf, replay),
            });
          }
          // r0 withdrew on day 12 and consented again on day 15: before the withdrawal, asOf shows
          // nothing (the purge deleted that past too); after the re-consent it equals the replay.
          const r0 = await featuresOf('r0', 'bureau', asOf);
          if (asOf < day(15, 23)) expect(r0.currencies).toEqual([]);
          else expect(r0).toEqual(await featuresOf('r0', 'bureau', asOf, replay));
        } finally {
          await replay.close();
        }
      }
    });
  });
});
