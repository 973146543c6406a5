import type { ReadModelQueries } from '@attest/projection-runner';
import { Currency, formatAmount, isCurrency } from '@attest/ledger';
import { CONTRIBUTIONS_TABLE } from './credit-features.projection';
import {
  ContributionKind,
  CREDIT_FEATURE_DEFINITIONS_VERSION,
  DERIVED_FEATURES,
  FeatureUnit,
  FeatureWindow,
  FLOW_FEATURES,
  REVERSIBLE_KINDS,
  WINDOW_DAYS,
} from './credit-features.definitions';

/** Which events a value was computed from: how many, and the global-position range they span. */
export interface Lineage {
  sourceEvents: number;
  fromPosition: bigint | null;
  toPosition: bigint | null;
}

export interface FeatureValue {
  /** Money: bigint minor units; counts, days and basis points: bigint; null when undefined (no data). */
  value: bigint | null;
  unit: FeatureUnit;
  window: FeatureWindow;
  lineage: Lineage;
}

export interface CurrencyFeatures {
  currency: Currency;
  features: Record<string, FeatureValue>;
}

export interface CreditFeatures {
  subjectId: string;
  recipientId: string;
  asOf: string;
  definitionsVersion: string;
  currencies: CurrencyFeatures[];
}

const DAY_MS = 86_400_000;
const EMPTY: Lineage = { sourceEvents: 0, fromPosition: null, toPosition: null };

/** Both stores return integers as bigint, but PostgreSQL's SUM over BIGINT is NUMERIC (a string): normalise. */
const big = (value: unknown): bigint => (value === null || value === undefined ? 0n : BigInt(value as string | number | bigint));
const bigOrNull = (value: unknown): bigint | null => (value === null || value === undefined ? null : BigInt(value as string | number | bigint));

const lineage = (count: unknown, from: unknown, to: unknown): Lineage => {
  const sourceEvents = Number(big(count));
  return sourceEvents === 0 ? EMPTY : { sourceEvents, fromPosition: bigOrNull(from), toPosition: bigOrNull(to) };
};

const merge = (a: Lineage, b: Lineage): Lineage => ({
  sourceEvents: a.sourceEvents + b.sourceEvents,
  fromPosition: a.fromPosition === null ? b.fromPosition : b.fromPosition === null ? a.fromPosition : a.fromPosition < b.fromPosition ? a.fromPosition : b.fromPosition,
  toPosition: a.toPosition === null ? b.toPosition : b.toPosition === null ? a.toPosition : a.toPosition > b.toPosition ? a.toPosition : b.toPosition,
});

/** Whole days from one instant to another, both in epoch milliseconds (as `occurred_at` stores them), rounded down. */
const wholeDays = (fromMs: number, toMs: number): bigint => BigInt(Math.floor((toMs - fromMs) / DAY_MS));

interface KindRow {
  currency: string;
  kind: string;
  count30: unknown;
  volume30: unknown;
  first30: unknown;
  last30: unknown;
  count90: unknown;
  volume90: unknown;
  first90: unknown;
  last90: unknown;
  events: unknown;
  first_at: unknown;
  last_at: unknown;
  first: unknown;
  last: unknown;
}

interface Flow {
  count: bigint;
  volume: bigint;
  lineage: Lineage;
}

/** A currency's whole history up to the instant: its events, their first and last times and positions. */
interface Lifetime {
  events: bigint;
  firstAt: bigint;
  lastAt: bigint;
  first: bigint;
  last: bigint;
}

/**
 * The features of one subject for one recipient, as of an instant (ISO-8601, millisecond
 * precision, like the stored event times): aggregates over the contributions with
 * `occurred_at <= asOf`. Two bounded aggregate queries (their results have at most one row per
 * currency and kind), whatever the subject's history length; no row is read one by one. The
 * first gives each kind's 30- and 90-day flows and its whole history (a currency's lifetime is
 * the sum over its kinds); the second counts distinct counterparties, which cannot be summed
 * over kinds.
 */
