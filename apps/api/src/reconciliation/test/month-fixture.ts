import { createHash } from 'node:crypto';
import { TestApp } from '../../../../../test/support/test-app';

/**
 * A generated month of ledger activity through the API, and the processor's settlement file for
 * it with faults injected at known lines. Ledger events are recorded "now" (commands stamp their
 * own time); settlement rows spread over the 30 days ending today, the run's period.
 */
export interface MonthFixture {
  from: string;
  to: string;
  csv: string;
  jsonLines: string;
  /** Line (1-based, header = 1) of each injected fault in the CSV. */
  lines: Record<'extraDeposit' | 'duplicatePayout' | 'offByOneFen' | 'otherCurrency' | 'malformed' | 'badAmount' | 'badDate' | 'unknownType' | 'refund' | 'batchPayout' | 'trancheA', number>;
  /** Entry id of the deposit left out of the file (missing in settlement). */
  omittedDepositEntryId: string;
}

const DAY_MS = 24 * 3600 * 1000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export const DEPOSITS = 24;

export const buildMonth = async (t: TestApp): Promise<MonthFixture> => {
  const finance = await t.bearer('finance', 'fin-1');
  const now = Date.now();
  const from = day(now - 29 * DAY_MS);
  const to = day(now);
  const entryIds: string[] = [];
  const key = (name: string) => `month-${name}`;
  for (let i = 0; i < DEPOSITS; i++) {
    const response = await t
      .http()
      .post('/v1/deposits')
      .set('authorization', finance)
      .send({ idempotencyKey: key(`dep-${i}`), wallet: `user:u${i % 4}:wallet:CNY`, amount: { value: `${100 + i}.00`, currency: 'CNY' }, externalReference: `dep-${i}` });
    if (response.status !== 201) throw new Error(`deposit ${response.status} ${JSON.stringify(response.body)}`);
    entryIds.push(response.body.entryId as string);
  }
  // Payouts: po-0 and po-1 alone; po-2 and po-3 settled together under one batch reference.
  const settleRefs = ['po-0', 'po-1', 'batch-7', 'batch-7'];
  for (let i = 0; i < settleRefs.length; i++) {
    const user = `u${i}`;
    const requested = await t
      .http()
      .post('/v1/payouts')
      .set('authorization', await t.bearer('subject', user))
      .send({ idempotencyKey: key(`po-${i}`), wallet: `user:${user}:wallet:CNY`, amount: { value: '10.00', currency: 'CNY' } });
    if (requested.status !== 201) throw new Error(`payout ${requested.status} ${JSON.stringify(requested.body)}`);
    const settled = await t
      .http()
      .post(`/v1/payouts/${requested.body.payoutId as string}/settle`)
      .set('authorization', finance)
      .send({ idempotencyKey: key(`po-${i}-settled`), externalReference: settleRefs[i] });
    if (settled.status !== 200) throw new Error(`settle ${settled.status} ${JSON.stringify(settled.body)}`);
  }
  // Tips and an open friend request, for the internal checks.
  for (let i = 0; i < 5; i++) {
    const tip = await t
      .http()
      .post('/v1/tips')
      .set('authorization', await t.bearer('subject', 'u1'))
      .set('idempotency-key', key(`tip-${i}`))
      .send({ from: 'user:u1:wallet:CNY', to: 'user:u2:wallet:CNY', amount: { value: `${3 + i}.33`, currency: 'CNY' } });
    if (tip.status !== 201) throw new Error(`tip ${tip.status} ${JSON.stringify(tip.body)}`);
  }
  const held = await t
    .http()
    .post('/v1/friend-requests')
    .set('authorization', await t.bearer('subject', 'u3'))
    .set('idempotency-key', key('fr-1'))
    .send({ from: 'user:u3:wallet:CNY', to: 'user:u0:wallet:CNY', fee: { value: '5.00', currency: 'CNY' } });
  if (held.status !== 201) throw new Error(`friend request ${held.status} ${JSON.stringify(held.body)}`);

  const rows: string[] = ['external_id,type,amount,currency,settled_at,processor_fee,reference'];
  const at = (i: number) => new Date(Date.parse(`${from}T08:00:00Z`) + (i % 30) * DAY_MS).toISOString().replace('.000Z', 'Z');
  const lines = {} as MonthFixture['lines'];
  const add = (row: string, name?: keyof MonthFixture['lines']) => {
    rows.push(row);
    if (name) lines[name] = rows.length;
  };
  for (let i = 0; i < DEPOSITS; i++) {
    if (i === 3) continue; // the deposit the processor's file lacks
    if (i === 5) add(`psp-${i},deposit,${100 + i}.01,CNY,${at(i)},0.50,dep-${i}`, 'offByOneFen');
    else if (i === 7) add(`psp-${i},deposit,${100 + i}.00,USD,${at(i)},0.50,dep-${i}`, 'otherCurrency');
    else if (i === 9) {
      // One deposit settled in two tranches: two rows, one reference, one ledger event.
      add(`psp-${i}-a,deposit,50.00,CNY,${at(i)},,dep-${i}`, 'trancheA');
      add(`psp-${i}-b,deposit,${100 + i - 50}.00,CNY,${at(i)},,dep-${i}`);
    } else add(`psp-${i},deposit,${100 + i}.00,CNY,${at(i)},0.50,dep-${i}`);
    if (i === 11) add('this line is not a settlement row', 'malformed');
  }
  add(`psp-extra,deposit,42.00,CNY,${at(2)},0.10,dep-extra`, 'extraDeposit');
  add(`po-0,payout,10.00,CNY,${at(20)},0.00,`);
  add(`po-1,payout,10.00,CNY,${at(21)},0.00,`);
  add(`po-0,payout,10.00,CNY,${at(22)},0.00,`, 'duplicatePayout');
  add(`batch-7,payout,20.00,CNY,${at(23)},0.20,`, 'batchPayout');
  add(`psp-bad-amount,deposit,12.5,CNY,${at(24)},,`, 'badAmount');
  add(`psp-bad-date,deposit,12.50,CNY,2026-02-30T10:00:00Z,,`, 'badDate');
  add(`psp-bad-type,transfer,12.50,CNY,${at(25)},,`, 'unknownType');
  add(`rf-1,refund,8.00,CNY,${at(26)},,`, 'refund');
  const csv = rows.join('\n') + '\n';

  const jsonLines =
    [
      { external_id: 'psp-0', type: 'deposit', amount: '100.00', currency: 'CNY', settled_at: at(0), reference: 'dep-0' },
      { external_id: 'psp-1', type: 'deposit', amount: 101, currency: 'CNY', settled_at: at(1), reference: 'dep-1' },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n') + '\n';
  const omitted = entryIds[3];
  if (!omitted) throw new Error('no deposit 3');
  return { from, to, csv, jsonLines, lines, omittedDepositEntryId: omitted };
};

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
