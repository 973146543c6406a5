export * from './problem';
export * from './problem-catalog';
export * from './problem-details.filter';
export * from './contract';
