import { v4 as uuidv4 } from 'uuid';
import { EventStore, PendingEvent } from '@attest/event-store';
import { catalogueEvents, CREDIT_NOTICE_TEXT_V1, validCollection } from '@attest/consent/testing/fixtures';
import { noticeTextHash, noticeStream, purposeStream, recipientStream, subjectStream } from '@attest/consent';
import { systemAccount, walletAccount, walletStreamId } from '@attest/ledger';

/**
 * Domain events for the credit-features specs and benchmark: the same shapes the API writes,
 * built directly so a spec can place each one at a chosen instant in the log.
 */
export const NOTICE_V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };

export const consentGranted = (subjectId: string, consentId: string, at: string, overrides: { recipientId?: string | null; purposeId?: string; expiresAt?: string | null } = {}): PendingEvent => ({
  type: 'ConsentGranted',
  data: {
    consentId,
    subjectId,
    purposeId: overrides.purposeId ?? 'credit-scoring',
    recipientId: overrides.recipientId === undefined ? 'bureau' : overrides.recipientId,
    notice: NOTICE_V1,
    language: 'en',
    dataCategories: ['credit-score', 'transactions'],
    sensitive: true,
    collection: validCollection(),
    grantedAt: at,
    expiresAt: overrides.expiresAt ?? null,
  },
  pii: { ipPrefix: '203.0.113.0/24', userAgent: 'spec' },
});

export const consentWithdrawn = (subjectId: string, consentId: string, withdrawalId: string, at: string, overrides: { recipientId?: string | null; purposeId?: string } = {}): PendingEvent => ({
  type: 'ConsentWithdrawn',
  data: {
    withdrawalId,
    consentId,
    subjectId,
    purposeId: overrides.purposeId ?? 'credit-scoring',
    recipientId: overrides.recipientId === undefined ? 'bureau' : overrides.recipientId,
    notice: NOTICE_V1,
    scope: 'consent',
    withdrawnAt: at,
  },
});

const COMMISSION_BASIS_POINTS = 500;

export const tipSent = (payerId: string, payeeId: string, amountMinor: bigint, entryId: string = uuidv4()): PendingEvent => {
  const feeMinor = (amountMinor * BigInt(COMMISSION_BASIS_POINTS)) / 10_000n;
  const netMinor = amountMinor - feeMinor;
  return {
    type: 'TipSent',
    data: {
      entryId,
      payerId,
      payeeId,
      currency: 'CNY',
      amountMinor,
      feeMinor,
      netMinor,
      commissionBasisPoints: COMMISSION_BASIS_POINTS,
      postings: [
        { debit: walletAccount(payerId, 'CNY'), credit: walletAccount(payeeId, 'CNY'), amountMinor: netMinor },
        ...(feeMinor > 0n ? [{ debit: walletAccount(payerId, 'CNY'), credit: systemAccount('platform:commission', 'CNY'), amountMinor: feeMinor }] : []),
      ],
    },
    // TipSent carries a personal-data section (the optional note) since erasure landed: null = no note.
    pii: null,
  };
};

export const tipReceived = (tip: PendingEvent): PendingEvent => {
  const data = tip.data as { entryId: string; payerId: string; payeeId: string; netMinor: bigint };
  return { type: 'TipReceived', data: { entryId: data.entryId, payerId: data.payerId, payeeId: data.payeeId, currency: 'CNY', netMinor: data.netMinor } };
};

export const fundsDeposited = (userId: string, amountMinor: bigint, entryId: string = uuidv4()): PendingEvent => ({
  type: 'FundsDeposited',
  data: {
    entryId,
    userId,
    currency: 'CNY',
    amountMinor,
    externalReference: `psp-${entryId}`,
    postings: [{ debit: systemAccount('processor:clearing', 'CNY'), credit: walletAccount(userId, 'CNY'), amountMinor }],
  },
});

/** Appends the catalogue (purposes, recipients, notice v1) the way the operator routes would. */
export const appendCatalogue = async (store: EventStore, at: string): Promise<void> => {
  for (const event of catalogueEvents(at)) {
    const streamId =
      event.type === 'PurposeDefined' ? purposeStream(event.data.purposeId) : event.type === 'RecipientDefined' ? recipientStream(event.data.recipientId) : noticeStream(event.data.noticeId);
    await store.append(streamId, [event], { expectedRevision: 'any', actor: 'operator:spec', recordedAt: at });
  }
};

/** Appends one event of a subject (consent events) or of a wallet at the given instant. */
export const appendAt = async (store: EventStore, at: string, event: PendingEvent): Promise<bigint> => {
  const data = event.data as { subjectId?: string; userId?: string; payerId?: string; payeeId?: string };
  const streamId =
    event.type === 'ConsentGranted' || event.type === 'ConsentWithdrawn'
      ? subjectStream(String(data.subjectId))
      : walletStreamId(String(event.type === 'TipReceived' ? data.payeeId : (data.userId ?? data.payerId)), 'CNY');
  const result = await store.append(streamId, [event], { expectedRevision: 'any', actor: 'system:spec', recordedAt: at });
  return result.lastPosition;
};
