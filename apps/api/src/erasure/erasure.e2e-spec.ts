import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { verifyBundle } from '@attest/audit';
import { EventStore, RecordedEvent } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { runAuditCheck } from '../../../cli/src/audit/run-audit-check';
import { creditConsentBody, publishCatalogue } from '../../../../test/support/consent-catalogue';
import { startTestApp, TestApp } from '../../../../test/support/test-app';

/** A personal value of this subject: the user agent of the device they consented from. */
const PERSONAL = 'Mozilla/5.0 (ZhangWei-Personal-Phone-7731)';
/** Another: a note the subject typed on a tip. */
const NOTE = 'for Li, from Zhang Wei at 12 Lakeside Road';

/** Every byte of every file under the data directory (databases, WAL files, keys). */
const bytesUnder = (dir: string): Buffer =>
  Buffer.concat(
    readdirSync(dir).map((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? bytesUnder(path) : readFileSync(path);
    }),
  );

describe('right to erasure (crypto-shredding) over HTTP', () => {
  let t: TestApp;
  let store: EventStore;
  const subjectEvents = async (subjectId: string) => {
    const events: RecordedEvent[] = [];
    for await (const event of store.readStream(`subject-${subjectId}`)) events.push(event);
    return events;
  };

  beforeAll(async () => {
    t = await startTestApp();
    store = t.app.get(EventStore);
    await publishCatalogue(t);
  });
  afterAll(() => t.close());

  it('keeps personal values encrypted at rest, then erases them for good while every proof still verifies', async () => {
    const zhang = await t.bearer('subject', 'zhang');
    const granted = await t.http().post('/v1/subjects/zhang/consents').set('authorization', zhang).set('user-agent', PERSONAL).send(creditConsentBody());
    expect(granted.status).toBe(201);
    const shared = await t
      .http()
      .post('/v1/recipients/bureau/shares')
      .set('authorization', await t.bearer('partner', 'bureau-svc', 'bureau'))
      .send({ shareId: 'before', subjectId: 'zhang', purposeId: 'credit-scoring', dataCategories: ['credit-score'] });
    expect(shared.status).toBe(201);

    // A tip with a note (personal data, sealed under the payer's key).
    const finance = await t.bearer('finance', 'fin-1');
    expect((await t.http().post('/v1/deposits').set('authorization', finance).set('idempotency-key', 'fund-zhang').send({ wallet: 'user:zhang:wallet:CNY', amount: { value: '50.00', currency: 'CNY' }, externalReference: 'psp-zhang-1' })).status).toBe(201);
    const tip = await t.http().post('/v1/tips').set('authorization', zhang).set('idempotency-key', 'tip-zhang-1').send({ from: 'user:zhang:wallet:CNY', to: 'user:li:wallet:CNY', amount: { value: '5.00', currency: 'CNY' }, note: NOTE });
    expect(tip.status).toBe(201);
    const tipEvent = async () => {
      for await (const event of store.readStream('wallet-zhang-CNY')) if (event.type === 'TipSent') return event;
      return undefined;
    };
    expect((await tipEvent())?.pii).toEqual({ note: NOTE });

    // Readable by the system before erasure, never stored in clear.
    expect((await subjectEvents('zhang'))[0]?.pii).toMatchObject({ userAgent: PERSONAL });
    if (t.config.store === 'sqlite') expect(bytesUnder(t.config.dataDir).includes(Buffer.from(NOTE))).toBe(false);
    if (t.config.store === 'sqlite') expect(bytesUnder(t.config.dataDir).includes(Buffer.from(PERSONAL))).toBe(false);

    // An operator must say why; the subject needs no reason.
    const operator = await t.bearer('operator', 'ops-1');
    const withoutReason = await t.http().post('/v1/subjects/zhang/erasure').set('authorization', operator).send({ erasureId: 'e1' });
    expect(withoutReason.status).toBe(400);
    expect((await t.http().post('/v1/subjects/zhang/erasure').set('authorization', await t.bearer('subject', 'someone-else')).send({ erasureId: 'e1' })).status).toBe(403);

    const erased = await t.http().post('/v1/subjects/zhang/erasure').set('authorization', zhang).send({ erasureId: 'e1' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ alreadyErased: false, withdrawnConsents: ['c1'], notifiedRecipients: ['bureau'], keyDestroyed: true });
    const events = await subjectEvents('zhang');
    expect(events.map((e) => e.type)).toEqual(['ConsentGranted', 'DataShared', 'ConsentWithdrawn', 'WithdrawalNotificationIssued', 'SubjectErased']);
    // Personal fields read as a clear marker, never as an error; the money stays.
    expect(events[0]?.pii).toEqual({ erased: true, owner: 'zhang' });
    expect((await tipEvent())?.pii).toEqual({ erased: true, owner: 'zhang' });
    expect((await tipEvent())?.data).toMatchObject({ payerId: 'zhang', payeeId: 'li', amountMinor: 500n });
    expect(JSON.stringify(events, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(PERSONAL);

    // Idempotent; nothing new is recorded for an erased subject; shares are refused.
    expect((await t.http().post('/v1/subjects/zhang/erasure').set('authorization', zhang).send({ erasureId: 'e2' })).body).toMatchObject({ alreadyErased: true, withdrawnConsents: [] });
    const regrant = await t.http().post('/v1/subjects/zhang/consents').set('authorization', zhang).send(creditConsentBody('c2'));
    expect(regrant.status).toBe(410);
    expect(regrant.body.code).toBe('SUBJECT_ERASED');
    const after = await t
      .http()
      .post('/v1/recipients/bureau/shares')
      .set('authorization', await t.bearer('partner', 'bureau-svc', 'bureau'))
      .send({ shareId: 'after', subjectId: 'zhang', purposeId: 'credit-scoring', dataCategories: ['credit-score'] });
    expect(after.status).toBe(403);
    expect(after.body.code).toBe('WITHDRAWN');

    // Every read model rebuilt from position 0 still holds nothing personal of the subject.
    const runner = t.app.get(ProjectionRunner);
    for (const name of runner.names) await runner.rebuild(name);
    for (const name of runner.names) await runner.waitFor(name, await store.headPosition(), 15_000);
    if (t.config.store === 'sqlite') {
      const bytes = bytesUnder(t.config.dataDir);
      expect(bytes.includes(Buffer.from(PERSONAL))).toBe(false);
      expect(bytes.includes(Buffer.from(NOTE))).toBe(false);
    }

    // The Merkle log hashed ciphertext: a bundle for the erased subject still verifies offline.
    await t.http().post('/v1/audit/checkpoints').set('authorization', operator).expect(201);
    const bundle = await t.http().post('/v1/audit/subjects/zhang/bundle').set('authorization', await t.bearer('compliance', 'officer-1')).send({ reason: 'erasure audit' });
    expect(bundle.status).toBe(200);
    expect(JSON.stringify(bundle.body)).not.toContain(PERSONAL);
    expect(verifyBundle(bundle.body)).toMatchObject({ ok: true });
    // `attest audit check` recomputes the whole tree from the stored events: still intact.
    if (t.config.store === 'sqlite') expect(await runAuditCheck(t.config)).toMatchObject({ ok: true });
  });
});
