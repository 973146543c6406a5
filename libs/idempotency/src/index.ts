export * from './idempotency';
export * from './sqlite-idempotency-store';
