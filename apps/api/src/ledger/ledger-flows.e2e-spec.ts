import { ProjectionRunner } from '@attest/projection-runner';
import { allAccounts } from '@attest/projections/balances/balances.queries';
import { anomalies } from '@attest/projections/balances/balances.queries';
import { READ_MODEL_STORE } from '../infrastructure/infrastructure.module';
import { ReadModelStore } from '@attest/projection-runner';
import { EventStore } from '@attest/event-store';
import { startLedgerApp, LedgerFixture } from './test/ledger-fixture';

const post = async (t: LedgerFixture, path: string, role: 'subject' | 'finance' | 'operator', id: string, body: Record<string, unknown>) =>
  t
    .http()
    .post(path)
    .set('authorization', await t.bearer(role, id))
    .send({ idempotencyKey: t.key(), ...body });

describe('ledger flows over HTTP', () => {
  let t: LedgerFixture;
  beforeAll(async () => {
    t = await startLedgerApp({ ATTEST_FRIEND_REQUEST_HOLD_SECONDS: '1' });
    expect((await t.deposit('ann', '100.00')).status).toBe(201);
  });
  afterAll(() => t.close());

  it('deposits: roles, duplicate processor reference, currency mismatch, bad input', async () => {
    const asSubject = await post(t, '/v1/deposits', 'subject', 'ann', { wallet: 'user:ann:wallet:CNY', amount: { value: '1.00', currency: 'CNY' }, externalReference: 'x1' });
    expect(asSubject.status).toBe(403);
    const first = await post(t, '/v1/deposits', 'operator', 'op', { wallet: 'user:ben:wallet:CNY', amount: { value: '5.00', currency: 'CNY' }, externalReference: 'psp-dup' });
    expect(first.status).toBe(201);
    const head = await t.head();
    const duplicate = await post(t, '/v1/deposits', 'finance', 'f', { wallet: 'user:ben:wallet:CNY', amount: { value: '5.00', currency: 'CNY' }, externalReference: 'psp-dup' });
    expect([duplicate.status, duplicate.body.code]).toEqual([409, 'DUPLICATE_EXTERNAL_REFERENCE']);
    const mismatch = await post(t, '/v1/deposits', 'finance', 'f', { wallet: 'user:ben:wallet:CNY', amount: { value: '5.00', currency: 'USD' }, externalReference: 'psp-2' });
    expect([mismatch.status, mismatch.body.code]).toEqual([422, 'CURRENCY_MISMATCH']);
    const missing = await post(t, '/v1/deposits', 'finance', 'f', { wallet: 'user:ben:wallet:CNY', amount: { value: '5.00', currency: 'CNY' } });
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.externalReference']);
    expect(await t.head()).toBe(head);
  });

  it('friend-request fee: held, then accepted once (minus commission); a second resolution is HOLD_ALREADY_RESOLVED', async () => {
    const held = await post(t, '/v1/friend-requests', 'subject', 'ann', { from: 'user:ann:wallet:CNY', to: 'user:cat:wallet:CNY', fee: { value: '10.00', currency: 'CNY' } });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ type: 'FriendRequestFeeHeld', status: 'held' });
    expect(await t.balance('user:ann:wallet:CNY')).toEqual({ posted: '90.00', held: '10.00' });
    expect(await t.balance('holds:escrow:CNY')).toEqual({ posted: '10.00', held: '0.00' });
    const byOther = await post(t, `/v1/friend-requests/${held.body.holdId}/accept`, 'subject', 'dan', {});
    expect([byOther.status, byOther.body.code]).toEqual([403, 'FORBIDDEN']);
    const accepted = await post(t, `/v1/friend-requests/${held.body.holdId}/accept`, 'subject', 'cat', {});
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', fee: { value: '0.50' }, net: { value: '9.50' } });
    expect(await t.balance('user:cat:wallet:CNY')).toEqual({ posted: '9.50', held: '0.00' });
    expect(await t.balance('user:ann:wallet:CNY')).toEqual({ posted: '90.00', held: '0.00' });
    const head = await t.head();
    const again = await post(t, `/v1/friend-requests/${held.body.holdId}/withdraw`, 'subject', 'ann', {});
    expect([again.status, again.body.code, again.body.holdStatus]).toEqual([409, 'HOLD_ALREADY_RESOLVED', 'captured']);
    expect(await t.head()).toBe(head);
  });

  it('friend-request fee: declined, withdrawn and (after its time) expired return the fee', async () => {
    for (const [action, actor] of [
      ['decline', 'cat'],
      ['withdraw', 'ann'],
    ] as const) {
      const held = await post(t, '/v1/friend-requests', 'subject', 'ann', { from: 'user:ann:wallet:CNY', to: 'user:cat:wallet:CNY', fee: { value: '1.00', currency: 'CNY' } });
      const resolved = await post(t, `/v1/friend-requests/${held.body.holdId}/${action}`, 'subject', actor, {});
      expect(resolved.status).toBe(200);
      expect(resolved.body.status).toBe(`${action}${action === 'decline' ? 'd' : 'n'}`);
    }
    expect(await t.balance('user:ann:wallet:CNY')).toEqual({ posted: '90.00', held: '0.00' });
    const held = await post(t, '/v1/friend-requests', 'subject', 'ann', { from: 'user:ann:wallet:CNY', to: 'user:cat:wallet:CNY', fee: { value: '1.00', currency: 'CNY' } });
    const early = await post(t, `/v1/friend-requests/${held.body.holdId}/expire`, 'operator', 'op', {});
    expect([early.status, early.body.code]).toEqual([422, 'HOLD_NOT_EXPIRED']);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await post(t, `/v1/friend-requests/${held.body.holdId}/expire`, 'operator', 'op', {});
    expect([expired.status, expired.body.status]).toEqual([200, 'expired']);
    const unknown = await post(t, '/v1/friend-requests/0190a000-0000-7000-8000-000000000999/accept', 'subject', 'cat', {});
    expect([unknown.status, unknown.body.code]).toEqual([404, 'HOLD_NOT_FOUND']);
    const badId = await post(t, '/v1/friend-requests/nope/accept', 'subject', 'cat', {});
    expect([badId.status, badId.body.errors[0].path]).toEqual([400, 'params.holdId']);
  });

  it('reversal: compensating entry, once; refusing to go negative unless forced (recorded)', async () => {
    const tip = await t.tip('ann', 'eve', '20.00');
    expect(tip.status).toBe(201);
    const bySubject = await post(t, '/v1/reversals', 'subject', 'ann', { entryId: tip.body.entryId, reason: 'mine' });
    expect(bySubject.status).toBe(403);
    const reversed = await post(t, '/v1/reversals', 'finance', 'f', { entryId: tip.body.entryId, reason: 'chargeback' });
    expect(reversed.status).toBe(201);
    expect(reversed.body).toMatchObject({ type: 'EntryReversed', originalEntryId: tip.body.entryId, forced: false });
    expect(await t.balance('user:eve:wallet:CNY')).toEqual({ posted: '0.00', held: '0.00' });
    const twice = await post(t, '/v1/reversals', 'finance', 'f', { entryId: tip.body.entryId, reason: 'again' });
    expect([twice.status, twice.body.code]).toEqual([409, 'ALREADY_REVERSED']);

    const second = await t.tip('ann', 'eve', '10.00');
    const payout = await post(t, '/v1/payouts', 'subject', 'eve', { wallet: 'user:eve:wallet:CNY', amount: { value: '9.50', currency: 'CNY' } });
    expect(payout.status).toBe(201);
    const head = await t.head();
    const refused = await post(t, '/v1/reversals', 'finance', 'f', { entryId: second.body.entryId, reason: 'fraud' });
    expect([refused.status, refused.body.code]).toEqual([422, 'NEGATIVE_BALANCE_NOT_FORCED']);
    expect(await t.head()).toBe(head);
    const forced = await post(t, '/v1/reversals', 'finance', 'f', { entryId: second.body.entryId, reason: 'fraud', force: true });
    expect([forced.status, forced.body.forced]).toEqual([201, true]);
    expect(await t.balance('user:eve:wallet:CNY')).toEqual({ posted: '-9.50', held: '0.00' });
    const notReversible = await post(t, '/v1/reversals', 'finance', 'f', { entryId: payout.body.payoutId, reason: 'x' });
    expect(notReversible.body.code).toBe('NOT_REVERSIBLE');
    const unknown = await post(t, '/v1/reversals', 'finance', 'f', { entryId: '0190a000-0000-7000-8000-000000000999', reason: 'x' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'ENTRY_NOT_FOUND']);
  });

  it('payouts: request, settle once; fail returns the funds; only finance completes', async () => {
    await t.deposit('fay', '50.00');
    const request = await post(t, '/v1/payouts', 'subject', 'fay', { wallet: 'user:fay:wallet:CNY', amount: { value: '30.00', currency: 'CNY' } });
    expect(request.body).toMatchObject({ status: 'requested', amount: { value: '30.00' } });
    expect(await t.balance('payouts:clearing:CNY')).toMatchObject({ posted: '39.50' }); // eve's 9.50 from the reversal test is pending too
    const tooMuch = await post(t, '/v1/payouts', 'subject', 'fay', { wallet: 'user:fay:wallet:CNY', amount: { value: '30.00', currency: 'CNY' } });
    expect(tooMuch.body.code).toBe('INSUFFICIENT_FUNDS');
    const notFinance = await post(t, `/v1/payouts/${request.body.payoutId}/settle`, 'subject', 'fay', { externalReference: 'x' });
    expect(notFinance.status).toBe(403);
    const settled = await post(t, `/v1/payouts/${request.body.payoutId}/settle`, 'finance', 'f', { externalReference: 'psp-out-1' });
    expect([settled.status, settled.body.status]).toEqual([200, 'settled']);
    const late = await post(t, `/v1/payouts/${request.body.payoutId}/fail`, 'finance', 'f', { failureCode: 'LATE' });
    expect([late.status, late.body.code]).toEqual([409, 'PAYOUT_ALREADY_COMPLETED']);
    const second = await post(t, '/v1/payouts', 'subject', 'fay', { wallet: 'user:fay:wallet:CNY', amount: { value: '20.00', currency: 'CNY' } });
    const failed = await post(t, `/v1/payouts/${second.body.payoutId}/fail`, 'finance', 'f', { failureCode: 'ACCOUNT_CLOSED' });
    expect([failed.status, failed.body.status]).toEqual([200, 'failed']);
    expect(await t.balance('user:fay:wallet:CNY')).toEqual({ posted: '20.00', held: '0.00' });
    const missing = await post(t, '/v1/payouts/0190a000-0000-7000-8000-000000000999/settle', 'finance', 'f', { externalReference: 'x' });
    expect(missing.body.code).toBe('PAYOUT_NOT_FOUND');
  });

  it('reads: point-in-time balance, statement pages with running balance, scoping, trial balance zero at every position, daily summary', async () => {
    const finance = await t.bearer('finance', 'f');
    await t.deposit('gus', '10.00');
    const tip = await t.tip('gus', 'hal', '4.00');
    const position = tip.body.position as string;
    await t.tip('gus', 'hal', '3.00');
    expect(await t.balance('user:gus:wallet:CNY', String(BigInt(position) - 1n))).toEqual({ posted: '10.00', held: '0.00' });
    expect(await t.balance('user:gus:wallet:CNY', position)).toEqual({ posted: '6.00', held: '0.00' });
    expect(await t.balance('user:gus:wallet:CNY', '2000-01-01T00:00:00.000Z')).toEqual({ posted: '0.00', held: '0.00' });
    expect(await t.balance('user:gus:wallet:CNY')).toEqual({ posted: '3.00', held: '0.00' });

    const page1 = await t.http().get('/v1/accounts/user:gus:wallet:CNY/statement?limit=2').set('authorization', await t.bearer('subject', 'gus'));
    expect(page1.status).toBe(200);
    expect(page1.body.lines.map((l: { balance: { value: string } }) => l.balance.value)).toEqual(['10.00', '6.00']);
    const page2 = await t.http().get(`/v1/accounts/user:gus:wallet:CNY/statement?limit=2&cursor=${page1.body.nextCursor}`).set('authorization', finance);
    expect(page2.body.lines.map((l: { change: { value: string } }) => l.change.value)).toEqual(['-3.00']);
    expect(page2.body.nextCursor).toBeNull();
    const others = await t.http().get('/v1/accounts/user:gus:wallet:CNY/balance').set('authorization', await t.bearer('subject', 'hal'));
    expect(others.status).toBe(403);
    const badAsOf = await t.http().get('/v1/accounts/user:gus:wallet:CNY/balance?asOf=yesterday').set('authorization', finance);
    expect([badAsOf.status, badAsOf.body.errors[0].path]).toEqual([400, 'query.asOf']);
    const tooBig = await t.http().get('/v1/accounts/user:gus:wallet:CNY/statement?limit=1000').set('authorization', finance);
    expect(tooBig.status).toBe(400);

    const head = await t.head();
    for (let p = 1n; p <= head; p++) expect(await t.trialBalance('CNY', p.toString())).toMatchObject({ balanced: true, total: { value: '0.00' } });

    const today = new Date().toISOString().slice(0, 10);
    const summary = await t.http().get(`/v1/ledger/daily-summary?currency=CNY&from=${today}&to=${today}`).set('authorization', finance);
    expect(summary.status).toBe(200);
    expect(summary.body.days[0]).toMatchObject({ day: today, reversalsCount: 2, payoutsSettledCount: 1, payoutsFailedCount: 1 });
    expect(summary.body.days[0].tipsCount).toBeGreaterThanOrEqual(4);
    const subjectSummary = await t.http().get(`/v1/ledger/daily-summary?currency=CNY&from=${today}&to=${today}`).set('authorization', await t.bearer('subject', 'gus'));
    expect(subjectSummary.status).toBe(403);
  });

  it('a rebuilt balances projection equals the live one, and recorded no anomaly', async () => {
    const readModels = t.app.get<ReadModelStore>(READ_MODEL_STORE);
    const runner = t.app.get(ProjectionRunner);
    const head = await t.app.get(EventStore).headPosition();
    await runner.waitFor('balances', head);
    const live = await allAccounts(readModels.query);
    expect(await anomalies(readModels.query)).toEqual([]);
    await runner.rebuild('balances');
    await runner.waitFor('balances', head);
    expect(await allAccounts(readModels.query)).toEqual(live);
  });
});
