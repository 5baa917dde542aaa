/**
 * The run domain: what a run and its ledger are, every way a ledger row may change, and the
 * queries and writes that every Lambda, the CLI and the report share. It depends on nothing
 * else in fanout (docs/architecture.md, "Dependency rule").
 */
export * from './compute-pricing';
export * from './errors';
export * from './job-outcomes';
export * from './ledger';
export * from './ledger-view';
export * from './pricing';
export * from './record';
export * from './status-model';
