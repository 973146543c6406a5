import { Currency, formatAmount } from '@attest/ledger';
import { SettlementType } from './settlement-row';

/**
 * Matching (pure): settlement rows against ledger events by `(type, reference)`. `matchGroups`
 * groups one partition of each side in Maps (the staging hands partitions over, so memory is
 * one partition; ADR 0016); `matchSorted` merges both sides sorted by that key in one pass, and
 * is the reference `matchGroups` is tested against. Both classify every group the same way.
 *
 * A group is every row and every ledger event sharing a key, so grouped matching falls out of
 * the grouping: one processor row against several ledger events (a batch payout settled under one
 * reference), several rows against one event (a deposit settled in tranches, each row with its
 * own external id and the deposit's reference). Amounts must be equal in minor units, summed per
 * group; there is no amount tolerance. With a date tolerance, ledger events further than it from
 * every row of their group do not match them.
 */
export const MATCH_CLASSES = ['matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_settlement', 'duplicate', 'currency_mismatch'] as const;
export type MatchClass = (typeof MATCH_CLASSES)[number];

/** Ledger events the settlement file speaks about: deposits and settled payouts carry the processor's reference. */
export type LedgerKind = 'deposit' | 'payout';

export interface StagedRow {
  line: number;
  externalId: string;
  reference: string;
  type: SettlementType;
  currency: Currency;
  amountMinor: bigint;
  settledAtMs: number;
}

export interface LedgerItem {
  kind: LedgerKind;
  reference: string;
  entryId: string;
  currency: Currency;
  amountMinor: bigint;
  recordedAtMs: number;
  /** False for events loaded only because of the date tolerance: unmatched, they belong to another period. */
  inPeriod: boolean;
}

export interface MatchItem {
  class: MatchClass;
  type: SettlementType;
  reference: string;
  currency: Currency;
  /** Lines of the settlement rows (at most GROUP_LISTED_MAX listed; `rows` is the count). */
  lines: number[];
  externalIds: string[];
  entryIds: string[];
  rows: number;
  ledgerEvents: number;
  settlementMinor: bigint;
  ledgerMinor: bigint;
  reason: string | null;
}

/** Rows or events of one group listed in a report item; beyond it they are counted, not listed. */
export const GROUP_LISTED_MAX = 100;

export interface MatchOptions {
  /** Null: the reference alone decides. Otherwise the largest distance between a row and a matching event. */
  toleranceMs: number | null;
}

const keyOf = (type: string, reference: string): string => `${type}\u0000${reference}`;

/** Types the ledger has no events for: a row of these is always missing in the ledger (said so in the reason). */
const NOT_IN_LEDGER: Partial<Record<SettlementType, string>> = {
  refund: 'the ledger records no processor refunds',
  fee: 'the ledger records no processor fee charges',
  chargeback: 'the ledger records no chargebacks',
};

class Group {
  rows: StagedRow[] = [];
  events: LedgerItem[] = [];
  constructor(
    readonly type: SettlementType,
    readonly reference: string,
  ) {}
}

const list = <T>(values: readonly T[]): T[] => values.slice(0, GROUP_LISTED_MAX);
const sum = (values: readonly { amountMinor: bigint }[]): bigint => values.reduce((total, value) => total + value.amountMinor, 0n);

/** One settlement row reported on its own (no ledger side). */
export const rowItem = (row: StagedRow, cls: MatchClass, reason: string | null): MatchItem => ({
  class: cls,
  type: row.type,
  reference: row.reference,
  currency: row.currency,
  lines: [row.line],
  externalIds: [row.externalId],
  entryIds: [],
  rows: 1,
  ledgerEvents: 0,
  settlementMinor: row.amountMinor,
  ledgerMinor: 0n,
  reason,
});

const eventItem = (event: LedgerItem, reason: string | null): MatchItem => ({
  class: 'missing_in_settlement',
  type: event.kind,
  reference: event.reference,
  currency: event.currency,
  lines: [],
  externalIds: [],
  entryIds: [event.entryId],
  rows: 0,
  ledgerEvents: 1,
  settlementMinor: 0n,
  ledgerMinor: event.amountMinor,
  reason,
});

/** One row against one event, the common case, without the general path's sets and arrays. */
const classifyPair = (row: StagedRow, event: LedgerItem, options: MatchOptions): MatchItem | null => {
  if (options.toleranceMs !== null && Math.abs(row.settledAtMs - event.recordedAtMs) > options.toleranceMs) return null;
  let cls: MatchClass = 'matched';
  let reason: string | null = null;
  if (row.currency !== event.currency) {
    cls = 'currency_mismatch';
    reason = `settlement in ${row.currency}, ledger in ${event.currency}`;
  } else if (row.amountMinor !== event.amountMinor) {
    cls = 'amount_mismatch';
    reason = `settlement ${formatAmount(row.amountMinor, row.currency)}, ledger ${formatAmount(event.amountMinor, row.currency)} (difference ${formatAmount(row.amountMinor - event.amountMinor, row.currency)})`;
  }
  return {
    class: cls,
    type: row.type,
    reference: row.reference,
    currency: row.currency,
    lines: [row.line],
    externalIds: [row.externalId],
    entryIds: [event.entryId],
    rows: 1,
    ledgerEvents: 1,
    settlementMinor: row.amountMinor,
    ledgerMinor: event.amountMinor,
    reason,
  };
};

