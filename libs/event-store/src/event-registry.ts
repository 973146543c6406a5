import { z } from 'zod';
import { InvalidEvent } from './errors';
import { JsonObject } from './envelope';

/**
 * One schema per event type. `data` (and `pii`, the personal-data section) are zod schemas
 * whose *output* is the domain shape (bigint money…) and whose *input* is the stored JSON;
 * codecs (z.codec) convert between the two so the same schema validates, encodes and decodes.
 */
export interface EventDefinition<
  T extends string = string,
  D extends z.ZodType = z.ZodType,
  P extends z.ZodType | undefined = z.ZodType | undefined,
> {
  type: T;
  schemaVersion: number;
  data: D;
  pii?: P;
  /** One line for the event catalogue. */
  description: string;
  /**
   * Whose personal data the `pii` section is (their data key encrypts it). Default: `data.subjectId`.
   */
  piiOwner?: (data: z.output<D>) => string;
  /**
   * Upcasters from older schema versions: `upcast[n]` turns stored version n data into version n+1.
   * Stored events are never rewritten; old versions are upcast on read.
   */
  upcast?: Record<number, (old: JsonObject) => JsonObject>;
}

export const defineEvent = <T extends string, D extends z.ZodType, P extends z.ZodType | undefined = undefined>(
  definition: EventDefinition<T, D, P>,
): EventDefinition<T, D, P> => definition;

/** The domain shape of an event defined by `defineEvent`. */
export type EventOf<Def> = Def extends EventDefinition<infer T, infer D, infer P>
  ? P extends z.ZodType
    ? { type: T; data: z.output<D>; pii: z.output<P> }
    : { type: T; data: z.output<D> }
  : never;

/** A domain event about to be appended. */
export interface PendingEvent {
  type: string;
  data: unknown;
  pii?: unknown;
  /** Supply to make the append idempotent on retry; default: a fresh uuid v7. */
  eventId?: string;
}

const issuesOf = (error: z.ZodError, prefix: string) =>
  error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
};

/**
 * The stored form of a domain value as the one codec of the event schemas (`bigintString`) makes
 * it: every bigint becomes its decimal string; arrays and plain objects are copied; anything else
 * is left as it is (and left for the schema to accept or refuse).
 */
export const toStoredForm = (value: unknown): unknown => {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toStoredForm);
  if (isPlainObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = toStoredForm(value[key]);
    return copy;
  }
  return value;
};

/**
 * Whether `decoded` (a schema's output) is `original`: the same keys, and at every place the same
 * JavaScript type and value. Then decoding the stored form gave back the domain value itself.
 */
const sameValue = (decoded: unknown, original: unknown): boolean => {
  if (typeof decoded !== typeof original) return false;
  if (Array.isArray(decoded)) {
    if (!Array.isArray(original) || original.length !== decoded.length) return false;
    for (let i = 0; i < decoded.length; i++) if (!sameValue(decoded[i], original[i])) return false;
    return true;
  }
  if (isPlainObject(decoded)) {
    if (!isPlainObject(original)) return false;
    const keys = Object.keys(decoded);
    if (keys.length !== Object.keys(original).length) return false;
    for (const key of keys) if (!Object.hasOwn(original, key) || !sameValue(decoded[key], original[key])) return false;
    return true;
  }
  return decoded === original;
};

/**
 * `z.safeEncode(schema, value)`, computed the cheap way when it can be proven to give the same
 * result. zod's encode runs backwards through the schema, and at every level that has checks
 * (refinements) it parses twice (a "canary" pass without checks, then again with them), which
 * made encoding ~5% of the API's CPU on tips. Instead: build the stored form, parse it forwards
 * (one pass: the stored form's own rules, the codecs' decode, then every check on the domain
 * value) and keep it only if the decoded value is the domain value we started from, key for key.
 * Then the stored form is valid and is exactly what encode produces. Anything else (an invalid
 * value, a key the schema would strip, a bigint where a string belongs, a non-plain object) goes
 * through `z.safeEncode` itself, which also gives the issues' paths.
 */
const encodeSection = (schema: z.ZodType, value: unknown): { success: true; data: unknown } | { success: false; error: z.ZodError } => {
  const stored = toStoredForm(value);
  const parsed = schema.safeParse(stored);
  if (parsed.success && sameValue(parsed.data, value)) return { success: true, data: stored };
  return z.safeEncode(schema, value);
};

/** Every event type the application knows, by type name. */
export class EventRegistry {
  private readonly definitions = new Map<string, EventDefinition>();

  register(...definitions: EventDefinition[]): this {
    for (const definition of definitions) {
      const existing = this.definitions.get(definition.type);
      if (existing && existing !== definition) throw new Error(`event type ${definition.type} is registered twice`);
      this.definitions.set(definition.type, definition);
    }
    return this;
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  get(type: string): EventDefinition {
    const definition = this.definitions.get(type);
    if (!definition) throw new InvalidEvent(type, [{ path: 'type', message: 'unknown event type' }]);
    return definition;
  }

  all(): EventDefinition[] {
    return [...this.definitions.values()].sort((a, b) => a.type.localeCompare(b.type));
  }

  /** Validates a domain event and encodes it to its stored JSON form; throws InvalidEvent. */
  encode(event: PendingEvent): { schemaVersion: number; data: JsonObject; pii: JsonObject | null } {
    const definition = this.get(event.type);
    const data = encodeSection(definition.data, event.data);
    if (!data.success) throw new InvalidEvent(event.type, issuesOf(data.error, 'data'));
    let pii: JsonObject | null = null;
    if (definition.pii) {
      // An absent section is null: schemas that make it optional say `.nullable()`.
      const encoded = encodeSection(definition.pii, event.pii === undefined ? null : event.pii);
      if (!encoded.success) throw new InvalidEvent(event.type, issuesOf(encoded.error, 'pii'));
      pii = (encoded.data ?? null) as JsonObject | null;
    } else if (event.pii !== undefined && event.pii !== null) {
      throw new InvalidEvent(event.type, [{ path: 'pii', message: 'this event type has no personal-data section' }]);
    }
    return { schemaVersion: definition.schemaVersion, data: data.data as JsonObject, pii };
  }

  /** The data subject who owns an event's personal-data section. */
  piiOwner(type: string, data: unknown): string {
    const definition = this.get(type);
    const owner = definition.piiOwner ? definition.piiOwner(data) : (data as { subjectId?: unknown } | null)?.subjectId;
    if (typeof owner !== 'string' || owner.length === 0)
      throw new InvalidEvent(type, [{ path: 'data', message: 'events with personal data must name their owner (piiOwner or data.subjectId)' }]);
    return owner;
  }

  /** Decodes stored JSON (upcasting older schema versions first) to the domain shape. */
  decode(type: string, schemaVersion: number, data: JsonObject, pii: JsonObject | null): { data: unknown; pii: unknown } {
    const definition = this.get(type);
    let current = data;
    for (let version = schemaVersion; version < definition.schemaVersion; version++) {
      const upcaster = definition.upcast?.[version];
      if (!upcaster) throw new Error(`event ${type}: no upcaster from schema version ${version}`);
      current = upcaster(current);
    }
    const decodedData = definition.data.decode(current);
    // A pii section that is not an object (for example an erasure marker) is passed through as is.
    const decodedPii =
      definition.pii && pii !== null && !('erased' in pii) && !('withheld' in pii) ? definition.pii.decode(pii) : pii;
    return { data: decodedData, pii: decodedPii };
  }
}
