export * from './settlement-row';
export * from './settlement-reader';
export * from './matcher';
export * from './report';
export * from './reconcile';
export * from './reconciliation.events';
export * from './reconciliation.deciders';
export { ExceptionOrder, partitionOf, SettlementStaging, STAGING_PARTITIONS, StagedPartition } from './staging/settlement-staging';
export * from './csv-records';
