import type { ExecutionStatus } from '../../types';

/** A Distributed Map child's status, stored as one byte per child. */
export const RUNNING = 0;
export const SUCCEEDED = 1;
export const FAILED = 2;
export const TIMED_OUT = 3;
export const ABORTED = 4;
export const STATUS_NAMES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
