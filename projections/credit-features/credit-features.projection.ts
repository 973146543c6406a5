import { randomUUID } from 'node:crypto';
import { EventRegistry, evictOldestHalf, RecordedEvent, StoredEvent } from '@attest/event-store';
import { CATALOGUE_EVENT_TYPES, CatalogueEvent, CatalogueState, CONSENT_EVENTS, SubjectState } from '@attest/consent';
import { LEDGER_EVENT_TYPES, LEDGER_EVENTS } from '@attest/ledger';
import type { Projection, ReadModelQueries } from '@attest/projection-runner';
import { foldCatalogue, foldSubject, KeptCatalogueEvent, KeptConsentEvent, namedRecipients, openRecipients, purgesFeatures } from './consent-windows';
import { Contribution, contributionOf, CONTRIBUTING_TYPES, storedContributionOf } from './credit-features.definitions';

/**
 * Credit features read model: one row per (subject, recipient, counted ledger event), that is a
 * *contribution*: a ledger event of the subject that fell inside a credit-scoring consent window
 * for that recipient when it happened. Features (30/90-day counts and volumes, ratios, ages) are
 * aggregates over these rows at query time (credit-features.queries.ts), so:
 *
 * - eligibility is decided once, at the event's position, against the consent state and the
 *   catalogue as they were then: an event outside every window never gets a row, and nothing
 *   later can add one (rows are only inserted for the event being applied);
 * - a withdrawal DELETEs the subject's rows for that recipient: the data is gone from the read
 *   model, not hidden, and a rebuild replays the same withdrawal at the same position, so it can
 *   never bring them back; after re-consent only new events count;
 * - lineage is exact (each row carries its global position, which names its event), and `asOf`
 *   is a filter on the event time of the rows that exist (`occurred_at`, the event's recordedAt in
 *   epoch milliseconds; see README: why keeping rows beats replaying the log).
 *
 * Auxiliary tables keep what the windows need, inside the read model (no event-store reads in
 * apply): each subject's grants and withdrawals to named recipients (no personal data), and the
 * catalogue's events.
 */
export const CREDIT_FEATURES_PROJECTION = 'credit-features';
export const CONTRIBUTIONS_TABLE = 'credit_feature_contributions';
export const CONSENTS_TABLE = 'credit_feature_consents';
export const CATALOGUE_TABLE = 'credit_feature_catalogue';
/** One row: the token of the consents table's current content (see SubjectCache). */
export const STATE_TABLE = 'credit_feature_state';

/** Rows per multi-row INSERT: 9 parameters each keeps a statement under both stores' parameter limits. */
const INSERT_ROWS_MAX = 500;
/** Subjects per IN (...) lookup. */
const LOOKUP_KEYS_MAX = 500;

/** Contribution rows about to be inserted, flat: ROW_VALUES values per row, in INSERT_COLUMNS order (subject and recipient first). */
type PendingRows = Array<string | number | bigint | null>;
const INSERT_COLUMNS = '(subject_id, recipient_id, position, currency, kind, amount_minor, counterparty_id, occurred_at)';
const ROW_VALUES = 8;

/** A subject's kept consent events (what CONSENTS_TABLE stores), their fold and the recipients they name. */
interface SubjectEntry {
  events: KeptConsentEvent[];
  state: SubjectState;
  recipients: readonly string[];
}

const CONSENT_TYPES: readonly string[] = ['ConsentGranted', 'ConsentWithdrawn'];
const CATALOGUE_TYPES: readonly string[] = CATALOGUE_EVENT_TYPES;

/**
 * The schemas this projection decodes with (the same definitions the application registers).
 * The runner hands the projection stored events (`input: 'stored'`): ledger events, a million
 * times more numerous than the rest, are read from their stored JSON (`storedContributionOf`);
 * consent and catalogue events are decoded here, their data only (personal data is never kept).
 */
const SCHEMAS = new EventRegistry().register(...CONSENT_EVENTS, ...LEDGER_EVENTS);

