import { EventStore } from '@attest/event-store';
import { startTestApp, TestApp } from '../../../../../test/support/test-app';

/** A test app plus shortcuts for ledger calls (each command gets a fresh idempotency key). */
export interface LedgerFixture extends TestApp {
  deposit(userId: string, value: string, currency?: string): Promise<import('supertest').Response>;
  tip(payer: string, payee: string, value: string, key?: string): Promise<import('supertest').Response>;
  balance(account: string, asOf?: string): Promise<{ posted: string; held: string }>;
  trialBalance(currency?: string, asOf?: string): Promise<{ total: { value: string }; balanced: boolean }>;
  head(): Promise<bigint>;
  key(): string;
}

let counter = 0;

export const startLedgerApp = async (env: Record<string, string> = {}): Promise<LedgerFixture> => {
  const t = await startTestApp(env);
  const finance = await t.bearer('finance', 'fin-1');
  const key = () => `k-${process.pid}-${++counter}`;
  return {
    ...t,
    key,
    deposit: (userId, value, currency = 'CNY') =>
      t
        .http()
        .post('/v1/deposits')
        .set('authorization', finance)
        .send({ idempotencyKey: key(), wallet: `user:${userId}:wallet:${currency}`, amount: { value, currency }, externalReference: `psp-${key()}` }),
    tip: async (payer, payee, value, tipKey = key()) =>
      t
        .http()
        .post('/v1/tips')
        .set('authorization', await t.bearer('subject', payer))
        .set('idempotency-key', tipKey)
        .send({ from: `user:${payer}:wallet:CNY`, to: `user:${payee}:wallet:CNY`, amount: { value, currency: 'CNY' } }),
    balance: async (account, asOf) => {
      const response = await t
        .http()
        .get(`/v1/accounts/${account}/balance`)
        .query(asOf ? { asOf } : {})
        .set('authorization', finance);
      if (response.status !== 200) throw new Error(`balance ${response.status} ${JSON.stringify(response.body)}`);
      return { posted: response.body.posted.value, held: response.body.held.value };
    },
    trialBalance: async (currency = 'CNY', asOf) => {
      const response = await t
        .http()
        .get('/v1/ledger/trial-balance')
        .query({ currency, ...(asOf ? { asOf } : {}) })
        .set('authorization', finance);
      if (response.status !== 200) throw new Error(`trial balance ${response.status} ${JSON.stringify(response.body)}`);
      return response.body;
    },
    head: () => t.app.get(EventStore).headPosition(),
  };
};
