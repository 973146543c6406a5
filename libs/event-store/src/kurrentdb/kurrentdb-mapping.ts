import {
  ANY,
  AppendStreamState,
  CurrentStreamState,
  ErrorType,
  NO_STREAM,
  Position,
  ReadPosition,
  START,
  STREAM_EXISTS,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { EventMetadata, JsonObject, JsonValue, NewEvent, StoredEvent } from '../envelope';
import { WrongExpectedRevision } from '../errors';
import { CurrentRevision, ExpectedRevision } from '../expected-revision';

/**
 * Pure conversions between the port and the KurrentDB client (no I/O, unit-tested without a
 * server). See docs/adr/0006-kurrentdb-client.md.
 */

/** Our expected revision → the client's stream state. */
export const toStreamState = (expected: ExpectedRevision): AppendStreamState => {
  switch (expected) {
    case 'any':
      return ANY;
    case 'noStream':
      return NO_STREAM;
    case 'streamExists':
      return STREAM_EXISTS;
    default:
      if (expected < 0n) throw new RangeError(`expected revision ${expected} is negative`);
      return expected;
  }
};

/** The client's stream state (as reported back in an error) → our expected revision. */
export const fromStreamState = (state: AppendStreamState): ExpectedRevision => {
  if (typeof state === 'bigint') return state;
  switch (state) {
    case ANY:
      return 'any';
    case NO_STREAM:
      return 'noStream';
    case STREAM_EXISTS:
      return 'streamExists';
    default: {
      const unknown: never = state;
      throw new Error(`unknown stream state ${String(unknown)}`);
    }
  }
};

export const fromCurrentState = (state: CurrentStreamState): CurrentRevision => (typeof state === 'bigint' ? state : 'noStream');

const isWrongExpectedVersion = (error: unknown): error is WrongExpectedVersionError =>
  error instanceof WrongExpectedVersionError || (error as { type?: unknown } | null)?.type === ErrorType.WRONG_EXPECTED_VERSION;

/**
 * The client's WrongExpectedVersionError → our WrongExpectedRevision; null for any other error.
 * `expected` is what we sent for that stream (the error's own copy is used when we have none).
 */
export const toWrongExpectedRevision = (error: unknown, expected?: ExpectedRevision): WrongExpectedRevision | null => {
  if (!isWrongExpectedVersion(error)) return null;
  return new WrongExpectedRevision(error.streamName, expected ?? fromStreamState(error.expectedState), fromCurrentState(error.actualState));
};

/**
 * Global position encoding: our `globalPosition` is the event's commit position in the
 * transaction log. KurrentDB (≥ 20) writes every event with commit = prepare position, so the
 * commit position alone identifies an event and orders $all; resuming uses it as both halves.
 */
export const toGlobalPosition = (position: Position): bigint => position.commit;

/** Where to resume a subscription that has seen everything up to `afterPosition` (0n = nothing). */
export const toReadPosition = (afterPosition: bigint): ReadPosition => {
  if (afterPosition < 0n) throw new RangeError(`position ${afterPosition} is negative`);
  return afterPosition === 0n ? START : { commit: afterPosition, prepare: afterPosition };
};

/** Stream of the claim that reserves an event id store-wide (KurrentDB only checks ids per stream). */
export const CLAIM_STREAM_PREFIX = 'attest-event-id-';
export const CLAIM_EVENT_TYPE = 'AttestEventIdClaimed';
export const claimStream = (eventId: string): string => `${CLAIM_STREAM_PREFIX}${eventId}`;

/**
 * Server-side $all filter on event type: no system events (`$…`) and no id claims. .NET regex,
 * evaluated by the server.
 */
export const ATTEST_EVENT_TYPE_REGEX = `^(?!\\$)(?!${CLAIM_EVENT_TYPE}$).+`;

/**
 * What an Attest event looks like inside KurrentDB: the JSON body carries the whole envelope
 * (schema version, data, pii, metadata), because multi-stream appends only take flat string
 * metadata. The event id and type are KurrentDB's own.
 */
export interface KurrentBody {
  attest: 1;
  schemaVersion: number;
  data: JsonObject;
  pii: JsonObject | null;
  metadata: EventMetadata;
}

export const toKurrentBody = (event: NewEvent): KurrentBody => ({
  attest: 1,
  schemaVersion: event.schemaVersion,
  data: event.data,
  pii: event.pii,
  metadata: event.metadata,
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isJsonObject = (value: unknown): value is JsonObject => isObject(value);

const isBody = (value: unknown): value is KurrentBody => {
  if (!isObject(value) || value['attest'] !== 1 || typeof value['schemaVersion'] !== 'number' || !isJsonObject(value['data'])) return false;
  const pii = value['pii'];
  const metadata = value['metadata'];
  if (pii !== null && !isJsonObject(pii)) return false;
  if (!isObject(metadata)) return false;
  const causation = metadata['causationId'];
  return (
    typeof metadata['recordedAt'] === 'string' &&
    typeof metadata['correlationId'] === 'string' &&
    typeof metadata['actor'] === 'string' &&
    (causation === null || typeof causation === 'string')
  );
};

/** The part of a KurrentDB recorded event the adapter reads. */
export interface KurrentRecorded {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: boolean;
  data: unknown;
  position?: Position | undefined;
}

/**
 * A KurrentDB event → our stored event; null for an event Attest did not write (another
 * application's, an id claim, a system event), which every read skips.
 */
export const fromKurrentEvent = (event: KurrentRecorded): StoredEvent | null => {
  if (!event.isJson || !isBody(event.data) || !event.position) return null;
  const body = event.data;
  return {
    eventId: event.id,
    streamId: event.streamId,
    streamRevision: event.revision,
    globalPosition: toGlobalPosition(event.position),
    type: event.type,
    schemaVersion: body.schemaVersion,
    data: body.data,
    pii: body.pii,
    metadata: {
      recordedAt: body.metadata.recordedAt,
      correlationId: body.metadata.correlationId,
      causationId: body.metadata.causationId,
      actor: body.metadata.actor,
    },
  };
};

/** The body of a claim: which stream holds the event. */
export const claimBody = (streamId: string): { [key: string]: JsonValue } => ({ streamId });
export const claimedStream = (data: unknown): string | null => (isObject(data) && typeof data['streamId'] === 'string' ? data['streamId'] : null);
