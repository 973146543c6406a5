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

/** Digits of an amount before the point, at most (a 19th could not be below AMOUNT_MINOR_MAX anyway). */
const WHOLE_DIGITS_MAX = 18;
/** Up to this many digits, an amount's minor units are exact as a JavaScript number (< 2^53). */
const EXACT_DIGITS_MAX = 15;
const ZERO = 48;
const NINE = 57;
const POINT = 46;

const exampleOf = (exponent: number): string => (exponent === 0 ? '"1200"' : `"12.${'5'.padEnd(exponent, '0')}"`);

/**
 * Parses a positive decimal string with exactly the currency's exponent of decimals.
 * `"12.50"` CNY → 1250n. Refuses signs, exponents, spaces, missing or extra decimals, zero.
 *
 * The grammar is `(0|[1-9][0-9]{0,17})(\.[0-9]+)?`, read character by character rather than by a
 * regular expression (settlement files parse a million of them; money.spec.ts checks both agree),
 * and the minor units come from the digits alone: no floating point, ever.
 */
export const parseAmount = (value: string, currency: Currency): ParseAmountResult => {
  const { exponent } = CURRENCIES[currency];
  const length = value.length;
  let at = 0;
  let digits = 0;
  let minor = 0;
  const first = value.charCodeAt(0);
  if (first === ZERO) at = 1;
  else
    for (let c = first; at < length && c >= ZERO && c <= NINE; c = value.charCodeAt(++at)) {
      if (++digits <= EXACT_DIGITS_MAX) minor = minor * 10 + (c - ZERO);
    }
  const whole = at;
  let fraction = 0;
  let malformed = whole === 0 || whole > WHOLE_DIGITS_MAX;
  if (!malformed && at < length) {
    if (value.charCodeAt(at) !== POINT) malformed = true;
    else {
      for (let c = value.charCodeAt(++at); at < length && c >= ZERO && c <= NINE; c = value.charCodeAt(++at)) {
        fraction += 1;
        if (++digits <= EXACT_DIGITS_MAX) minor = minor * 10 + (c - ZERO);
      }
      malformed = fraction === 0 || at < length;
    }
  }
  if (malformed) return { ok: false, message: `must be a decimal string like ${exampleOf(exponent)} (no sign, exponent or spaces)` };
  if (fraction !== exponent)
    return {
      ok: false,
      message: `${currency} amounts have exactly ${exponent} decimal place(s), like ${exampleOf(exponent)}; minor-unit strings are not accepted`,
    };
  // A leading "0" adds no digit; beyond 15 digits the number would not be exact, the text is.
  const amountMinor = digits <= EXACT_DIGITS_MAX ? BigInt(minor) : BigInt(value.slice(0, whole) + value.slice(whole + 1));
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
