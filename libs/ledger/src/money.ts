/**
 * Money: `bigint` minor units with an ISO 4217 currency. No floating point anywhere: amounts are
 * parsed from and formatted to decimal strings with string and bigint operations only.
 *
 * Wire format (docs/adr/0007-money-wire-format.md): an amount is a JSON *string* with exactly
 * the currency's number of decimals, `"12.50"` for CNY, `"1200"` for JPY. Minor-unit strings
 * (`"1250"` meant as 12.50) and JSON numbers are refused, so no value can be read two ways.
 */

/** ISO 4217 currencies the ledger knows, with their exponent (number of minor-unit digits). */
export const CURRENCIES = {
  CNY: { exponent: 2, name: 'Chinese yuan renminbi' },
  HKD: { exponent: 2, name: 'Hong Kong dollar' },
  USD: { exponent: 2, name: 'US dollar' },
  EUR: { exponent: 2, name: 'Euro' },
  JPY: { exponent: 0, name: 'Japanese yen' },
  KWD: { exponent: 3, name: 'Kuwaiti dinar' },
} as const satisfies Record<string, { exponent: number; name: string }>;

export type Currency = keyof typeof CURRENCIES;
export const CURRENCY_CODES = Object.keys(CURRENCIES) as Currency[];

export const isCurrency = (code: string): code is Currency => Object.prototype.hasOwnProperty.call(CURRENCIES, code);

/** Upper bound of any single amount: 10^15 minor units (10 trillion CNY). Bounds everything. */
export const AMOUNT_MINOR_MAX = 10n ** 15n;

export interface Money {
  amountMinor: bigint;
  currency: Currency;
}

export type ParseAmountResult = { ok: true; amountMinor: bigint } | { ok: false; message: string };

const DECIMAL = /^(0|[1-9][0-9]{0,17})(?:\.([0-9]+))?$/;

/**
 * Parses a positive decimal string with exactly the currency's exponent of decimals.
 * `"12.50"` CNY → 1250n. Refuses signs, exponents, spaces, missing or extra decimals, zero.
 */
export const parseAmount = (value: string, currency: Currency): ParseAmountResult => {
  const { exponent } = CURRENCIES[currency];
  const example = exponent === 0 ? '"1200"' : `"12.${'5'.padEnd(exponent, '0')}"`;
  const match = DECIMAL.exec(value);
  if (!match) return { ok: false, message: `must be a decimal string like ${example} (no sign, exponent or spaces)` };
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length !== exponent)
    return {
      ok: false,
      message: `${currency} amounts have exactly ${exponent} decimal place(s), like ${example}; minor-unit strings are not accepted`,
    };
  const amountMinor = BigInt(whole + fraction);
  if (amountMinor <= 0n) return { ok: false, message: 'must be greater than zero' };
  if (amountMinor > AMOUNT_MINOR_MAX) return { ok: false, message: `must be at most ${formatAmount(AMOUNT_MINOR_MAX, currency)}` };
  return { ok: true, amountMinor };
};

/** Formats minor units as the canonical wire string (`1250n` CNY → `"12.50"`, `-5n` → `"-0.05"`). */
export const formatAmount = (amountMinor: bigint, currency: Currency): string => {
  const { exponent } = CURRENCIES[currency];
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString();
  if (exponent === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(exponent + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
};

export const BASIS_POINTS_PER_UNIT = 10_000n;

/**
 * The platform's commission on `amountMinor` at `basisPoints` (1 bp = 0.01 %).
 *
 * Rounding rule (written once, here): the fee is rounded DOWN to the minor unit, in the payee's
 * favour — `floor(amount × bp / 10 000)`. The payee then gets `amount − fee`, so the entry
 * balances by construction and the platform never takes more than its rate.
 */
export const commissionFee = (amountMinor: bigint, basisPoints: number): bigint => {
  if (amountMinor < 0n) throw new RangeError('commission on a negative amount');
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) throw new RangeError('basis points must be an integer in 0..10000');
  return (amountMinor * BigInt(basisPoints)) / BASIS_POINTS_PER_UNIT;
};

/** Limits on tips and friend-request fees, per currency (inclusive). */
export interface AmountLimits {
  minMinor: bigint;
  maxMinor: bigint;
}
export type LimitsByCurrency = Partial<Record<Currency, AmountLimits>>;

/** Parses `CNY:0.01..200.00[,USD:0.50..100.00]`; throws with a readable message on bad input. */
export const parseLimits = (text: string): LimitsByCurrency => {
  const limits: LimitsByCurrency = {};
  for (const part of text.split(',')) {
    const match = /^([A-Z]{3}):([0-9.]+)\.\.([0-9.]+)$/.exec(part.trim());
    if (!match?.[1] || !match[2] || !match[3]) throw new Error(`tip limits: "${part}" is not CUR:min..max`);
    const currency = match[1];
    if (!isCurrency(currency)) throw new Error(`tip limits: unknown currency ${currency}`);
    const min = parseAmount(match[2], currency);
    const max = parseAmount(match[3], currency);
    if (!min.ok) throw new Error(`tip limits: ${currency} min ${min.message}`);
    if (!max.ok) throw new Error(`tip limits: ${currency} max ${max.message}`);
    if (min.amountMinor > max.amountMinor) throw new Error(`tip limits: ${currency} min is above max`);
    limits[currency] = { minMinor: min.amountMinor, maxMinor: max.amountMinor };
  }
  return limits;
};