/** The decoded form of a stored event, without its personal-data section (which no table keeps). */
const decodeWithoutPii = <E extends RecordedEvent>(event: StoredEvent): E =>
  ({
    eventId: event.eventId,
    streamId: event.streamId,
    streamRevision: event.streamRevision,
    globalPosition: event.globalPosition,
    type: event.type,
    schemaVersion: SCHEMAS.get(event.type).schemaVersion,
    data: SCHEMAS.decode(event.type, event.schemaVersion, event.data, null).data,
    pii: null,
    metadata: event.metadata,
  }) as unknown as E;

/** A ledger event's contribution, from the stored JSON when it reads safely, else from the decoded event (which also upcasts and rejects what the schemas reject). */
const contributionOfStored = (event: StoredEvent): Contribution | null => {
  const contribution = storedContributionOf(event);
  return contribution === undefined ? contributionOf(decodeWithoutPii(event)) : contribution;
};

/**
 * The catalogue folded from the rows of CATALOGUE_TABLE. The fold is memoised between batches,
 * keyed by the exact stored text of those rows (a few small rows, read once per batch): a
 * rebuild (tables dropped), a rolled-back batch, another process's writes or another read-model
 * store in the same process (tests, the replay) can never reuse a fold that is not theirs. Each
 * batch works on its own copy, so two stores' batches interleaving at an await cannot mix.
 */
class BatchCatalogue {
  constructor(
    private readonly events: KeptCatalogueEvent[],
    public state: CatalogueState,
  ) {}

  async add(tx: ReadModelQueries, event: RecordedEvent & CatalogueEvent): Promise<void> {
    // Personal data (recipient contacts, the controller's contact) is not kept: the gate never reads it.
    const kept = { type: event.type, data: event.data, pii: null } as unknown as KeptCatalogueEvent;
    await tx.run(`INSERT INTO ${CATALOGUE_TABLE} (position, event_json) VALUES (?, ?) ON CONFLICT (position) DO NOTHING`, event.globalPosition, JSON.stringify(kept));
    this.events.push(kept);
    this.state = foldCatalogue(this.events);
  }
}

class CatalogueMemo {
  private key: string | null = null;
  private events: readonly KeptCatalogueEvent[] = [];
  private state: CatalogueState = foldCatalogue([]);

  async load(tx: ReadModelQueries): Promise<BatchCatalogue> {
    const rows = await tx.all<{ event_json: string }>(`SELECT event_json FROM ${CATALOGUE_TABLE} ORDER BY position`);
    const key = rows.map((row) => row.event_json).join('\n');
    if (key !== this.key) {
      this.events = rows.map((row) => JSON.parse(row.event_json) as KeptCatalogueEvent);
      this.state = foldCatalogue(this.events);
      this.key = key;
    }
    return new BatchCatalogue([...this.events], this.state);
  }
}

const catalogueMemo = new CatalogueMemo();

const keptConsentEvent = (event: RecordedEvent & KeptConsentEvent): KeptConsentEvent =>
  event.type === 'ConsentGranted'
    ? // Evidence (address prefix, user agent) is personal and not needed to decide a window.
      { type: 'ConsentGranted', eventId: event.eventId, data: event.data, pii: { ipPrefix: null, userAgent: null } }
    : { type: 'ConsentWithdrawn', eventId: event.eventId, data: event.data };

const loadSubjects = async (tx: ReadModelQueries, subjectIds: readonly string[], into: Map<string, SubjectEntry>): Promise<void> => {
  for (let from = 0; from < subjectIds.length; from += LOOKUP_KEYS_MAX) {
    const chunk = subjectIds.slice(from, from + LOOKUP_KEYS_MAX);
    const rows = await tx.all<{ subject_id: string; events_json: string }>(
      `SELECT subject_id, events_json FROM ${CONSENTS_TABLE} WHERE subject_id IN (${chunk.map(() => '?').join(', ')})`,
      ...chunk,
    );
    for (const row of rows) {
      const events = JSON.parse(row.events_json) as KeptConsentEvent[];
      const state = foldSubject(events);
      into.set(row.subject_id, { events, state, recipients: namedRecipients(state) });
    }
  }
};

