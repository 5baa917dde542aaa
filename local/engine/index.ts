/**
 * The local AWS Step Functions engine: an Amazon States Language interpreter (JSONPath) with
 * Distributed Map, served through the `StepFunctionsService` contract of ./types.
 */
export { createLocalStepFunctions, type LocalStepFunctionsOptions } from './service';
export { FakeClock, systemClock } from './clock';
export { MemoryObjectStore, s3ObjectStore, type ObjectStore, type ObjectSummary } from './object-store';
export { loadDefinition, type LoadedDefinition } from './definition';
