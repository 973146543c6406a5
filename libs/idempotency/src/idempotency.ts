import { createHash } from 'node:crypto';

/**
 * Idempotent commands: a client-chosen key per command. Same key + same request → the original
 * result (status and body); same key + a different request → `IdempotencyKeyReused`.
 *
 * Two layers make a retry harmless:
 * 1. this record (scope, key → request hash, status, body), checked before the command runs and
 *    written after it ran, with concurrent requests for one key in one process waiting for the
 *    first one instead of racing it;
 * 2. the command derives its event ids from the key (`deterministicId`), so even if the record
 *    was lost (a crash between append and record, or two processes racing) the event store's
 *    idempotent append refuses to write the same events twice.
 */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  requestHash: string;
  status: number;
  /** The JSON response body as sent. */
  body: string;
  createdAt: string;
}

/** Where records live (SQLite here; a PostgreSQL table for multi-process deployments). */
export interface IdempotencyStore {
  get(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** First writer wins: a record already stored for (scope, key) is kept. */
  put(record: IdempotencyRecord): Promise<void>;
  /** Forget records created before `instant` (retention); returns how many went. */
  purgeCreatedBefore(instant: string): Promise<number>;
  close(): Promise<void>;
}

export class IdempotencyKeyReused extends Error {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(
    readonly scope: string,
    readonly key: string,
  ) {
    super(`idempotency key ${key} was already used for a different ${scope} request`);
    this.name = 'IdempotencyKeyReused';
  }
}

export interface CommandResponse {
  status: number;
  body: unknown;
}

export interface IdempotentResult extends CommandResponse {
  /** True when this is the stored result of an earlier request with the same key. */
  replayed: boolean;
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** JSON with object keys sorted at every level (bigint as decimal string), for hashing. */
export const canonicalJson = (value: unknown): string => {
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
};

export const requestHash = (request: unknown): string => createHash('sha256').update(canonicalJson(request)).digest('base64url');

/**
 * A UUID (version 8, RFC 9562 "custom") derived from the scope and key: the same command retried
 * gets the same event ids, which the event store treats as the same append.
 */
export const deterministicId = (scope: string, key: string, salt = ''): string => {
  const hex = createHash('sha256').update(`attest:${scope}\u0000${key}\u0000${salt}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** Results worth replaying: successes and the command's own (domain) refusals, never 5xx. */
const storable = (status: number) => status >= 200 && status < 500;

export class Idempotency {
  private readonly inFlight = new Map<string, Promise<IdempotentResult>>();

  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Runs `work` at most once per (scope, key) — unless it throws, which stores nothing, so the
   * client may retry. `request` is what "the same request" means (the validated body without the
   * key, plus any path parameters).
   */
  async run(scope: string, key: string, request: unknown, work: () => Promise<CommandResponse>): Promise<IdempotentResult> {
    const id = `${scope}\u0000${key}`;
    const hash = requestHash(request);
    // Wait for a request with the same key already running here; loop in case another one
    // started meanwhile. No await sits between the loop's exit and `set`, so only one runs.
    for (let running = this.inFlight.get(id); running; running = this.inFlight.get(id)) await running.catch(() => undefined);
    const attempt = this.attempt(scope, key, hash, work);
    this.inFlight.set(id, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(id) === attempt) this.inFlight.delete(id);
    }
  }

  private async attempt(scope: string, key: string, hash: string, work: () => Promise<CommandResponse>): Promise<IdempotentResult> {
    const existing = await this.store.get(scope, key);
    if (existing) {
      if (existing.requestHash !== hash) throw new IdempotencyKeyReused(scope, key);
      return { status: existing.status, body: JSON.parse(existing.body) as unknown, replayed: true };
    }
    const response = await work();
    if (storable(response.status))
      await this.store.put({ scope, key, requestHash: hash, status: response.status, body: JSON.stringify(response.body), createdAt: this.clock().toISOString() });
    return { status: response.status, body: response.body, replayed: false };
  }
}

/** For unit tests and tools. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();
  async get(scope: string, key: string) {
    return this.records.get(`${scope}\u0000${key}`);
  }
  async put(record: IdempotencyRecord) {
    const id = `${record.scope}\u0000${record.key}`;
    if (!this.records.has(id)) this.records.set(id, record);
  }
  async purgeCreatedBefore(instant: string) {
    let purged = 0;
    for (const [id, record] of this.records)
      if (record.createdAt < instant) {
        this.records.delete(id);
        purged++;
      }
    return purged;
  }
  async close() {}
}
