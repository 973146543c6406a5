export * from './bundle';
export * from './checkpoint';
export * from './encoding';
export * from './entry';
export * from './notice-citation';
export * from './verify-bundle';
