import { CurrentRevision, ExpectedRevision, describeRevision } from './expected-revision';

/** Base of the store's typed errors; `code` is stable and mapped to HTTP in one table. */
export abstract class EventStoreError extends Error {
  abstract readonly code: string;
}

/** Optimistic concurrency failure: the stream moved on since the caller read it. */
export class WrongExpectedRevision extends EventStoreError {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: CurrentRevision,
  ) {
    super(
      `stream ${streamId}: expected revision ${describeRevision(expected)}, actual ${describeRevision(actual)}`,
    );
    this.name = 'WrongExpectedRevision';
  }
}

/** An event failed its type's schema (or its type is unknown); nothing was written. */
export class InvalidEvent extends EventStoreError {
  readonly code = 'INVALID_EVENT';
  constructor(
    readonly eventType: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(`event ${eventType} is invalid: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`);
    this.name = 'InvalidEvent';
  }
}

/** An event id that is already stored somewhere else than this exact retry would put it. */
export class DuplicateEventId extends EventStoreError {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already stored at another place`);
    this.name = 'DuplicateEventId';
  }
}

/** Broken request to the store itself (empty append, bad stream id, bound exceeded). */
export class InvalidAppend extends EventStoreError {
  readonly code = 'INVALID_APPEND';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppend';
  }
}

/** The store is closed or not reachable. */
export class StoreUnavailable extends EventStoreError {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailable';
  }
}
