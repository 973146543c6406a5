export * from './hash';
export * from './memory-tree';
export * from './proofs';
export * from './ranges';
