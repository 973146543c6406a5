export * from './consent.events';
export * from './catalogue';
export * from './catalogue.deciders';
export * from './subject.decider';
export * from './receipt';
export * from './ids';
