import { generateKek } from '@attest/crypto-shredding';
import { EventStore, RecordedEvent } from '@attest/event-store';
import { creditConsentBody, publishCatalogue } from '../../../../test/support/consent-catalogue';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../../test/support/postgres';
import { startTestApp, TestApp } from '../../../../test/support/test-app';

const PERSONAL = 'Mozilla/5.0 (WangFang-Personal-Tablet-2209)';
const NOTE = 'for Li, from Wang Fang, 3 Riverside Lane';

/**
 * Two API processes on one PostgreSQL database (always PostgreSQL, whatever ATTEST_TEST_STORE
 * says: sharing keys is what this is about). What one seals the other opens, and an erasure
 * made through one is in force in the other as soon as it has been answered.
 */
describe('erasure with several API processes on one PostgreSQL database', () => {
  let database: ThrowawayDatabase;
  let a: TestApp;
  let b: TestApp;
  const streamOf = async (t: TestApp, streamId: string) => {
    const events: RecordedEvent[] = [];
    for await (const event of t.app.get(EventStore).readStream(streamId)) events.push(event);
    return events;
  };
  const tipWithNote = async (t: TestApp, key: string) =>
    t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'wang'))
      .set('idempotency-key', key)
      .send({ from: 'user:wang:wallet:CNY', to: 'user:li:wallet:CNY', amount: { value: '1.00', currency: 'CNY' }, note: NOTE });

  beforeAll(async () => {
    database = await createThrowawayDatabase('e2e_keys');
    // Every process runs with the same KEKs (ATTEST_KEKS); each has its own data directory.
    const shared = { ATTEST_STORE: 'postgres', ATTEST_POSTGRES_URL: database.url, ATTEST_KEKS: generateKek('shared-kek') };
    a = await startTestApp(shared);
    b = await startTestApp({ ...shared, ATTEST_PROJECTIONS: 'external' });
    expect([a.config.keyStore, b.config.keyStore]).toEqual(['postgres', 'postgres']);
    await publishCatalogue(a);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  it('shares the keys: sealed by one process, opened by the other; erased through one, refused by the other right away', async () => {
    // Consent with personal data (the user agent) through B; a tip with a note through A.
    const granted = await b.http().post('/v1/subjects/wang/consents').set('authorization', await b.bearer('subject', 'wang')).set('user-agent', PERSONAL).send(creditConsentBody());
    expect(granted.status).toBe(201);
    expect((await streamOf(a, 'subject-wang'))[0]?.pii).toMatchObject({ userAgent: PERSONAL });
    const fund = await a
      .http()
      .post('/v1/deposits')
      .set('authorization', await a.bearer('finance', 'fin-1'))
      .set('idempotency-key', 'fund-wang')
      .send({ wallet: 'user:wang:wallet:CNY', amount: { value: '10.00', currency: 'CNY' }, externalReference: 'psp-wang-1' });
    expect(fund.status).toBe(201);
    expect((await tipWithNote(a, 'tip-wang-1')).status).toBe(201);
    const tipNote = async (t: TestApp) => (await streamOf(t, 'wallet-wang-CNY')).find((e) => e.type === 'TipSent')?.pii;
    expect(await tipNote(b)).toEqual({ note: NOTE });

    const erased = await a.http().post('/v1/subjects/wang/erasure').set('authorization', await a.bearer('subject', 'wang')).send({ erasureId: 'e1' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ alreadyErased: false, keyDestroyed: true });

    // B held wang's key in memory (it sealed the consent and opened the tip). Straight away:
    const refused = await tipWithNote(b, 'tip-wang-2');
    expect(refused.status).toBe(410);
    expect(refused.body.code).toBe('SUBJECT_ERASED');
    expect(await tipNote(b)).toEqual({ erased: true, owner: 'wang' });
    expect((await streamOf(b, 'subject-wang'))[0]?.pii).toEqual({ erased: true, owner: 'wang' });
    expect(await tipNote(a)).toEqual({ erased: true, owner: 'wang' });

    // The catalogue's organisational data (sealed by A under the recipients' own keys) is untouched.
    const recipient = (await streamOf(b, 'recipient-bureau'))[0]?.pii;
    expect(recipient).toBeDefined();
    expect(recipient).not.toHaveProperty('erased');
  }, 30_000);
});