/**
 * Subjects whose consent state the cache keeps at most: about 2 KB of heap each (the kept events
 * and their fold), so about 400 MB at most; past it, the older half is dropped (those subjects
 * are read from the table again when they next appear).
 */
const SUBJECT_CACHE_MAX = 200_000;

/**
 * The subjects' consent state, kept in memory between batches so that a batch does not read and
 * fold again the consents of every subject it touches. It is trusted only while CONSENTS_TABLE is
 * exactly the table it was built from: every batch that changes that table also writes a fresh
 * random token into STATE_TABLE (same transaction), and a batch uses the cache only if the token
 * it reads equals the cache's. A rebuild (tables dropped: no token), a rolled-back batch (its
 * token never committed), another process's writes (another token) or another read-model store
 * in the same process all read a token the cache does not have, and load from the table.
 *
 * A batch takes the cache for itself (nobody else can use it while the batch is in flight, at
 * an await) and gives it back, with what it loaded and changed, only when it has written the
 * token that describes the result; a batch that fails never gives it back. Subjects with no
 * consent row are cached as `null` (known to have none).
 */
class SubjectCache {
  private held: { token: string; subjects: Map<string, SubjectEntry | null> } | null = null;

  /** Takes the cache if `token` (the committed one) is its own; else an empty one. */
  take(token: string | undefined): Map<string, SubjectEntry | null> {
    const held = this.held;
    this.held = null;
    return held !== null && token !== undefined && held.token === token ? held.subjects : new Map();
  }

  give(token: string, subjects: Map<string, SubjectEntry | null>): void {
    if (subjects.size > SUBJECT_CACHE_MAX) evictOldestHalf(subjects);
    this.held = { token, subjects };
  }
}

const subjectCache = new SubjectCache();

/**
 * One handled event, classified once: the catalogue and consent events decoded, a ledger event
 * reduced to its contribution. `entry` is the subject's consent state when the batch started,
 * looked up once (null: no consent; undefined: not known yet, to be loaded).
 */
type Step =
  | { kind: 'catalogue'; event: RecordedEvent & CatalogueEvent }
  | { kind: 'consent'; event: RecordedEvent & KeptConsentEvent }
  | { kind: 'ledger'; event: StoredEvent; contribution: Contribution; entry: SubjectEntry | null | undefined };

const classify = (event: StoredEvent, subjects: ReadonlyMap<string, SubjectEntry | null>): Step | null => {
  if (CATALOGUE_TYPES.includes(event.type)) return { kind: 'catalogue', event: decodeWithoutPii(event) };
  if (CONSENT_TYPES.includes(event.type)) return { kind: 'consent', event: decodeWithoutPii(event) };
  const contribution = contributionOfStored(event);
  return contribution ? { kind: 'ledger', event, contribution, entry: subjects.get(contribution.subjectId) } : null;
};

/** Multi-row INSERT statements by row count (the text is built once per size, so the statement cache hits). */
const insertStatements = new Map<number, string>();
const insertStatement = (rows: number): string => {
  let sql = insertStatements.get(rows);
  if (sql === undefined) {
    sql = `INSERT INTO ${CONTRIBUTIONS_TABLE} ${INSERT_COLUMNS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (subject_id, recipient_id, position) DO NOTHING`;
    insertStatements.set(rows, sql);
  }
  return sql;
};

const insertRows = async (tx: ReadModelQueries, rows: PendingRows): Promise<void> => {
  const count = rows.length / ROW_VALUES;
  for (let from = 0; from < count; from += INSERT_ROWS_MAX) {
    const to = Math.min(count, from + INSERT_ROWS_MAX);
    await tx.run(insertStatement(to - from), ...rows.slice(from * ROW_VALUES, to * ROW_VALUES));
  }
};

