import { spec } from '@attest/decider/testing';
import { dayCloseDecider, runDecider } from './reconciliation.deciders';
import { DayClosed, ReconciliationRunCompleted, ReconciliationRunStarted } from './reconciliation.events';

const started: ReconciliationRunStarted['data'] = {
  runId: '01890000-0000-7000-8000-000000000001',
  fileSha256: 'a'.repeat(64),
  fileBytes: 10,
  format: 'csv',
  periodFrom: '2026-01-01',
  periodTo: '2026-01-31',
  toleranceSeconds: null,
  requestedBy: 'finance:f1',
  startedAt: '2026-02-01T00:00:00.000Z',
};
const completed: ReconciliationRunCompleted['data'] = {
  runId: started.runId,
  fileSha256: started.fileSha256,
  periodFrom: started.periodFrom,
  periodTo: started.periodTo,
  rowsTotal: 0,
  rowsValid: 0,
  rowsInvalid: 0,
  unmatched: 0,
  totals: [],
  processorFees: [],
  checks: [],
  reportSha256: 'b'.repeat(64),
  reportLines: 1,
  requestedBy: 'finance:f1',
  completedAt: '2026-02-01T00:00:01.000Z',
};
const closed: DayClosed['data'] = { day: '2026-01-31', closedBy: 'finance:f1', closedAt: '2026-02-01T00:00:00.000Z', asOfPosition: 7n, currencies: [] };

describe('reconciliation run decider', () => {
  it('starts, completes once, and refuses to complete or start a completed run', () => {
    spec(runDecider).given([]).when({ type: 'StartRun', started }).then([{ type: 'ReconciliationRunStarted', data: started }]);
    spec(runDecider).given([{ type: 'ReconciliationRunStarted', data: started }]).when({ type: 'CompleteRun', completed }).then([{ type: 'ReconciliationRunCompleted', data: completed }]);
    const done = [
      { type: 'ReconciliationRunStarted' as const, data: started },
      { type: 'ReconciliationRunCompleted' as const, data: completed },
    ];
    spec(runDecider).given(done).when({ type: 'StartRun', started }).thenRejects('RUN_ALREADY_COMPLETED');
    spec(runDecider).given(done).when({ type: 'CompleteRun', completed }).thenRejects('RUN_ALREADY_COMPLETED');
  });

  it('lets an interrupted run start again', () => {
    spec(runDecider).given([{ type: 'ReconciliationRunStarted', data: started }]).when({ type: 'StartRun', started }).thenAccepts();
  });
});

describe('day close decider', () => {
  it('closes a day once', () => {
    spec(dayCloseDecider).given([]).when({ type: 'CloseDay', closed }).then([{ type: 'DayClosed', data: closed }]);
    spec(dayCloseDecider).given([{ type: 'DayClosed', data: closed }]).when({ type: 'CloseDay', closed }).thenRejects('DAY_ALREADY_CLOSED');
  });
});
