import { AMOUNT_MINOR_MAX, Currency, CURRENCIES, isCurrency, parseAmount } from '@attest/ledger';

/**
 * One row of a payment processor's settlement file, validated. Every field is checked and
 * nothing is coerced: a row that is not exactly right is an `InvalidRow` with its line number
 * and the reason, never a row with a default (Blnk's known flaw is turning a bad amount into 0).
 * See docs/settlement-file-format.md.
 */
export const SETTLEMENT_TYPES = ['deposit', 'payout', 'refund', 'fee', 'chargeback'] as const;
export type SettlementType = (typeof SETTLEMENT_TYPES)[number];
const TYPES: ReadonlySet<string> = new Set(SETTLEMENT_TYPES);

export interface SettlementRow {
  /** 1-based line of the file the row ends on (the header is line 1 in CSV). */
  line: number;
  /** The processor's id of this movement: unique in the file. */
  externalId: string;
  /** The payment reference the ledger records (default: the external id); rows sharing one are matched as a group. */
  reference: string;
  type: SettlementType;
  currency: Currency;
  amountMinor: bigint;
  /** What the processor kept on this movement (0 when the column is absent or empty). */
  processorFeeMinor: bigint;
  /** ISO-8601 UTC instant, as given. */
  settledAt: string;
  /** Milliseconds since the epoch of `settledAt` (for the period and the date tolerance). */
  settledAtMs: number;
}

export interface InvalidRow {
  line: number;
  reason: string;
}

export type ParsedLine = { ok: true; row: SettlementRow } | { ok: false; invalid: InvalidRow };

export const REQUIRED_COLUMNS = ['external_id', 'type', 'amount', 'currency', 'settled_at'] as const;
export const OPTIONAL_COLUMNS = ['processor_fee', 'reference'] as const;
export type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];
const KNOWN_COLUMNS: ReadonlySet<string> = new Set([...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]);

/** The same alphabet as the ledger's external references, so a reference means one thing on both sides. */
export const EXTERNAL_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The column positions of a header, or why the header is not one. */
export type HeaderResult = { ok: true; columns: Map<Column, number> } | { ok: false; reason: string };

export const parseHeader = (fields: readonly string[]): HeaderResult => {
  const columns = new Map<Column, number>();
  for (const [index, raw] of fields.entries()) {
    const name = raw.trim();
    if (!KNOWN_COLUMNS.has(name)) return { ok: false, reason: `unknown column "${raw}" (known: ${[...KNOWN_COLUMNS].join(', ')})` };
    if (columns.has(name as Column)) return { ok: false, reason: `column "${name}" appears twice` };
    columns.set(name as Column, index);
  }
  const missing = REQUIRED_COLUMNS.filter((name) => !columns.has(name));
  if (missing.length > 0) return { ok: false, reason: `missing column(s) ${missing.join(', ')}` };
  return { ok: true, columns };
};

/** The text of a zero fee per currency (`0.00`, `0`, `0.000`): zero is a valid processor fee (the amount itself must be positive). */
const ZERO_FEE = Object.fromEntries(Object.entries(CURRENCIES).map(([code, { exponent }]) => [code, exponent === 0 ? '0' : `0.${'0'.repeat(exponent)}`])) as Record<Currency, string>;

const parseFee = (value: string, currency: Currency): { ok: true; amountMinor: bigint } | { ok: false; message: string } =>
  value === ZERO_FEE[currency] ? { ok: true, amountMinor: 0n } : parseAmount(value, currency);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The value of `count` ASCII digits at `at`, or -1 when one of them is not a digit. */
const digitsAt = (value: string, at: number, count: number): number => {
  let number = 0;
  for (let i = at; i < at + count; i++) {
    const c = value.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    number = number * 10 + c;
  }
  return number;
};

