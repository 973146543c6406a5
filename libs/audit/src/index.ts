export * from './audit.events';
export * from './log-check';
export * from './signing-key';
export * from './verify';
