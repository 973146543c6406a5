import { EventStore, RecordedEvent } from '@attest/event-store';
import { subjectStream } from '@attest/consent';
import { ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { CREDIT_FEATURE_DEFINITIONS_VERSION } from '@attest/projections/credit-features/credit-features.definitions';
import { CREDIT_FEATURES_PROJECTION } from '@attest/projections/credit-features/credit-features.projection';
import { countContributions } from '@attest/projections/credit-features/credit-features.queries';
import { READ_MODEL_STORE } from '../infrastructure/infrastructure.module';
import { LedgerFixture, startLedgerApp } from '../ledger/test/ledger-fixture';
import { creditHelpers } from './test/credit-fixture';

/** Credit features over HTTP: the share gate in front, the consent windows behind, role scoping around. */
describe('credit features over HTTP', () => {
  let t: LedgerFixture;
  let store: EventStore;
  const { publishCatalogue, read, grant, withdraw, tip, sentCount } = creditHelpers(() => t);
  const subjectEvents = async (subjectId: string): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    for await (const event of store.readStream(subjectStream(subjectId))) events.push(event);
    return events;
  };

  beforeAll(async () => {
    t = await startLedgerApp();
    store = t.app.get(EventStore);
    await publishCatalogue();
    for (const user of ['cf1', 'cf2', 'cf3']) expect((await t.deposit(user, '1000.00')).status).toBe(201);
  });
  afterAll(() => t.close());

  it('serves features counted inside the consent window, with lineage, the definitions version and the share event', async () => {
    await tip('cf1', 'cf2', '10.00'); // before consent: never counted
    await grant('cf1', 'c1');
    await tip('cf1', 'cf2', '20.00');
    await tip('cf1', 'cf3', '30.00');
    const response = await read('cf1', { purpose: 'credit-scoring' });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatchObject({ subjectId: 'cf1', recipientId: 'bureau', purposeId: 'credit-scoring', definitionsVersion: CREDIT_FEATURE_DEFINITIONS_VERSION });
    const features = response.body.currencies[0].features;
    expect(features.tipsSentCount90d).toMatchObject({ value: '2', unit: 'events', window: '90d', lineage: { sourceEvents: 2 } });
    expect(features.tipsSentVolume90d).toMatchObject({ value: '50.00', valueMinor: '5000', unit: 'CNY' });
    expect(features.distinctCounterparties90d).toMatchObject({ value: '2' });
    expect(BigInt(features.tipsSentCount90d.lineage.fromPosition)).toBeLessThan(BigInt(features.tipsSentCount90d.lineage.toPosition));
    // The read is a recorded share, citing the consent; the answer cites the event.
    const shared = (await subjectEvents('cf1')).filter((e) => e.type === 'DataShared');
    expect(shared.map((e) => e.eventId)).toEqual([response.body.share.shareEventId]);
    expect(shared[0]?.data).toMatchObject({ recipientId: 'bureau', purposeId: 'credit-scoring', consentId: 'c1', dataCategories: ['transactions'] });
  });

  it('2016: a request for social ranking is refused as PURPOSE_INCOMPATIBLE and recorded, whatever was consented', async () => {
    await grant('cf2', 'c1');
    const before = (await subjectEvents('cf2')).length;
    const response = await read('cf2', { purpose: 'social-ranking', shareId: 'rank-1' });
    expect([response.status, response.body.code]).toEqual([403, 'PURPOSE_INCOMPATIBLE']);
    const events = await subjectEvents('cf2');
    expect(events.length).toBe(before + 1);
    expect(events[events.length - 1]).toMatchObject({ type: 'DataShareRefused', data: { shareId: 'rank-1', purposeId: 'social-ranking', reason: 'PURPOSE_INCOMPATIBLE', recipientId: 'bureau' } });
    expect(response.body.currencies).toBeUndefined();
  });

  it('serves a compatible purpose (credit-limit-decision) under the credit-scoring consent', async () => {
    const response = await read('cf1', { purpose: 'credit-limit-decision' });
    expect(response.status).toBe(200);
    expect(sentCount(response.body)).toBe('2');
  });

  it('a shareId makes a retry return the same share, recording nothing new', async () => {
    const first = await read('cf1', { purpose: 'credit-scoring', shareId: 'retry-1' });
    const count = (await subjectEvents('cf1')).length;
    const again = await read('cf1', { purpose: 'credit-scoring', shareId: 'retry-1' });
    expect(again.status).toBe(200);
    expect(again.body.share.shareEventId).toBe(first.body.share.shareEventId);
    expect((await subjectEvents('cf1')).length).toBe(count);
  });

  it('asOf answers with the values as they were at that instant', async () => {
    await grant('cf3', 'c1');
    await tip('cf3', 'cf1', '5.00');
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await tip('cf3', 'cf1', '6.00');
    const earlier = await read('cf3', { purpose: 'credit-scoring', asOf: between });
    const now = await read('cf3', { purpose: 'credit-scoring' });
    expect([earlier.status, sentCount(earlier.body), earlier.body.asOf]).toEqual([200, '1', between]);
    expect(sentCount(now.body)).toBe('2');
  });

  it('withdrawal: the rows are deleted, the read is refused as WITHDRAWN (recorded), re-consent starts from zero', async () => {
    await withdraw('cf1', 'w1', 'c1');
    const refused = await read('cf1', { purpose: 'credit-scoring', shareId: 'after-withdrawal' });
    expect([refused.status, refused.body.code]).toEqual([403, 'WITHDRAWN']);
    const events = await subjectEvents('cf1');
    expect(events[events.length - 1]).toMatchObject({ type: 'DataShareRefused', data: { reason: 'WITHDRAWN' } });
    await t.app.get(ProjectionRunner).waitFor(CREDIT_FEATURES_PROJECTION, await store.headPosition());
    expect(await countContributions(t.app.get<ReadModelStore>(READ_MODEL_STORE).query, 'cf1', 'bureau')).toBe(0);
    await tip('cf1', 'cf2', '7.00'); // between withdrawal and re-consent: never counted
    await grant('cf1', 'c2');
    const empty = await read('cf1', { purpose: 'credit-scoring' });
    expect([empty.status, empty.body.currencies]).toEqual([200, []]);
    await tip('cf1', 'cf2', '8.00');
    const fresh = await read('cf1', { purpose: 'credit-scoring' });
    expect(fresh.body.currencies[0].features.tipsSentVolume90d).toMatchObject({ value: '8.00', lineage: { sourceEvents: 1 } });
  });

  describe('role scoping', () => {
    it('a partner for another recipient is refused (RECIPIENT_NOT_COVERED, recorded) and gets no features', async () => {
      const response = await read('cf3', { purpose: 'credit-scoring', shareId: 'lender-1' }, 'lender');
      expect([response.status, response.body.code]).toEqual([403, 'RECIPIENT_NOT_COVERED']);
      const events = await subjectEvents('cf3');
      expect(events[events.length - 1]).toMatchObject({ type: 'DataShareRefused', data: { recipientId: 'lender', reason: 'RECIPIENT_NOT_COVERED' } });
    });

    it('a partner naming another recipient than its own is 403 FORBIDDEN, recording nothing', async () => {
      const before = await store.headPosition();
      const response = await read('cf3', { purpose: 'credit-scoring', recipientId: 'bureau' }, 'lender');
      expect([response.status, response.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(await store.headPosition()).toBe(before);
    });

    it('only partners may read: a subject, finance or compliance caller is 403, an anonymous one 401', async () => {
      for (const caller of [await t.bearer('subject', 'cf3'), await t.bearer('finance', 'f1'), await t.bearer('compliance', 'c1')]) {
        const response = await t.http().get('/v1/credit-features/cf3').query({ purpose: 'credit-scoring' }).set('authorization', caller);
        expect([response.status, response.body.code]).toEqual([403, 'FORBIDDEN']);
      }
      const anonymous = await t.http().get('/v1/credit-features/cf3').query({ purpose: 'credit-scoring' });
      expect(anonymous.status).toBe(401);
    });
  });

  describe('bad input is refused before the gate, recording nothing', () => {
    it.each([
      ['no purpose', 'cf3', {}, 'query.purpose'],
      ['an unknown field', 'cf3', { purpose: 'credit-scoring', extra: '1' }, 'query.extra'],
      ['a malformed asOf', 'cf3', { purpose: 'credit-scoring', asOf: 'yesterday' }, 'query.asOf'],
      ['an asOf in the future', 'cf3', { purpose: 'credit-scoring', asOf: '2999-01-01T00:00:00Z' }, 'query.asOf'],
      ['a malformed subject id', 'not.an.id', { purpose: 'credit-scoring' }, 'params.subjectId'],
    ])('%s', async (_name, subjectId, query, path) => {
      const before = await store.headPosition();
      const response = await read(subjectId, query as Record<string, string>);
      expect([response.status, response.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await store.headPosition()).toBe(before);
    });

    it('an unknown purpose is 404 PURPOSE_NOT_FOUND, recording nothing', async () => {
      const before = await store.headPosition();
      const response = await read('cf3', { purpose: 'astrology' });
      expect([response.status, response.body.code]).toEqual([404, 'PURPOSE_NOT_FOUND']);
      expect(await store.headPosition()).toBe(before);
    });
  });

  it('counts every share decision in the metrics', async () => {
    const metrics = await t.http().get('/metrics').set('authorization', await t.bearer('operator', 'ops-1'));
    expect(metrics.text).toMatch(/attest_share_decisions_total\{outcome="shared"\} \d+/);
    expect(metrics.text).toMatch(/attest_share_decisions_total\{outcome="PURPOSE_INCOMPATIBLE"\} 1/);
  });

  it("reports how often a subject's consent state came from the executor's cache and how often from the store", async () => {
    const scrape = async () => (await t.http().get('/metrics').set('authorization', await t.bearer('operator', 'ops-1'))).text;
    // A series appears once it is first counted: absent before means 0, absent after fails (NaN).
    const loads = (text: string, source: string, absent: number) => Number(new RegExp(`attest_decider_state_loads_total\\{decider="consent-subject",source="${source}"\\} (\\d+)`).exec(text)?.[1] ?? absent);
    const before = await scrape();
    const [cacheBefore, storeBefore] = [loads(before, 'cache', 0), loads(before, 'store', 0)];
    // A subject this process has not seen: the grant reads its (empty) stream, the reads after it find the state cached.
    await grant('cf-loads', 'c-loads');
    for (let i = 0; i < 3; i++) expect((await read('cf-loads', { purpose: 'credit-scoring' })).status).toBe(200);
    const after = await scrape();
    expect(loads(after, 'cache', NaN) - cacheBefore).toBe(3);
    expect(loads(after, 'store', NaN) - storeBefore).toBe(1);
  });
});
