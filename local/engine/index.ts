/**
 * The local AWS Step Functions engine: an Amazon States Language interpreter (JSONPath) with
 * Distributed Map, served through the `StepFunctionsService` contract of ./types.
 */

export { FakeClock, MAX_TIMER_MS, systemClock, type Timers, timerClock } from './clock';
export { type LoadedDefinition, loadDefinition } from './definition';
export { MemoryObjectStore, type ObjectStore, type ObjectSummary } from './object-store';
export { s3ObjectStore } from './s3-object-store';
export { createLocalStepFunctions, type LocalStepFunctionsOptions } from './service';