/** Key of a subject and recipient in `purgedBefore` (ids are opaque: no spaces). */
const purgeKey = (subjectId: string, recipientId: string): string => `${subjectId} ${recipientId}`;

/**
 * The pending rows without those a purge later in the same batch dropped: a row of a subject and
 * recipient is kept only if it was gathered after that pair's last purge (`purgedBefore` holds,
 * per pair, the number of rows pending when it was last purged). One pass at the end of the
 * batch, instead of copying the pending rows at every purge, which grows with the batch size
 * times the purges in it (10,000-event batches, withdrawals in bursts).
 */
const withoutPurgedRows = (rows: PendingRows, purgedBefore: ReadonlyMap<string, number>): PendingRows => {
  if (purgedBefore.size === 0) return rows;
  const kept: PendingRows = [];
  for (let i = 0; i < rows.length; i += ROW_VALUES) {
    const before = purgedBefore.get(purgeKey(rows[i] as string, rows[i + 1] as string));
    if (before !== undefined && i / ROW_VALUES < before) continue;
    for (let j = i; j < i + ROW_VALUES; j++) kept.push(rows[j] as PendingRows[number]);
  }
  return kept;
};

/**
 * Applies a batch in log order. Consent state and catalogue evolve event by event in memory,
 * so a ledger event is judged against exactly the consents and notices that preceded it in the
 * log; writes are gathered and issued in a few multi-row statements at the end (deletes of a
 * purge first hit rows already committed, and drop pending rows of the same batch in memory).
 */
const applyEvents = async (input: ReadonlyArray<RecordedEvent | StoredEvent>, tx: ReadModelQueries): Promise<void> => {
  const catalogue = await catalogueMemo.load(tx);
  const token = (await tx.get<{ consents_token: string }>(`SELECT consents_token FROM ${STATE_TABLE} WHERE id = 1`))?.consents_token;
  // Subject id → consent state (null: no consent row): the cache when it is valid, completed from the table.
  const subjects = subjectCache.take(token);
  const steps: Step[] = [];
  const missing = new Set<string>();
  for (const event of input as readonly StoredEvent[]) {
    const step = classify(event, subjects);
    if (step === null) continue;
    steps.push(step);
    if (step.kind === 'ledger' && step.entry === undefined) missing.add(step.contribution.subjectId);
    else if (step.kind === 'consent' && !subjects.has(step.event.data.subjectId)) missing.add(step.event.data.subjectId);
  }
  if (missing.size > 0) {
    const loaded = new Map<string, SubjectEntry>();
    await loadSubjects(tx, [...missing], loaded);
    for (const subjectId of missing) subjects.set(subjectId, loaded.get(subjectId) ?? null);
  }
  const dirty = new Map<string, SubjectEntry>();
  const pending: PendingRows = [];
  const purgedBefore = new Map<string, number>();

  for (const step of steps) {
    if (step.kind === 'catalogue') {
      await catalogue.add(tx, step.event);
      continue;
    }
    if (step.kind === 'consent') {
      const event = step.event;
      const subjectId = event.data.subjectId;
      // Grants for the controller's own use never open a window for a recipient: not kept.
      if (event.data.recipientId === null) continue;
      let entry = subjects.get(subjectId) ?? null;
      if (event.type === 'ConsentWithdrawn') {
        // A withdrawal of a consent this read model never kept (own-use) changes nothing here.
        if (!entry?.state.consents.has(event.data.consentId)) continue;
      }
      // Idempotent: an event already kept (a redelivered batch) is not applied twice.
      if (entry?.events.some((kept) => kept.eventId === event.eventId)) continue;
      const kept = keptConsentEvent(event);
      // Updated in place: the ledger steps of this batch that follow hold the same entry.
      entry ??= { events: [], state: foldSubject([]), recipients: [] };
      entry.events.push(kept);
      entry.state = foldSubject(entry.events);
      entry.recipients = namedRecipients(entry.state);
      subjects.set(subjectId, entry);
      dirty.set(subjectId, entry);
      if (kept.type === 'ConsentWithdrawn' && purgesFeatures(kept, catalogue.state)) {
        const recipientId = kept.data.recipientId;
        if (recipientId !== null) {
          purgedBefore.set(purgeKey(subjectId, recipientId), pending.length / ROW_VALUES);
          await tx.run(`DELETE FROM ${CONTRIBUTIONS_TABLE} WHERE subject_id = ? AND recipient_id = ?`, subjectId, recipientId);
        }
      }
      continue;
    }
    const { event, contribution } = step;
    // A subject without an entry when the batch started may have consented earlier in the batch.
    const entry = step.entry ?? subjects.get(contribution.subjectId);
    // No consent to a named recipient, ever: the event is outside every window.
    if (!entry) continue;
    for (const recipientId of openRecipients(entry.state, catalogue.state, event.metadata.recordedAt, entry.recipients)) {
      pending.push(
        contribution.subjectId,
        recipientId,
        event.globalPosition,
        contribution.currency,
        contribution.kind,
        contribution.amountMinor,
        contribution.counterpartyId,
        Date.parse(event.metadata.recordedAt),
      );
    }
  }

  await insertRows(tx, withoutPurgedRows(pending, purgedBefore));
  for (const [subjectId, entry] of dirty) {
    await tx.run(
      `INSERT INTO ${CONSENTS_TABLE} (subject_id, events_json) VALUES (?, ?)
       ON CONFLICT (subject_id) DO UPDATE SET events_json = excluded.events_json`,
      subjectId,
      JSON.stringify(entry.events),
    );
  }
  // The token names the consents table as this batch leaves it (see SubjectCache).
  let next = token;
  if (dirty.size > 0 || next === undefined) {
    next = randomUUID();
    await tx.run(
      `INSERT INTO ${STATE_TABLE} (id, consents_token) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET consents_token = excluded.consents_token`,
      next,
    );
  }
  subjectCache.give(next, subjects);
};

