import { v4 as uuidv4 } from 'uuid';
import { EventRegistry, JsonObject, RecordedEvent, StoredEvent } from '@attest/event-store';
import { LEDGER_EVENTS, systemAccount, walletAccount } from '@attest/ledger';
import { contributionOf, CONTRIBUTING_TYPES, storedContributionOf } from './credit-features.definitions';

/**
 * The stored-JSON reader must give exactly what `contributionOf` gives for the decoded event, and
 * decline (undefined: decode instead) whenever the stored form is not one it vouches for.
 */
describe('storedContributionOf', () => {
  const registry = new EventRegistry().register(...LEDGER_EVENTS);
  const entry = uuidv4();
  const hold = uuidv4();
  const account = (user: string) => walletAccount(user, 'USD');
  const posting = (debit: string, credit: string, amountMinor: bigint) => [{ debit, credit, amountMinor }];
  /** One domain event of every contributing type, with distinct users on each side. */
  const domain: Record<(typeof CONTRIBUTING_TYPES)[number], { data: unknown; pii?: unknown }> = {
    FundsDeposited: { data: { entryId: entry, userId: 'dep', currency: 'USD', amountMinor: 700n, externalReference: 'psp-1', postings: posting(systemAccount('processor:clearing', 'USD'), account('dep'), 700n) } },
    TipSent: {
      data: { entryId: entry, payerId: 'payer', payeeId: 'payee', currency: 'USD', amountMinor: 1000n, feeMinor: 50n, netMinor: 950n, commissionBasisPoints: 500, postings: posting(account('payer'), account('payee'), 950n) },
      pii: null,
    },
    TipReceived: { data: { entryId: entry, payerId: 'payer', payeeId: 'payee', currency: 'USD', netMinor: 950n } },
    FriendRequestFeeCaptured: {
      data: { entryId: entry, holdId: hold, senderId: 'sender', recipientId: 'friend', currency: 'USD', amountMinor: 300n, feeMinor: 30n, netMinor: 270n, commissionBasisPoints: 1000, postings: posting(systemAccount('holds:escrow', 'USD'), account('friend'), 270n) },
    },
    FriendRequestFeeReceived: { data: { entryId: entry, holdId: hold, senderId: 'sender', recipientId: 'friend', currency: 'USD', netMinor: 270n } },
    FriendRequestFeeReleased: {
      data: { entryId: entry, holdId: hold, senderId: 'sender', recipientId: 'friend', currency: 'USD', amountMinor: 300n, reason: 'declined', postings: posting(systemAccount('holds:escrow', 'USD'), account('sender'), 300n) },
    },
    EntryReversed: {
      data: { entryId: entry, originalEntryId: hold, originalKind: 'tip', payerId: 'payer', payeeId: 'payee', currency: 'USD', amountMinor: 1000n, feeMinor: 50n, netMinor: 950n, forced: false, postings: posting(account('payee'), account('payer'), 950n) },
      pii: { reason: 'chargeback' },
    },
    ReversalCredited: { data: { entryId: entry, originalEntryId: hold, payerId: 'payer', payeeId: 'payee', currency: 'USD', amountMinor: 1000n } },
    PayoutSettled: { data: { entryId: entry, payoutId: hold, userId: 'out', currency: 'USD', amountMinor: 400n, externalReference: 'psp-2', postings: posting(systemAccount('payouts:clearing', 'USD'), systemAccount('processor:clearing', 'USD'), 400n) } },
  };

  const stored = (type: string, override: (data: JsonObject) => JsonObject = (data) => data): StoredEvent => {
    const encoded = registry.encode({ type, ...domain[type as keyof typeof domain] });
    return {
      eventId: uuidv4(),
      type,
      schemaVersion: encoded.schemaVersion,
      data: override(encoded.data),
      pii: encoded.pii,
      metadata: { recordedAt: '2026-03-01T09:00:00.000Z', correlationId: uuidv4(), causationId: null, actor: 'system:spec' },
      streamId: 'wallet-x-USD',
      streamRevision: 0n,
      globalPosition: 42n,
    };
  };
  const decoded = (event: StoredEvent): RecordedEvent => ({ ...event, data: registry.decode(event.type, event.schemaVersion, event.data, null).data, pii: null });

  it.each(CONTRIBUTING_TYPES.map((type) => [type]))('%s: the same contribution as the decoded event', (type) => {
    const event = stored(type);
    const expected = contributionOf(decoded(event));
    expect(expected).not.toBeNull();
    expect(storedContributionOf(event)).toEqual(expected);
  });

  it('events that do not count are null, like their decoded form', () => {
    const held = registry.encode({
      type: 'FriendRequestFeeHeld',
      data: { entryId: entry, holdId: hold, senderId: 'sender', recipientId: 'friend', currency: 'USD', amountMinor: 300n, expiresAt: '2026-04-01T00:00:00.000Z', postings: posting(account('sender'), systemAccount('holds:escrow', 'USD'), 300n) },
    });
    const event = { ...stored('TipReceived'), type: 'FriendRequestFeeHeld', data: held.data };
    expect(storedContributionOf(event)).toBeNull();
    expect(contributionOf(decoded(event))).toBeNull();
  });

  it('declines what it does not vouch for, so the caller decodes (and the schemas decide)', () => {
    expect(storedContributionOf({ ...stored('TipSent'), schemaVersion: 0 })).toBeUndefined();
    expect(storedContributionOf(stored('TipReceived', (data) => ({ ...data, netMinor: '0' })))).toBeUndefined();
    expect(storedContributionOf(stored('TipSent', (data) => ({ ...data, amountMinor: '0100' })))).toBeUndefined();
    expect(storedContributionOf(stored('TipSent', (data) => ({ ...data, amountMinor: 1000 })))).toBeUndefined();
    expect(storedContributionOf(stored('TipSent', (data) => ({ ...data, payerId: 'not an id' })))).toBeUndefined();
    expect(storedContributionOf(stored('TipSent', (data) => ({ ...data, payeeId: null })))).toBeUndefined();
    expect(storedContributionOf(stored('TipSent', (data) => ({ ...data, currency: 'XXX' })))).toBeUndefined();
    // A zero net amount is valid for the schema: declined here, decoded and counted by the caller.
    const zero = stored('TipReceived', (data) => ({ ...data, netMinor: '0' }));
    expect(contributionOf(decoded(zero))).toMatchObject({ subjectId: 'payee', amountMinor: 0n });
  });
});