function* classify(group: Group, options: MatchOptions): Generator<MatchItem> {
  const { rows } = group;
  const [onlyRow] = rows;
  const [onlyEvent] = group.events;
  if (rows.length === 1 && group.events.length === 1 && onlyRow && onlyEvent) {
    const pair = classifyPair(onlyRow, onlyEvent, options);
    if (pair) {
      yield pair;
      return;
    }
  }
  let events = group.events;
  if (rows.length === 0) {
    for (const event of events) if (event.inPeriod) yield eventItem(event, null);
    return;
  }
  if (options.toleranceMs !== null && events.length > 0) {
    const tolerance = options.toleranceMs;
    // A loop, not Math.min(...spread): a group may hold more rows than a call takes arguments.
    let earliest = Number.POSITIVE_INFINITY;
    let latest = Number.NEGATIVE_INFINITY;
    for (const row of rows) {
      earliest = Math.min(earliest, row.settledAtMs - tolerance);
      latest = Math.max(latest, row.settledAtMs + tolerance);
    }
    const outside = events.filter((event) => event.recordedAtMs < earliest || event.recordedAtMs > latest);
    for (const event of outside) if (event.inPeriod) yield eventItem(event, 'recorded outside the date tolerance of the settlement rows with this reference');
    events = events.filter((event) => event.recordedAtMs >= earliest && event.recordedAtMs <= latest);
    if (events.length === 0 && outside.length > 0) {
      for (const row of rows) yield rowItem(row, 'missing_in_ledger', 'the ledger events with this reference are outside the date tolerance');
      return;
    }
  }
  if (events.length === 0) {
    const reason = NOT_IN_LEDGER[group.type] ?? null;
    for (const row of rows) yield rowItem(row, 'missing_in_ledger', reason);
    return;
  }
  const [first] = rows;
  if (!first) return;
  const settlementMinor = sum(rows);
  const ledgerMinor = sum(events);
  const rowCurrencies = new Set(rows.map((row) => row.currency));
  const ledgerCurrencies = new Set(events.map((event) => event.currency));
  const sameCurrency = rowCurrencies.size === 1 && ledgerCurrencies.size === 1 && ledgerCurrencies.has(first.currency);
  let cls: MatchClass = 'matched';
  let reason: string | null = null;
  if (!sameCurrency) {
    cls = 'currency_mismatch';
    reason = `settlement in ${[...rowCurrencies].join('+')}, ledger in ${[...ledgerCurrencies].join('+')}`;
  } else if (settlementMinor !== ledgerMinor) {
    cls = 'amount_mismatch';
    const difference = settlementMinor - ledgerMinor;
    reason = `settlement ${formatAmount(settlementMinor, first.currency)}, ledger ${formatAmount(ledgerMinor, first.currency)} (difference ${formatAmount(difference, first.currency)})`;
  }
  yield {
    class: cls,
    type: group.type,
    reference: group.reference,
    currency: first.currency,
    lines: list(rows.map((row) => row.line)),
    externalIds: list(rows.map((row) => row.externalId)),
    entryIds: list(events.map((event) => event.entryId)),
    rows: rows.length,
    ledgerEvents: events.length,
    settlementMinor,
    ledgerMinor,
    reason,
  };
}

/** Thrown when an input is not sorted as promised: a bug of the caller, never a data problem. */
export class UnsortedInput extends Error {
  constructor(side: string, previous: string, next: string) {
    super(`${side} are not sorted by (type, reference): ${JSON.stringify(previous)} then ${JSON.stringify(next)}`);
    this.name = 'UnsortedInput';
  }
}

/** Largest group held at once; a bigger one is a broken file or ledger, refused loudly. */
export const GROUP_SIZE_MAX = 100_000;

/**
 * Merges rows and ledger events, both sorted by (type, reference) in code-unit order (byte order
 * for the ASCII alphabet of references), and yields one item per row, event or group, in key
 * order. Memory is one group. The order of its items is the report's order of exceptions.
 */
