export * from './decider';
export * from './stream-command-executor';
