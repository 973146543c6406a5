export * from './merkle-log.projection';
export * from './merkle-log.reader';