export const queryCreditFeatures = async (db: ReadModelQueries, subjectId: string, recipientId: string, asOf: string): Promise<CreditFeatures> => {
  const asOfMs = Date.parse(asOf);
  const since30 = asOfMs - WINDOW_DAYS['30d'] * DAY_MS;
  const since90 = asOfMs - WINDOW_DAYS['90d'] * DAY_MS;
  const kinds = await db.all<KindRow>(
    `SELECT currency, kind,
       SUM(CASE WHEN occurred_at > ? THEN 1 ELSE 0 END) AS count30,
       SUM(CASE WHEN occurred_at > ? THEN amount_minor ELSE 0 END) AS volume30,
       MIN(CASE WHEN occurred_at > ? THEN position END) AS first30,
       MAX(CASE WHEN occurred_at > ? THEN position END) AS last30,
       SUM(CASE WHEN occurred_at > ? THEN 1 ELSE 0 END) AS count90,
       SUM(CASE WHEN occurred_at > ? THEN amount_minor ELSE 0 END) AS volume90,
       MIN(CASE WHEN occurred_at > ? THEN position END) AS first90,
       MAX(CASE WHEN occurred_at > ? THEN position END) AS last90,
       COUNT(*) AS events, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at, MIN(position) AS first, MAX(position) AS last
     FROM ${CONTRIBUTIONS_TABLE}
     WHERE subject_id = ? AND recipient_id = ? AND occurred_at <= ?
     GROUP BY currency, kind`,
    since30, since30, since30, since30, since90, since90, since90, since90, subjectId, recipientId, asOfMs,
  );
  const counterparties = await db.all<{ currency: string; distinct_count: unknown; events: unknown; first: unknown; last: unknown }>(
    `SELECT currency, COUNT(DISTINCT counterparty_id) AS distinct_count, COUNT(*) AS events, MIN(position) AS first, MAX(position) AS last
     FROM ${CONTRIBUTIONS_TABLE}
     WHERE subject_id = ? AND recipient_id = ? AND occurred_at > ? AND occurred_at <= ? AND counterparty_id IS NOT NULL
     GROUP BY currency`,
    subjectId, recipientId, since90, asOfMs,
  );
  const lifetimes = new Map<string, Lifetime>();
  for (const row of kinds) {
    const kind: Lifetime = { events: big(row.events), firstAt: big(row.first_at), lastAt: big(row.last_at), first: big(row.first), last: big(row.last) };
    const seen = lifetimes.get(row.currency);
    lifetimes.set(
      row.currency,
      seen === undefined
        ? kind
        : {
            events: seen.events + kind.events,
            firstAt: seen.firstAt < kind.firstAt ? seen.firstAt : kind.firstAt,
            lastAt: seen.lastAt > kind.lastAt ? seen.lastAt : kind.lastAt,
            first: seen.first < kind.first ? seen.first : kind.first,
            last: seen.last > kind.last ? seen.last : kind.last,
          },
    );
  }

  const currencies: CurrencyFeatures[] = [];
  for (const [currencyCode, life] of [...lifetimes].sort(([a], [b]) => a.localeCompare(b))) {
    if (!isCurrency(currencyCode)) continue;
    const currency = currencyCode;
    const flowOf = (kind: ContributionKind, window: '30d' | '90d'): Flow => {
      const row = kinds.find((f) => f.currency === currency && f.kind === kind);
      if (!row) return { count: 0n, volume: 0n, lineage: EMPTY };
      return window === '30d'
        ? { count: big(row.count30), volume: big(row.volume30), lineage: lineage(row.count30, row.first30, row.last30) }
        : { count: big(row.count90), volume: big(row.volume90), lineage: lineage(row.count90, row.first90, row.last90) };
    };
    const features: Record<string, FeatureValue> = {};
    for (const f of FLOW_FEATURES) {
      const flow = flowOf(f.kind, f.window);
      features[f.name] = { value: f.measure === 'count' ? flow.count : flow.volume, unit: f.unit, window: f.window, lineage: flow.lineage };
    }
    const derived = (name: string, value: bigint | null, lineageOf: Lineage): void => {
      const definition = DERIVED_FEATURES.find((d) => d.name === name);
      if (!definition) throw new Error(`no definition for feature ${name}`);
      features[name] = { value, unit: definition.unit, window: definition.window, lineage: lineageOf };
    };
    const parties = counterparties.find((c) => c.currency === currency);
    derived('distinctCounterparties90d', big(parties?.distinct_count), parties ? lineage(parties.events, parties.first, parties.last) : EMPTY);
    const reversals = flowOf('reversal', '90d');
    const reversible = REVERSIBLE_KINDS.map((kind) => flowOf(kind, '90d')).reduce((a, b) => ({ count: a.count + b.count, volume: 0n, lineage: merge(a.lineage, b.lineage) }));
    // Integer basis points, rounded down: no floating point anywhere in a feature value.
    derived('reversalRatio90d', reversible.count === 0n ? null : (reversals.count * 10_000n) / reversible.count, merge(reversals.lineage, reversible.lineage));
    const lifeLineage = lineage(life.events, life.first, life.last);
    derived('accountAgeDays', wholeDays(Number(life.firstAt), asOfMs), lifeLineage);
    derived('daysSinceLastActivity', wholeDays(Number(life.lastAt), asOfMs), lifeLineage);
    currencies.push({ currency, features });
  }
  return { subjectId, recipientId, asOf, definitionsVersion: CREDIT_FEATURE_DEFINITIONS_VERSION, currencies };
};

