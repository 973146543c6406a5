import { accept, Decider, Decision, InvariantViolation, reject } from '@attest/decider';
import { DayClosed, ReconciliationRunCompleted, ReconciliationRunStarted, RunEvent } from './reconciliation.events';

/**
 * Two small deciders. A run (`reconciliation-run-<runId>`, the id derived from the file's hash,
 * the period and the tolerance) completes once: re-running the same file for the same period
 * finds it completed and answers with the recorded outcome. A day closes once.
 */
export interface RunState {
  status: 'none' | 'started' | 'completed';
  completed: ReconciliationRunCompleted['data'] | null;
  started: ReconciliationRunStarted['data'] | null;
}

export type RunCommand = { type: 'StartRun'; started: ReconciliationRunStarted['data'] } | { type: 'CompleteRun'; completed: ReconciliationRunCompleted['data'] };
export type RunFailureCode = 'RUN_ALREADY_COMPLETED';

export const runDecider: Decider<RunCommand, RunEvent, RunState, RunFailureCode> = {
  initialState: () => ({ status: 'none', completed: null, started: null }),
  decide: (command, state): Decision<RunEvent, RunFailureCode> => {
    if (state.status === 'completed') return reject('RUN_ALREADY_COMPLETED', `run ${state.completed?.runId ?? ''} already completed`);
    switch (command.type) {
      // A run that started and never completed (a crash) may start again: both starts are facts.
      case 'StartRun':
        return accept<RunEvent>({ type: 'ReconciliationRunStarted', data: command.started });
      case 'CompleteRun':
        if (state.status !== 'started') throw new InvariantViolation('a run completes only after it started');
        return accept<RunEvent>({ type: 'ReconciliationRunCompleted', data: command.completed });
      default: {
        const unknown: never = command;
        throw new Error(`unknown run command ${JSON.stringify(unknown)}`);
      }
    }
  },
  evolve: (state, event) => {
    switch (event.type) {
      case 'ReconciliationRunStarted':
        return { ...state, status: 'started', started: event.data };
      case 'ReconciliationRunCompleted':
        return { ...state, status: 'completed', completed: event.data };
      default:
        return state;
    }
  },
};
export const RUN_DECIDER_NAME = 'reconciliation-run';

export interface DayState {
  closed: DayClosed['data'] | null;
}
export type DayCommand = { type: 'CloseDay'; closed: DayClosed['data'] };
export type DayFailureCode = 'DAY_ALREADY_CLOSED';

export const dayCloseDecider: Decider<DayCommand, DayClosed, DayState, DayFailureCode> = {
  initialState: () => ({ closed: null }),
  decide: (command, state) =>
    state.closed
      ? reject('DAY_ALREADY_CLOSED', `${state.closed.day} was closed at ${state.closed.closedAt} by ${state.closed.closedBy}`, {
          context: { closedAt: state.closed.closedAt },
        })
      : accept<DayClosed>({ type: 'DayClosed', data: command.closed }),
  evolve: (state, event) => (event.type === 'DayClosed' ? { closed: event.data } : state),
};
export const DAY_CLOSE_DECIDER_NAME = 'day-close';
