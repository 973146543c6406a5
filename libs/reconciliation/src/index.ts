export * from './settlement-row';
export * from './settlement-reader';
export * from './matcher';
export * from './report';
export * from './reconcile';
export * from './reconciliation.events';
export * from './reconciliation.deciders';
export { SqliteSettlementStaging } from './staging/sqlite-staging';
