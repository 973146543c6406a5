export * from './key-encryption-keys';
export * from './pii-protector';
export * from './subject-key-store';
export * from './postgres-subject-key-store';
