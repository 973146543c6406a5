import { z } from 'zod';
import { Currency, CURRENCY_CODES, isCurrency } from './money';

/**
 * Accounts are readable addresses, one per owner and currency:
 *
 * | address                      | what it is                                                   |
 * |------------------------------|--------------------------------------------------------------|
 * | `user:<id>:wallet:<CUR>`     | a user's wallet (never below zero unless a reversal forced it) |
 * | `platform:commission:<CUR>`  | the platform's commission revenue                             |
 * | `processor:clearing:<CUR>`   | money in and out through the payment processor (goes negative: it mirrors cash the processor holds for us) |
 * | `payouts:clearing:<CUR>`     | payouts requested and not yet settled or failed               |
 * | `holds:escrow:<CUR>`         | friend-request fees held until accepted, declined or expired  |
 *
 * An account's balance is credits − debits, so wallets are positive when they hold money and
 * the sum of every balance in one currency is zero (the trial balance).
 */
export type SystemAccountKind = 'platform:commission' | 'processor:clearing' | 'payouts:clearing' | 'holds:escrow';
export const SYSTEM_ACCOUNT_KINDS: readonly SystemAccountKind[] = ['platform:commission', 'processor:clearing', 'payouts:clearing', 'holds:escrow'];

export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY_ALTERNATION = CURRENCY_CODES.join('|');
const WALLET = new RegExp(`^user:([A-Za-z0-9_-]{1,64}):wallet:(${CURRENCY_ALTERNATION})$`);
const SYSTEM = new RegExp(`^(platform:commission|processor:clearing|payouts:clearing|holds:escrow):(${CURRENCY_ALTERNATION})$`);

export const walletAccount = (userId: string, currency: Currency): string => `user:${userId}:wallet:${currency}`;
export const systemAccount = (kind: SystemAccountKind, currency: Currency): string => `${kind}:${currency}`;

export const parseWalletAccount = (address: string): { userId: string; currency: Currency } | null => {
  const match = WALLET.exec(address);
  if (!match?.[1] || !match[2] || !isCurrency(match[2])) return null;
  return { userId: match[1], currency: match[2] };
};

/** Parses any account address: a wallet or a system account. */
export const parseAccount = (address: string): { currency: Currency; userId: string | null } | null => {
  const wallet = parseWalletAccount(address);
  if (wallet) return wallet;
  const match = SYSTEM.exec(address);
  if (!match?.[2] || !isCurrency(match[2])) return null;
  return { currency: match[2], userId: null };
};

export const accountAddress = z.string().refine((value) => parseAccount(value) !== null, {
  message: `must be an account address: user:<id>:wallet:<CUR> or platform:commission|processor:clearing|payouts:clearing|holds:escrow:<CUR>`,
});
export const walletAddress = z.string().refine((value) => parseWalletAccount(value) !== null, {
  message: 'must be a wallet address: user:<id>:wallet:<CUR>',
});

/** The stream of a wallet: its consistency boundary (see docs/adr/0008-ledger-streams-and-consistency.md). */
export const walletStreamId = (userId: string, currency: Currency): string => `wallet-${userId}-${currency}`;