export const creditFeaturesProjection: Projection = {
  name: CREDIT_FEATURES_PROJECTION,
  // 2: contributions keep their event time as epoch milliseconds and no event id, clustered on their key (ADR 0017).
  version: 2,
  input: 'stored',
  handles: [...CONTRIBUTING_TYPES, 'ConsentGranted', 'ConsentWithdrawn', ...CATALOGUE_EVENT_TYPES],
  // SQLite: the contributions are clustered on their key (WITHOUT ROWID), so a subject's rows for
  // a recipient sit together and a feature read touches a page or two instead of one table page
  // per row (~28 → ~21 µs per read of the three aggregates, ADR 0017). PostgreSQL keeps a heap.
  schema: (dialect) => [
    `CREATE TABLE IF NOT EXISTS ${CONTRIBUTIONS_TABLE} (
       subject_id TEXT NOT NULL, recipient_id TEXT NOT NULL, position BIGINT NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL,
       amount_minor BIGINT NOT NULL, counterparty_id TEXT, occurred_at BIGINT NOT NULL,
       PRIMARY KEY (subject_id, recipient_id, position))${dialect === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
    `CREATE TABLE IF NOT EXISTS ${CONSENTS_TABLE} (subject_id TEXT PRIMARY KEY, events_json TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${CATALOGUE_TABLE} (position BIGINT PRIMARY KEY, event_json TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), consents_token TEXT NOT NULL)`,
  ],
  tables: [CONTRIBUTIONS_TABLE, CONSENTS_TABLE, CATALOGUE_TABLE, STATE_TABLE],
  apply: (event, tx) => applyEvents([event], tx),
  applyBatch: applyEvents,
};

/** For tests and assertions: the ledger types this projection reads. */
export const CREDIT_FEATURES_LEDGER_TYPES: readonly string[] = LEDGER_EVENT_TYPES.filter((type) => (CONTRIBUTING_TYPES as readonly string[]).includes(type));
