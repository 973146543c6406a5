export * from './actor';
export * from './tokens';
