export * from './projection';
export * from './projection-runner';
export * from './read-model-store';
export * from './sqlite-read-model-store';
export * from './postgres-read-model-store';
