import { bigintString } from '@attest/event-store';
import { z } from 'zod';
import { accountAddress } from './accounts';

/**
 * A posting moves `amountMinor` from `debit` to `credit` (Formance's source → destination).
 * An entry is a list of postings in one currency; it balances by construction because each
 * posting debits and credits the same amount — what we assert is that every amount is positive,
 * every address is in the entry's currency and no posting is to itself.
 */
export const postingSchema = z.strictObject({
  debit: accountAddress,
  credit: accountAddress,
  amountMinor: bigintString,
});
export type Posting = z.output<typeof postingSchema>;

/** Upper bound of postings in one entry (the largest entry, a reversal, has 2). */
export const POSTINGS_PER_ENTRY_MAX = 8;

/** Why a list of postings is not a valid balanced entry, or null when it is. */
export const postingsProblem = (postings: readonly Posting[], currency: string): string | null => {
  if (postings.length === 0) return 'an entry needs at least one posting';
  if (postings.length > POSTINGS_PER_ENTRY_MAX) return `an entry has at most ${POSTINGS_PER_ENTRY_MAX} postings`;
  let debits = 0n;
  let credits = 0n;
  for (const posting of postings) {
    if (posting.amountMinor <= 0n) return `posting ${posting.debit} → ${posting.credit} has a non-positive amount`;
    if (posting.debit === posting.credit) return `posting to itself on ${posting.debit}`;
    if (!posting.debit.endsWith(`:${currency}`) || !posting.credit.endsWith(`:${currency}`)) return `posting outside the entry's currency ${currency}`;
    debits += posting.amountMinor;
    credits += posting.amountMinor;
  }
  return debits === credits ? null : 'debits and credits differ';
};

/** Net effect of postings per account (credits − debits). Sums to zero for a balanced entry. */
export const netByAccount = (postings: readonly Posting[]): Map<string, bigint> => {
  const net = new Map<string, bigint>();
  for (const posting of postings) {
    net.set(posting.debit, (net.get(posting.debit) ?? 0n) - posting.amountMinor);
    net.set(posting.credit, (net.get(posting.credit) ?? 0n) + posting.amountMinor);
  }
  return net;
};
