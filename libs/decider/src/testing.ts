import { Decider, DomainEvent, fold } from './decider';

/**
 * Given/when/then for pure deciders (Emmett's DeciderSpecification):
 *
 *   spec(walletDecider).given([deposited(5000n)]).when(sendTip(6000n)).thenRejects('INSUFFICIENT_FUNDS');
 */
export const spec = <C, E extends DomainEvent, S>(decider: Decider<C, E, S>) => ({
  given: (events: E[]) => ({
    when: (command: C) => {
      const state = fold(decider, events);
      const decision = decider.decide(command, state);
      return {
        decision,
        then(expected: E[]) {
          if (decision.kind !== 'accepted') throw new Error(`expected acceptance, got ${decision.failure.code}: ${decision.failure.detail}`);
          expect(decision.events).toEqual(expected);
          return decision.events;
        },
        /** Accepted; returns the events for finer assertions. */
        thenAccepts() {
          if (decision.kind !== 'accepted') throw new Error(`expected acceptance, got ${decision.failure.code}: ${decision.failure.detail}`);
          return decision.events;
        },
        /** Rejected with this code; `recorded` are the events the refusal records (default none). */
        thenRejects(code: string, recorded: E[] | ((events: E[]) => void) = []) {
          if (decision.kind !== 'rejected') throw new Error(`expected rejection ${code}, got acceptance of ${decision.events.map((e) => e.type).join(', ')}`);
          expect(decision.failure.code).toBe(code);
          if (typeof recorded === 'function') recorded(decision.events);
          else expect(decision.events).toEqual(recorded);
          return decision.failure;
        },
      };
    },
  }),
});
