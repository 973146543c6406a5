import { EventStore, RecordedEvent } from '@attest/event-store';
import { noticeTextHash } from '@attest/consent';
import { CatalogueService } from './catalogue.service';
import { startTestApp, TestApp } from '../../../../test/support/test-app';
import { ProjectionRunner } from '@attest/projection-runner';
import { CREDIT_NOTICE_TEXT_V1, noticeV1, noticeV2, PURPOSES, RECIPIENTS, validCollection } from '@attest/consent/testing/fixtures';
import { consentsInForce, replaySubject } from '@attest/projections/consent-trail/consent-trail';

describe('consent over HTTP', () => {
  let t: TestApp;
  let store: EventStore;
  let operator: string;
  let compliance: string;
  const subject = (id: string) => t.bearer('subject', id);
  const partner = (recipientId: string) => t.bearer('partner', `${recipientId}-svc`, recipientId);
  const V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };
  const head = () => store.headPosition();
  const eventsAfter = async (position: bigint): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll({ fromPosition: position + 1n })) events.push(event);
    return events;
  };
  const grantBody = (overrides: Record<string, unknown> = {}) => ({
    consentId: 'c1',
    purposeId: 'credit-scoring',
    recipientId: 'bureau',
    notice: V1,
    language: 'en',
    collection: validCollection(),
    ...overrides,
  });
  const grant = async (subjectId: string, overrides: Record<string, unknown> = {}) =>
    t.http().post(`/v1/subjects/${subjectId}/consents`).set('authorization', await subject(subjectId)).send(grantBody(overrides));
  const share = async (subjectId: string, overrides: Record<string, unknown> = {}, recipientId = 'bureau') =>
    t
      .http()
      .post(`/v1/recipients/${recipientId}/shares`)
      .set('authorization', await partner(recipientId))
      .send({ shareId: 's1', subjectId, purposeId: 'credit-scoring', dataCategories: ['credit-score'], ...overrides });
  const waitForViews = async () => {
    const runner = t.app.get(ProjectionRunner);
    const position = await head();
    await runner.waitFor('consent-subject-view', position);
    await runner.waitFor('consent-partner-view', position);
  };

  beforeAll(async () => {
    t = await startTestApp();
    store = t.app.get(EventStore);
    operator = await t.bearer('operator', 'ops-1');
    compliance = await t.bearer('compliance', 'officer-1');
    for (const p of PURPOSES) {
      const response = await t
        .http()
        .put(`/v1/purposes/${p.purposeId}`)
        .set('authorization', operator)
        .send({ description: p.description, sensitive: p.sensitive, compatibleWith: p.compatibleWith.filter((id: string) => id !== 'credit-limit-decision') });
      expect(response.status).toBe(200);
    }
    // credit-scoring lists credit-limit-decision, which must exist first.
    const scoring = await t
      .http()
      .put('/v1/purposes/credit-scoring')
      .set('authorization', operator)
      .send({ description: 'Compute a credit score from payment history', sensitive: true, compatibleWith: ['credit-limit-decision'] });
    expect(scoring.body).toMatchObject({ revision: 2, compatibleWith: ['credit-limit-decision'] });
    for (const r of RECIPIENTS) {
      const response = await t.http().put(`/v1/recipients/${r.recipientId}`).set('authorization', operator).send({ name: r.name, contact: r.contact, jurisdiction: r.jurisdiction });
      expect(response.status).toBe(200);
    }
    const { noticeId, ...body } = noticeV1;
    const published = await t.http().post(`/v1/notices/${noticeId}/versions`).set('authorization', operator).send(body);
    expect(published.status).toBe(201);
    expect(published.body.textHash).toBe(V1.textHash);
  });
  afterAll(() => t.close());

  describe('catalogue (operators)', () => {
    it('serves a notice version with its server-computed hash to any role', async () => {
      const response = await t.http().get('/v1/notices/credit-sharing/versions/1').set('authorization', await subject('u-any'));
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ noticeId: 'credit-sharing', version: 1, textHash: V1.textHash, text: CREDIT_NOTICE_TEXT_V1, recipients: ['bureau', 'lender'] });
    });

    it('keeps versions immutable: other content under a published number is 409 and appends nothing', async () => {
      const before = await head();
      const { noticeId, ...body } = noticeV1;
      const response = await t.http().post(`/v1/notices/${noticeId}/versions`).set('authorization', operator).send({ ...body, text: 'quietly edited' });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('NOTICE_VERSION_EXISTS');
      expect(await head()).toBe(before);
    });

    it('refuses unknown purposes, unknown fields, malformed ids and non-operators, appending nothing', async () => {
      const before = await head();
      const { noticeId: _n, ...body } = noticeV1;
      const unknownPurpose = await t.http().post('/v1/notices/other/versions').set('authorization', operator).send({ ...body, purposes: ['nope'] });
      expect([unknownPurpose.status, unknownPurpose.body.code]).toEqual([404, 'PURPOSE_NOT_FOUND']);
      const unknownField = await t.http().put('/v1/purposes/p9').set('authorization', operator).send({ description: 'x', sensitive: false, extra: 1 });
      expect([unknownField.status, unknownField.body.errors[0].path]).toEqual([400, 'body.extra']);
      const badId = await t.http().put('/v1/recipients/not%20an%20id').set('authorization', operator).send({ name: 'x', contact: 'y', jurisdiction: 'CN' });
      expect([badId.status, badId.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const notOperator = await t.http().put('/v1/purposes/p9').set('authorization', await subject('u1')).send({ description: 'x', sensitive: false });
      expect(notOperator.status).toBe(403);
      const missingNotice = await t.http().get('/v1/notices/nope/versions/1').set('authorization', operator);
      expect([missingNotice.status, missingNotice.body.code]).toEqual([404, 'NOTICE_NOT_FOUND']);
      expect(await head()).toBe(before);
    });

    it('refuses an oversized body with 413', async () => {
      const { noticeId: _n, ...body } = noticeV1;
      const response = await t.http().post('/v1/notices/big/versions').set('authorization', operator).send({ ...body, text: 'x'.repeat(70 * 1024) });
      expect([response.status, response.body.code]).toEqual([413, 'BODY_TOO_LARGE']);
    });
  });

  describe('grant', () => {
    it('records a valid consent and returns a Kantara/ISO 27560 receipt; a retry returns the same', async () => {
      const response = await grant('g1');
      expect(response.status).toBe(201);
      expect(response.body.receipt).toMatchObject({
        version: 'KI-CR-v1.1.0',
        consentReceiptID: 'c1',
        piiPrincipalId: 'g1',
        piiControllers: [{ piiController: 'PayApp Ltd', contact: 'privacy@payapp.example' }],
        services: [{ service: 'credit-scoring', purposes: [{ consentType: 'EXPLICIT', thirdPartyDisclosure: true, thirdPartyName: 'Sesame Bureau', piiCategory: ['credit-score', 'transactions'] }] }],
        sensitive: true,
        state: 'active',
        notice: V1,
      });
      const before = await head();
      const retry = await grant('g1');
      expect(retry.status).toBe(201);
      expect(retry.body.consentEventId).toBe(response.body.consentEventId);
      expect(await head()).toBe(before);
      const [stored] = (await eventsAfter(BigInt(response.body.position) - 1n)).filter((e) => e.type === 'ConsentGranted');
      expect(stored?.pii).toMatchObject({ ipPrefix: expect.stringMatching(/\/(24|48)$/) });
    });

    it('the 2018 annual-bill case is refused as PRE_TICKED_CONSENT and recorded as a rejected attempt', async () => {
      const before = await head();
      const response = await grant('g2018', {
        consentId: 'annual-bill-box',
        collection: validCollection({
          surface: 'annual-spending-report',
          checkboxDefault: 'checked',
          action: { kind: 'button-click', dedicated: false },
          alsoAccepted: [{ kind: 'service-action', reference: 'view-annual-bill' }],
        }),
      });
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'PRE_TICKED_CONSENT', reasons: 'PRE_TICKED_CONSENT,BUNDLED_CONSENT,SEPARATE_CONSENT_REQUIRED' });
      const recorded = await eventsAfter(before);
      expect(recorded.map((e) => [e.type, e.streamId])).toEqual([['ConsentAttemptRejected', 'subject-g2018']]);
      const again = await grant('g2018', { consentId: 'annual-bill-box', collection: validCollection({ checkboxDefault: 'checked' }) });
      expect(again.body.code).toBe('PRE_TICKED_CONSENT');
      expect(await eventsAfter(before)).toHaveLength(1);
    });

    it.each([
      ['BUNDLED_CONSENT', { recipientId: null, purposeId: 'marketing', collection: validCollection({ alsoAccepted: [{ kind: 'agreement', reference: 'tos-9' }] }) }],
      ['NOTICE_HASH_MISMATCH', { notice: { ...V1, textHash: noticeTextHash('another text') } }],
      ['SEPARATE_CONSENT_REQUIRED', { collection: validCollection({ action: { kind: 'toggle-on', dedicated: false } }) }],
      ['RECIPIENT_NOT_IN_NOTICE', { recipientId: 'travel' }],
      ['PURPOSE_NOT_IN_NOTICE', { recipientId: null, purposeId: 'social-ranking' }],
    ])('refuses %s with 422 and records exactly one ConsentAttemptRejected', async (code, overrides) => {
      const before = await head();
      const response = await grant(`g-${code}`, { consentId: `a-${code}`, ...overrides });
      expect([response.status, response.body.code]).toEqual([422, code]);
      expect((await eventsAfter(before)).map((e) => e.type)).toEqual(['ConsentAttemptRejected']);
    });

    it.each([
      ['an unknown notice', { notice: { ...V1, noticeId: 'nope' } }, 404, 'NOTICE_NOT_FOUND'],
      ['an unknown purpose', { purposeId: 'nope' }, 404, 'PURPOSE_NOT_FOUND'],
      ['an unknown recipient', { recipientId: 'nope' }, 404, 'RECIPIENT_NOT_FOUND'],
      ['a malformed consent id', { consentId: 'not an id!' }, 400, 'VALIDATION_FAILED'],
      ['a scroll as the action', { collection: { ...validCollection(), action: { kind: 'scroll', dedicated: true } } }, 400, 'VALIDATION_FAILED'],
      ['an unknown field', { sneaky: true }, 400, 'VALIDATION_FAILED'],
    ])('refuses %s and appends nothing', async (_, overrides, status, code) => {
      const before = await head();
      const response = await grant('g-bad', overrides);
      expect([response.status, response.body.code]).toEqual([status, code]);
      expect(await head()).toBe(before);
    });

    it('a subject may only grant for themselves; partners may not grant', async () => {
      const other = await t.http().post('/v1/subjects/g-victim/consents').set('authorization', await subject('g-other')).send(grantBody());
      expect(other.status).toBe(403);
      const asPartner = await t.http().post('/v1/subjects/g-victim/consents').set('authorization', await partner('bureau')).send(grantBody());
      expect(asPartner.status).toBe(403);
    });
  });

  describe('shares, withdrawal and notification', () => {
    it('shares under consent, refuses after withdrawal (recorded), and notifies the recipient', async () => {
      expect((await grant('s-u1')).status).toBe(201);
      const shared = await share('s-u1');
      expect(shared.status).toBe(201);
      expect(shared.body).toMatchObject({ outcome: 'shared', consentId: 'c1', notice: V1 });
      const before = await head();
      const withdrawn = await t.http().post('/v1/subjects/s-u1/consents/withdraw').set('authorization', await subject('s-u1')).send({ withdrawalId: 'w1', consentId: 'c1' });
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body).toMatchObject({ withdrawn: ['c1'], notifiedRecipients: ['bureau'], receipts: [{ state: 'withdrawn', event: { type: 'withdrawn' } }] });
      expect((await eventsAfter(before)).map((e) => e.type)).toEqual(['ConsentWithdrawn', 'WithdrawalNotificationIssued']);
      const again = await t.http().post('/v1/subjects/s-u1/consents/withdraw').set('authorization', await subject('s-u1')).send({ withdrawalId: 'w1', consentId: 'c1' });
      expect(again.body).toMatchObject({ withdrawn: ['c1'], position: null });
      const refused = await share('s-u1', { shareId: 's2' });
      expect([refused.status, refused.body.code, refused.body.shareId]).toEqual([403, 'WITHDRAWN', 's2']);
      const last = (await eventsAfter(before)).at(-1);
      expect(last).toMatchObject({ type: 'DataShareRefused', data: { reason: 'WITHDRAWN', consentId: 'c1' } });
    });

    it.each([
      ['NO_CONSENT', 's-none', {}, 'bureau'],
      ['PURPOSE_INCOMPATIBLE', 's-pi', { purposeId: 'social-ranking' }, 'bureau'],
      ['RECIPIENT_NOT_COVERED', 's-rnc', {}, 'lender'],
    ])('refuses %s with 403 and records a DataShareRefused', async (code, subjectId, overrides, recipientId) => {
      if (subjectId !== 's-none') expect((await grant(subjectId)).status).toBe(201);
      const before = await head();
      const response = await share(subjectId, overrides, recipientId);
      expect([response.status, response.body.code]).toEqual([403, code]);
      expect((await eventsAfter(before)).map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([['DataShareRefused', code]]);
    });

    it('refuses a partner acting for another recipient, unknown purposes and malformed subjects, appending nothing', async () => {
      const before = await head();
      const other = await t.http().post('/v1/recipients/lender/shares').set('authorization', await partner('bureau')).send({ shareId: 'x', subjectId: 's-u1', purposeId: 'credit-scoring', dataCategories: ['credit-score'] });
      expect(other.status).toBe(403);
      const unknownPurpose = await share('s-u1', { shareId: 'x2', purposeId: 'nope' });
      expect([unknownPurpose.status, unknownPurpose.body.code]).toEqual([404, 'PURPOSE_NOT_FOUND']);
      const badSubject = await share('bad subject', { shareId: 'x3' });
      expect([badSubject.status, badSubject.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const noCategories = await share('s-u1', { shareId: 'x4', dataCategories: [] });
      expect(noCategories.status).toBe(400);
      expect(await head()).toBe(before);
    });

    it('withdraw-all withdraws everything in one call', async () => {
      expect((await grant('wa')).status).toBe(201);
      expect((await grant('wa', { consentId: 'c2', recipientId: null, purposeId: 'marketing' })).status).toBe(201);
      const response = await t.http().post('/v1/subjects/wa/consents/withdraw-all').set('authorization', await subject('wa')).send({ withdrawalId: 'all-1' });
      expect(response.status).toBe(200);
      expect(response.body.withdrawn).toEqual(['c1', 'c2']);
      expect(response.body.receipts).toHaveLength(2);
      const bad = await t.http().post('/v1/subjects/wa/consents/withdraw').set('authorization', await subject('wa')).send({ withdrawalId: 'w9', consentId: 'nope' });
      expect([bad.status, bad.body.code]).toEqual([404, 'CONSENT_NOT_FOUND']);
      const both = await t.http().post('/v1/subjects/wa/consents/withdraw').set('authorization', await subject('wa')).send({ withdrawalId: 'w9', consentId: 'c1', purposeId: 'marketing' });
      expect(both.status).toBe(400);
    });

    it('after a notice change, shares relying on the old version for the changed scope are NOTICE_OUTDATED until re-consent', async () => {
      expect((await grant('nc', { consentId: 'lend', recipientId: 'lender' })).status).toBe(201);
      expect((await share('nc', { shareId: 'n1' }, 'lender')).status).toBe(201);
      const { noticeId, ...body } = noticeV2;
      expect((await t.http().post(`/v1/notices/${noticeId}/versions`).set('authorization', operator).send(body)).status).toBe(201);
      const outdated = await share('nc', { shareId: 'n2' }, 'lender');
      expect([outdated.status, outdated.body.code]).toEqual([403, 'NOTICE_OUTDATED']);
    });
  });

  describe('read side', () => {
    it('the subject sees their consents and every share of their data; compliance may too, others not', async () => {
      expect((await grant('rv')).status).toBe(201);
      expect((await share('rv', { shareId: 'rv-1' })).status).toBe(201);
      await waitForViews();
      const consents = await t.http().get('/v1/subjects/rv/consents').set('authorization', await subject('rv'));
      expect(consents.body).toMatchObject({ items: [{ consentId: 'c1', status: 'in-force', notice: V1 }], nextCursor: null });
      const shares = await t.http().get('/v1/subjects/rv/shares').set('authorization', compliance);
      expect(shares.body.items).toMatchObject([{ shareId: 'rv-1', recipientId: 'bureau', consentId: 'c1', dataCategories: ['credit-score'] }]);
      expect((await t.http().get('/v1/subjects/rv/shares').set('authorization', await subject('someone-else'))).status).toBe(403);
      expect((await t.http().get('/v1/subjects/rv/shares?limit=1000').set('authorization', compliance)).status).toBe(400);
    });

    it('the partner view lists subjects that currently allow a purpose, paginated', async () => {
      for (const id of ['pv-a', 'pv-b', 'pv-c']) expect((await grant(id)).status).toBe(201);
      await waitForViews();
      const auth = await partner('bureau');
      const first = await t.http().get('/v1/recipients/bureau/subjects?purposeId=credit-scoring&limit=2').set('authorization', auth);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      const seen: string[] = first.body.items.map((i: { subjectId: string }) => i.subjectId);
      let cursor: string | null = first.body.nextCursor;
      while (cursor) {
        const next = await t.http().get(`/v1/recipients/bureau/subjects?purposeId=credit-scoring&limit=2&cursor=${cursor}`).set('authorization', auth);
        seen.push(...next.body.items.map((i: { subjectId: string }) => i.subjectId));
        cursor = next.body.nextCursor;
      }
      expect(seen).toEqual(expect.arrayContaining(['pv-a', 'pv-b', 'pv-c']));
      expect(seen).not.toContain('s-u1'); // withdrawn
      expect(new Set(seen).size).toBe(seen.length);
      expect((await t.http().get('/v1/recipients/lender/subjects').set('authorization', auth)).status).toBe(403);
    });

    it('the compliance trail lists every consent event with its notice; asOf equals a full replay to that instant', async () => {
      expect((await grant('tr')).status).toBe(201);
      await grant('tr', { consentId: 'bad', collection: validCollection({ checkboxDefault: 'checked' }) });
      expect((await share('tr', { shareId: 'tr-1' })).status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const instant = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 5));
      await t.http().post('/v1/subjects/tr/consents/withdraw-all').set('authorization', await subject('tr')).send({ withdrawalId: 'tr-w' });

      const now = await t.http().get('/v1/subjects/tr/consent-trail?reason=complaint%2042').set('authorization', compliance);
      expect(now.status).toBe(200);
      expect(now.body.events.map((e: { type: string }) => e.type)).toEqual(['ConsentGranted', 'ConsentAttemptRejected', 'DataShared', 'ConsentWithdrawn', 'WithdrawalNotificationIssued']);
      expect(now.body.events.every((e: { notice: unknown }) => e.notice !== null)).toBe(true);
      expect(now.body.notices).toMatchObject([{ noticeId: 'credit-sharing', version: 1, text: CREDIT_NOTICE_TEXT_V1 }]);
      expect(now.body.inForce).toEqual([]);

      const then = await t.http().get(`/v1/subjects/tr/consent-trail?asOf=${instant}&reason=complaint%2042`).set('authorization', compliance);
      expect(then.body.inForce.map((c: { consentId: string }) => c.consentId)).toEqual(['c1']);
      // The same instant computed by replaying the whole log from position 0.
      const all: RecordedEvent[] = [];
      for await (const event of store.readAll()) all.push(event);
      const replayed = replaySubject(all.filter((e) => e.streamId === 'subject-tr'), instant);
      const catalogue = t.app.get(CatalogueService).snapshot;
      expect(then.body.inForce).toEqual(consentsInForce(replayed, catalogue, instant));

      expect((await t.http().get('/v1/subjects/tr/consent-trail').set('authorization', await subject('tr'))).status).toBe(403);
      expect((await t.http().get('/v1/subjects/tr/consent-trail?asOf=yesterday&reason=complaint%2042').set('authorization', compliance)).status).toBe(400);

      // Audited reads: no reason, no read; the subject sees both reads, newest first, with the reason.
      const noReason = await t.http().get('/v1/subjects/tr/consent-trail').set('authorization', compliance);
      expect(noReason.status).toBe(400);
      expect(noReason.body.errors.map((e: { path: string }) => e.path)).toEqual(['query.reason']);
      await t.app.get(ProjectionRunner).waitFor('access-log', await head());
      const log = await t.http().get('/v1/subjects/tr/access-log').set('authorization', await subject('tr'));
      expect(log.body.entries.map((e: { accessorId: string; resource: string; reason: string }) => [e.accessorId, e.resource, e.reason])).toEqual([
        ['officer-1', 'consent-trail-as-of', 'complaint 42'],
        ['officer-1', 'consent-trail', 'complaint 42'],
      ]);
    });
  });

  describe('race: shares while the subject withdraws', () => {
    it('no DataShared event has a position after the withdrawal', async () => {
      expect((await grant('race')).status).toBe(201);
      const auth = await partner('bureau');
      const withdrawAuth = await subject('race');
      // The withdrawal is sent once some shares have been answered, while the rest are in flight.
      let answered = 0;
      let withdrawal: Promise<{ status: number }> | null = null;
      // 8 concurrent callers × 15 requests each, so requests keep arriving around the withdrawal.
      const send = async (i: number) => {
        const response = await t
          .http()
          .post('/v1/recipients/bureau/shares')
          .set('authorization', auth)
          .send({ shareId: `r-${i}`, subjectId: 'race', purposeId: 'credit-scoring', dataCategories: ['credit-score'] });
        if (++answered === 10) withdrawal = t.http().post('/v1/subjects/race/consents/withdraw-all').set('authorization', withdrawAuth).send({ withdrawalId: 'race-w' }).then((r) => r);
        return response;
      };
      const requests = Array.from({ length: 8 }, async (_, caller) => {
        const mine: Array<{ status: number }> = [];
        for (let k = 0; k < 15; k++) mine.push(await send(caller * 15 + k));
        return mine;
      });
      const responses: Array<{ status: number }> = (await Promise.all(requests)).flat();
      if (withdrawal) responses.push(await withdrawal);
      expect(responses.every((r) => [200, 201, 403].includes(r.status))).toBe(true);
      const stream: RecordedEvent[] = [];
      for await (const event of store.readStream('subject-race')) stream.push(event);
      const withdrawnAt = stream.find((e) => e.type === 'ConsentWithdrawn')?.globalPosition;
      expect(withdrawnAt).toBeDefined();
      const late = stream.filter((e) => e.type === 'DataShared' && withdrawnAt !== undefined && e.globalPosition > withdrawnAt);
      expect(late).toEqual([]);
      expect(stream.filter((e) => e.type === 'DataShared' || e.type === 'DataShareRefused')).toHaveLength(120);
      // Both sides of the race happened: some shares before the withdrawal, refusals after it.
      expect(stream.filter((e) => e.type === 'DataShared').length).toBeGreaterThan(0);
      expect(stream.filter((e) => e.type === 'DataShareRefused').length).toBeGreaterThan(0);
    });
  });
});
