export * from './money';
export * from './accounts';
export * from './postings';
export * from './wallet/wallet.events';
export * from './wallet/wallet.decider';
