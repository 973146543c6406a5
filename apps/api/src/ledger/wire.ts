import { z } from 'zod';
import { IDEMPOTENCY_KEY_PATTERN } from '@attest/idempotency';
import { Currency, CURRENCY_CODES, EntryEvent, formatAmount, parseAmount, parseWalletAccount } from '@attest/ledger';

/**
 * Request and response shapes of the ledger API, one zod schema each (validation, types and the
 * route contracts come from these). Money on the wire is `{ "value": "12.50", "currency": "CNY" }`
 * with exactly the currency's decimals (docs/adr/0007-money-wire-format.md).
 */
export const idempotencyKeyField = z.string().regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1-128 of A-Z a-z 0-9 _ . : -').optional();

const currency = z.enum(CURRENCY_CODES, { error: `must be one of ${CURRENCY_CODES.join(', ')}` });

/** A positive amount: validated against its currency's exponent, parsed to bigint minor units. */
export const moneyInput = z
  .strictObject({
    value: z.string({ error: 'must be a decimal string like "12.50"; JSON numbers are not accepted for money' }),
    currency,
  })
  .transform((money, ctx) => {
    const parsed = parseAmount(money.value, money.currency);
    if (!parsed.ok) {
      ctx.issues.push({ code: 'custom', message: parsed.message, input: money.value, path: ['value'] });
      return z.NEVER;
    }
    return { amountMinor: parsed.amountMinor, currency: money.currency };
  });

export const moneyOutput = z.strictObject({ value: z.string(), currency: z.string() });
export const money = (amountMinor: bigint, code: Currency) => ({ value: formatAmount(amountMinor, code), currency: code });

/** `user:<id>:wallet:<CUR>`, parsed to its owner and currency. */
export const walletInput = z.string().transform((address, ctx) => {
  const wallet = parseWalletAccount(address);
  if (!wallet) {
    ctx.issues.push({ code: 'custom', message: 'must be a wallet address: user:<id>:wallet:<CUR>', input: address });
    return z.NEVER;
  }
  return wallet;
});

export const reference = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 _ . : -');
export const idParams = (name: string) => z.strictObject({ [name]: z.uuid({ error: 'must be an id returned by the API (a UUID)' }) });

export const entryOutput = z.object({
  entryId: z.string(),
  type: z.string(),
  position: z.string(),
  amount: moneyOutput,
  postings: z.array(z.object({ debit: z.string(), credit: z.string(), amount: moneyOutput })),
});

/** The response for any ledger entry: the same shape for a first answer and a replay. */
export const entryToWire = (event: EntryEvent, position: bigint): Record<string, unknown> => {
  const { data } = event;
  // `Object.assign(base, …)`, not `{ ...base, … }`: a spread result gets a hidden class of its
  // own on Node 20, and V8's IC log showed three megamorphic store misses per tip answered (ADR 0022).
  const base = {
    entryId: data.entryId,
    type: event.type,
    position: position.toString(),
    amount: money(data.amountMinor, data.currency),
    postings: data.postings.map((p) => ({ debit: p.debit, credit: p.credit, amount: money(p.amountMinor, data.currency) })),
  };
  switch (event.type) {
    case 'FundsDeposited':
      return Object.assign(base, { wallet: `user:${event.data.userId}:wallet:${data.currency}`, externalReference: event.data.externalReference });
    case 'TipSent':
      return Object.assign(base, { payerId: event.data.payerId, payeeId: event.data.payeeId, fee: money(event.data.feeMinor, data.currency), net: money(event.data.netMinor, data.currency) });
    case 'FriendRequestFeeHeld':
      return Object.assign(base, { holdId: event.data.holdId, senderId: event.data.senderId, recipientId: event.data.recipientId, status: 'held', expiresAt: event.data.expiresAt });
    case 'FriendRequestFeeCaptured':
      return Object.assign(base, {
        holdId: event.data.holdId,
        status: 'accepted',
        fee: money(event.data.feeMinor, data.currency),
        net: money(event.data.netMinor, data.currency),
      });
    case 'FriendRequestFeeReleased':
      return Object.assign(base, { holdId: event.data.holdId, status: event.data.reason });
    case 'EntryReversed':
      return Object.assign(base, { originalEntryId: event.data.originalEntryId, forced: event.data.forced });
    case 'PayoutRequested':
      return Object.assign(base, { payoutId: event.data.payoutId, status: 'requested' });
    case 'PayoutSettled':
      return Object.assign(base, { payoutId: event.data.payoutId, status: 'settled', externalReference: event.data.externalReference });
    case 'PayoutFailed':
      return Object.assign(base, { payoutId: event.data.payoutId, status: 'failed', failureCode: event.data.failureCode });
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};