export function* matchSorted(rows: Iterable<StagedRow>, ledger: Iterable<LedgerItem>, options: MatchOptions): Generator<MatchItem> {
  const rowIterator = rows[Symbol.iterator]();
  const ledgerIterator = ledger[Symbol.iterator]();
  // Each side's current item and its key, computed once per item (this loop runs millions of times).
  let row = rowIterator.next();
  let rowKey = row.done ? null : keyOf(row.value.type, row.value.reference);
  let event = ledgerIterator.next();
  let eventKey = event.done ? null : keyOf(event.value.kind, event.value.reference);
  const nextRow = () => {
    const previous = rowKey;
    row = rowIterator.next();
    rowKey = row.done ? null : keyOf(row.value.type, row.value.reference);
    if (rowKey !== null && previous !== null && rowKey < previous) throw new UnsortedInput('settlement rows', previous, rowKey);
  };
  const nextEvent = () => {
    const previous = eventKey;
    event = ledgerIterator.next();
    eventKey = event.done ? null : keyOf(event.value.kind, event.value.reference);
    if (eventKey !== null && previous !== null && eventKey < previous) throw new UnsortedInput('ledger events', previous, eventKey);
  };
  while (rowKey !== null || eventKey !== null) {
    const key = rowKey === null ? eventKey : eventKey === null ? rowKey : rowKey < eventKey ? rowKey : eventKey;
    const groupRows: StagedRow[] = [];
    const groupEvents: LedgerItem[] = [];
    while (!row.done && rowKey === key) {
      groupRows.push(row.value);
      if (groupRows.length > GROUP_SIZE_MAX) throw new RangeError(`more than ${GROUP_SIZE_MAX} settlement rows share reference ${row.value.reference}`);
      nextRow();
    }
    while (!event.done && eventKey === key) {
      groupEvents.push(event.value);
      if (groupEvents.length > GROUP_SIZE_MAX) throw new RangeError(`more than ${GROUP_SIZE_MAX} ledger events share reference ${event.value.reference}`);
      nextEvent();
    }
    const [firstRow] = groupRows;
    const [firstEvent] = groupEvents;
    // The common case, one row and one event, without the general path's allocations.
    if (groupRows.length === 1 && groupEvents.length === 1 && firstRow && firstEvent) {
      const pair = classifyPair(firstRow, firstEvent, options);
      if (pair) {
        yield pair;
        continue;
      }
    }
    const group = new Group(firstRow ? firstRow.type : (firstEvent as LedgerItem).kind, firstRow ? firstRow.reference : (firstEvent as LedgerItem).reference);
    group.rows = groupRows;
    group.events = groupEvents;
    yield* classify(group, options);
  }
}

const byLine = (a: StagedRow, b: StagedRow) => a.line - b.line;
const byEntryId = (a: LedgerItem, b: LedgerItem) => (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0);

/** One side of a partition by type, then by reference: the item alone (the common case, no array), or all of them. */
type Side<T> = Map<string, Map<string, T | T[]>>;

const collect = <T extends { reference: string }>(side: Side<T>, type: string, item: T, what: string): void => {
  let byReference = side.get(type);
  if (byReference === undefined) {
    byReference = new Map();
    side.set(type, byReference);
  }
  const found = byReference.get(item.reference);
  if (found === undefined) byReference.set(item.reference, item);
  else if (!Array.isArray(found)) byReference.set(item.reference, [found, item]);
  else if (found.push(item) > GROUP_SIZE_MAX) throw new RangeError(`more than ${GROUP_SIZE_MAX} ${what} share reference ${item.reference}`);
};

const groupOf = (type: SettlementType, reference: string, rows: StagedRow | StagedRow[] | undefined, events: LedgerItem | LedgerItem[] | undefined): Group => {
  const group = new Group(type, reference);
  group.rows = rows === undefined ? [] : Array.isArray(rows) ? rows.sort(byLine) : [rows];
  group.events = events === undefined ? [] : Array.isArray(events) ? events.sort(byEntryId) : [events];
  return group;
};

/**
 * Rows and ledger events in any order (one partition of each side: every row and event sharing a
 * `(type, reference)` must be in the same call), grouped by that key in Maps, and one item per
 * row, event or group — the same items `matchSorted` gives for the same inputs, group by group in
 * an unspecified order of groups (the report orders them). Within a group, rows are taken by line
 * and events by entry id, as the sorted merge sees them.
 */
export function* matchGroups(rows: readonly StagedRow[], ledger: readonly LedgerItem[], options: MatchOptions): Generator<MatchItem> {
  const rowSide: Side<StagedRow> = new Map();
  const eventSide: Side<LedgerItem> = new Map();
  for (const row of rows) collect(rowSide, row.type, row, 'settlement rows');
  for (const event of ledger) collect(eventSide, event.kind, event, 'ledger events');
  for (const [type, byReference] of rowSide) {
    const eventsOf = eventSide.get(type);
    for (const [reference, found] of byReference) {
      const events = eventsOf?.get(reference);
      if (events !== undefined) eventsOf?.delete(reference);
      // The common case, one row and one event, without the general path's allocations.
      if (events !== undefined && !Array.isArray(found) && !Array.isArray(events)) {
        const pair = classifyPair(found, events, options);
        if (pair) {
          yield pair;
          continue;
        }
      }
      yield* classify(groupOf(type as SettlementType, reference, found, events), options);
    }
  }
  // Ledger events no row speaks about.
  for (const [kind, byReference] of eventSide) for (const [reference, events] of byReference) yield* classify(groupOf(kind as SettlementType, reference, undefined, events), options);
}
