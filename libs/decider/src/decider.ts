/**
 * Pure deciders (Emmett's `Decider`): `decide(command, state) → decision`, `evolve(state, event)
 * → state`, `initialState()`. No I/O, no clock, no random ids: time, ids and the acting party
 * arrive inside the command. The Nest handlers around them are thin shells (see
 * `StreamCommandExecutor`).
 */

/** A domain event before it is stored: a past-tense type, its data and its personal-data section. */
export interface DomainEvent<T extends string = string, D = unknown, P = unknown> {
  type: T;
  data: D;
  pii?: P;
  /** Deterministic id (for example derived from an idempotency key) to make retries no-ops. */
  eventId?: string;
}

/** An expected failure: a stable code (mapped to HTTP in one table), a sentence, and where. */
export interface Failure<Code extends string = string> {
  code: Code;
  detail: string;
  /** Field path in the request that caused it, when there is one. */
  field?: string;
  context?: Record<string, string | number | boolean | null>;
}

/**
 * What a decider answers. A rejection may still carry events to record, so that a refused
 * attempt is itself a fact (for example a consent refused because its box was pre-ticked).
 */
export type Decision<E extends DomainEvent, Code extends string = string> =
  | { kind: 'accepted'; events: E[] }
  | { kind: 'rejected'; failure: Failure<Code>; events: E[] };

export const accept = <E extends DomainEvent>(...events: E[]): Decision<E, never> => ({ kind: 'accepted', events });

export const reject = <Code extends string, E extends DomainEvent = never>(
  code: Code,
  detail: string,
  options: { field?: string; record?: E[]; context?: Failure['context'] } = {},
): Decision<E, Code> => ({
  kind: 'rejected',
  failure: {
    code,
    detail,
    ...(options.field === undefined ? {} : { field: options.field }),
    ...(options.context === undefined ? {} : { context: options.context }),
  },
  events: options.record ?? [],
});

export interface Decider<C, E extends DomainEvent, S, Code extends string = string> {
  decide(command: C, state: S): Decision<E, Code>;
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** Folds events over the initial state. */
export const fold = <C, E extends DomainEvent, S>(decider: Decider<C, E, S>, events: Iterable<E>, from?: S): S => {
  let state = from ?? decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
};

/** Thrown when code breaks an invariant it promised (never for an expected failure). */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

export const invariant = (condition: unknown, message: string): asserts condition => {
  if (!condition) throw new InvariantViolation(message);
};