/**
 * Milliseconds of a strict UTC instant — `2026-01-31T23:59:59Z`, or with a fraction of 1 to 3
 * digits `…59.5Z` — or null when it is not one or not a real calendar time (2026-02-30 is refused,
 * not rolled over to March as Date.parse would; no offsets, no local times). Read character by
 * character and combined with Date.UTC: a fraction of the cost of a regular expression plus
 * Date.parse, which matters at a million rows (settlement-row.spec.ts checks it against both).
 */
export const parseInstant = (value: string): number | null => {
  const length = value.length;
  // YYYY-MM-DDTHH:MM:SS then Z (20 characters) or .f Z, .ff Z, .fff Z (22 to 24).
  if (length !== 20 && (length < 22 || length > 24)) return null;
  if (value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return null;
  if (value.charCodeAt(length - 1) !== 90) return null;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  let millisecond = 0;
  if (length > 20) {
    if (value.charCodeAt(19) !== 46) return null;
    const fraction = digitsAt(value, 20, length - 21);
    if (fraction < 0) return null;
    millisecond = length === 22 ? fraction * 100 : length === 23 ? fraction * 10 : fraction;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const monthDays = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  if (day > monthDays) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
};

/** The fields of one line, by column, checked in a fixed order so the first problem is named. */
export const validateRow = (line: number, get: (column: Column) => string | undefined): ParsedLine =>
  validateFields(line, get('external_id'), get('type'), get('amount'), get('currency'), get('settled_at'), get('processor_fee'), get('reference'));

/** `validateRow` with the fields given by position (no lookup per field: a CSV reader knows its columns' places once). */
export const validateFields = (
  line: number,
  externalIdField: string | undefined,
  typeField: string | undefined,
  amountField: string | undefined,
  currencyField: string | undefined,
  settledAtField: string | undefined,
  feeField: string | undefined,
  referenceField: string | undefined,
): ParsedLine => {
  const bad = (reason: string): ParsedLine => ({ ok: false, invalid: { line, reason } });
  const externalId = externalIdField ?? '';
  if (!EXTERNAL_ID_PATTERN.test(externalId)) return bad(`external_id "${clip(externalId)}" must be 1-128 of A-Z a-z 0-9 _ . : -`);
  const reference = referenceField || externalId;
  if (reference !== externalId && !EXTERNAL_ID_PATTERN.test(reference)) return bad(`reference "${clip(reference)}" must be 1-128 of A-Z a-z 0-9 _ . : -`);
  const type = typeField ?? '';
  if (!TYPES.has(type)) return bad(`unknown type "${clip(type)}" (expected ${SETTLEMENT_TYPES.join(', ')})`);
  const currency = currencyField ?? '';
  if (!isCurrency(currency)) return bad(`unknown currency "${clip(currency)}"`);
  const amount = parseAmount(amountField ?? '', currency);
  if (!amount.ok) return bad(`amount "${clip(amountField ?? '')}" ${amount.message}`);
  const feeText = feeField ?? '';
  let processorFeeMinor = 0n;
  if (feeText !== '') {
    const fee = parseFee(feeText, currency);
    if (!fee.ok) return bad(`processor_fee "${clip(feeText)}" ${fee.message}`);
    if (fee.amountMinor > AMOUNT_MINOR_MAX) return bad('processor_fee is too large');
    processorFeeMinor = fee.amountMinor;
  }
  const settledAt = settledAtField ?? '';
  const settledAtMs = parseInstant(settledAt);
  if (settledAtMs === null) return bad(`settled_at "${clip(settledAt)}" must be a UTC instant like 2026-01-31T23:59:59Z`);
  return { ok: true, row: { line, externalId, reference, type: type as SettlementType, currency, amountMinor: amount.amountMinor, processorFeeMinor, settledAt, settledAtMs } };
};

/** Values are echoed in reasons, bounded so a garbage line cannot blow up the report. */
const clip = (value: string): string => (value.length > 40 ? `${value.slice(0, 40)}…` : value);
