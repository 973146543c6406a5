import { DemoChapter, DemoContext } from './demo-context';
import { pickString } from './demo-http';
import { StepRecorder } from './demo-step';

const wallet = (user: string) => `user:${user}:wallet:CNY`;
const cny = (value: string) => ({ value, currency: 'CNY' });

/** Posted and held balance of a wallet, as finance reads it. */
export const balanceOf = async (context: DemoContext, user: string): Promise<{ posted: string; held: string }> => {
  const answer = await context.http.call('GET', `/v1/accounts/${wallet(user)}/balance`, await context.token('finance', 'fin-1'));
  return { posted: pickString(answer.body, 'posted.value') ?? '?', held: pickString(answer.body, 'held.value') ?? '?' };
};

const balanceRows = async (context: DemoContext, users: string[]): Promise<string[][]> =>
  Promise.all(users.map(async (user) => [user, ...Object.values(await balanceOf(context, user))]));

export const tip = async (context: DemoContext, from: string, to: string, value: string) =>
  context.http.call('POST', '/v1/tips', await context.token('subject', from), { from: wallet(from), to: wallet(to), amount: cny(value) }, { 'idempotency-key': context.key() });

const holdFee = async (context: DemoContext, from: string, to: string, value: string) =>
  context.http.call('POST', '/v1/friend-requests', await context.token('subject', from), { idempotencyKey: context.key(), from: wallet(from), to: wallet(to), fee: cny(value) });

const fundWallets: DemoChapter = {
  id: 'fund-wallets',
  title: 'Users fund their wallets',
  run: async (context) => {
    const step = new StepRecorder('fund-wallets', 'Users fund their wallets');
    step.say('Finance records three deposits confirmed by the payment processor (integer fen inside, decimal strings on the wire).');
    const finance = await context.token('finance', 'fin-1');
    const statuses: number[] = [];
    for (const [user, value] of [
      ['jun', '500.00'],
      ['mei', '100.00'],
      ['lan', '100.00'],
    ] as const) {
      const answer = await context.http.call('POST', '/v1/deposits', finance, { idempotencyKey: context.key(), wallet: wallet(user), amount: cny(value), externalReference: `psp-dep-${user}` });
      statuses.push(answer.status);
    }
    step.expect('depositStatuses', statuses.map(String), ['201', '201', '201']);
    const rows = await balanceRows(context, ['jun', 'mei', 'lan']);
    step.table(['wallet', 'posted', 'held'], rows);
    step.expect('junPosted', rows[0]?.[1] ?? null, '500.00');
    return step.outcome();
  },
};

const tips: DemoChapter = {
  id: 'tips',
  title: 'Jun tips Mei',
  run: async (context) => {
    const step = new StepRecorder('tips', 'Jun tips Mei');
    const answer = await tip(context, 'jun', 'mei', '20.00');
    step.expect('status', answer.status, 201);
    const position = pickString(answer.body, 'position');
    context.state.firstTipPosition = position === null ? null : BigInt(position);
    step.fact('position', position);
    step.say(`Jun tips Mei 20.00 CNY; the platform keeps its commission, computed once with a written rounding rule, so the entry balances by construction (event at position ${position}).`);
    const [jun, mei] = [await balanceOf(context, 'jun'), await balanceOf(context, 'mei')];
    step.table(['wallet', 'posted', 'held'], [['jun', jun.posted, jun.held], ['mei', mei.posted, mei.held]]);
    step.expect('junPosted', jun.posted, '480.00');
    step.expect('meiPosted', mei.posted, '119.00');
    return step.outcome();
  },
};

const friendRequestAccepted: DemoChapter = {
  id: 'friend-request-accepted',
  title: 'A friend-request fee is held, then accepted',
  run: async (context) => {
    const step = new StepRecorder('friend-request-accepted', 'A friend-request fee is held, then accepted');
    const held = await holdFee(context, 'jun', 'mei', '10.00');
    step.expect('heldStatus', held.status, 201);
    step.expect('holdState', pickString(held.body, 'status'), 'held');
    const whileHeld = await balanceOf(context, 'jun');
    step.expect('junHeldWhilePending', whileHeld.held, '10.00');
    step.say('Jun pays 10.00 to send Mei a friend request: the fee is held (two-phase), not yet Mei\'s.');
    const holdId = pickString(held.body, 'holdId') ?? 'missing';
    const accepted = await context.http.call('POST', `/v1/friend-requests/${holdId}/accept`, await context.token('subject', 'mei'), { idempotencyKey: context.key() });
    step.expect('acceptStatus', accepted.status, 200);
    step.expect('acceptedState', pickString(accepted.body, 'status'), 'accepted');
    step.expect('net', pickString(accepted.body, 'net.value'), '9.50');
    step.say(`Mei accepts: the hold is posted to her, minus the commission (${pickString(accepted.body, 'fee.value')}).`);
    const [jun, mei] = [await balanceOf(context, 'jun'), await balanceOf(context, 'mei')];
    step.table(['wallet', 'posted', 'held'], [['jun', jun.posted, jun.held], ['mei', mei.posted, mei.held]]);
    step.expect('junPosted', jun.posted, '470.00');
    step.expect('meiPosted', mei.posted, '128.50');
    return step.outcome();
  },
};

const friendRequestDeclined: DemoChapter = {
  id: 'friend-request-declined',
  title: 'Another friend request is declined and refunded',
  run: async (context) => {
    const step = new StepRecorder('friend-request-declined', 'Another friend request is declined and refunded');
    const held = await holdFee(context, 'jun', 'lan', '10.00');
    step.expect('heldStatus', held.status, 201);
    const holdId = pickString(held.body, 'holdId') ?? 'missing';
    const declined = await context.http.call('POST', `/v1/friend-requests/${holdId}/decline`, await context.token('subject', 'lan'), { idempotencyKey: context.key() });
    step.expect('declineStatus', declined.status, 200);
    step.expect('declinedState', pickString(declined.body, 'status'), 'declined');
    step.say('Jun sends Lan a request with a 10.00 fee; Lan declines, and the hold returns to Jun in full.');
    const [jun, lan] = [await balanceOf(context, 'jun'), await balanceOf(context, 'lan')];
    step.table(['wallet', 'posted', 'held'], [['jun', jun.posted, jun.held], ['lan', lan.posted, lan.held]]);
    step.expect('junPosted', jun.posted, '470.00');
    step.expect('junHeld', jun.held, '0.00');
    step.expect('lanPosted', lan.posted, '100.00');
    return step.outcome();
  },
};

export const LEDGER_CHAPTERS: readonly DemoChapter[] = [fundWallets, tips, friendRequestAccepted, friendRequestDeclined];
