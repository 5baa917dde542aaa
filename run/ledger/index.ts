export * from './failure-reason';
export * from './item-transitions';
export * from './reads';
export * from './schema';
export * from './writes';