/** A feature value for the wire: money as a decimal string in the currency's exponent (ADR 0007), other values as integer strings. */
export const featureValueToWire = (value: FeatureValue, currency: Currency) => ({
  value: value.value === null ? null : value.unit === 'money' ? formatAmount(value.value, currency) : value.value.toString(),
  ...(value.unit === 'money' ? { valueMinor: value.value === null ? null : value.value.toString() } : {}),
  unit: value.unit === 'money' ? currency : value.unit,
  window: value.window,
  lineage: {
    sourceEvents: value.lineage.sourceEvents,
    fromPosition: value.lineage.fromPosition?.toString() ?? null,
    toPosition: value.lineage.toPosition?.toString() ?? null,
  },
});

export const creditFeaturesToWire = (features: CreditFeatures) => ({
  subjectId: features.subjectId,
  recipientId: features.recipientId,
  asOf: features.asOf,
  definitionsVersion: features.definitionsVersion,
  currencies: features.currencies.map((c) => ({
    currency: c.currency,
    features: Object.fromEntries(Object.entries(c.features).map(([name, value]) => [name, featureValueToWire(value, c.currency)])),
  })),
});

/**
 * The JSON text of `creditFeaturesToWire(features)`, byte for byte, without building the wire
 * objects first: the read side answers text, and building ~20 wire objects then serialising them
 * took 60–115 µs of the worker's ~1 ms per read on session 8's slow 2-core machine, this 28–50 µs (`.spec` checks
 * the bytes against `JSON.stringify`). Every string that comes from data goes through
 * `JSON.stringify`; the values are decimal strings of digits (`bigint#toString`, `formatAmount`),
 * which need no escaping.
 */
/** `JSON.stringify` of the wire form's constant strings (feature names, units, windows, currencies): a bounded set. */
const quotedConstants = new Map<string, string>();
const quotedConstant = (value: string): string => {
  let text = quotedConstants.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    if (quotedConstants.size < 1_000) quotedConstants.set(value, text);
  }
  return text;
};

export const creditFeaturesJson = (features: CreditFeatures): string => {
  let text = `{"subjectId":${JSON.stringify(features.subjectId)},"recipientId":${JSON.stringify(features.recipientId)},"asOf":${JSON.stringify(features.asOf)},"definitionsVersion":${JSON.stringify(features.definitionsVersion)},"currencies":[`;
  features.currencies.forEach((c, i) => {
    text += `${i === 0 ? '' : ','}{"currency":${quotedConstant(c.currency)},"features":{`;
    let first = true;
    for (const [name, value] of Object.entries(c.features)) {
      const money = value.unit === 'money';
      const digits = value.value === null ? 'null' : `"${money ? formatAmount(value.value, c.currency) : value.value.toString()}"`;
      const minor = money ? `,"valueMinor":${value.value === null ? 'null' : `"${value.value.toString()}"`}` : '';
      const { sourceEvents, fromPosition, toPosition } = value.lineage;
      text +=
        `${first ? '' : ','}${quotedConstant(name)}:{"value":${digits}${minor},"unit":${quotedConstant(money ? c.currency : value.unit)},"window":${quotedConstant(value.window)},` +
        `"lineage":{"sourceEvents":${JSON.stringify(sourceEvents)},"fromPosition":${fromPosition === null ? 'null' : `"${fromPosition.toString()}"`},"toPosition":${toPosition === null ? 'null' : `"${toPosition.toString()}"`}}}`;
      first = false;
    }
    text += '}}';
  });
  return `${text}]}`;
};

/** Does the read model hold anything for this subject and recipient? (The purge check.) */
export const countContributions = async (db: ReadModelQueries, subjectId: string, recipientId: string): Promise<number> => {
  const row = await db.get<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${CONTRIBUTIONS_TABLE} WHERE subject_id = ? AND recipient_id = ?`, subjectId, recipientId);
  return Number(big(row?.n));
};
