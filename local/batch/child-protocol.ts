/**
 * Messages between `startBatchService` and the child process that runs the service
 * (`child.ts`). Everything here is plain data: it crosses the IPC channel as JSON.
 */
import type { JobDetail } from '@aws-sdk/client-batch';
import type { FanoutConfig } from '../../config';
import type { LocalCredentials } from '../private/sigv4.mjs';
import type { BatchServiceStats } from './control';

/** A module export used as `prepareInvocation` where a function cannot be passed (another process). */
export interface InvocationModule {
  /** `file:` URL or absolute path of the module. */
  readonly module: string;
  /** Name of the exported `(job: Invocation, options) => Invocation | Promise<Invocation>`. */
  readonly exportName: string;
  /** Plain data passed to it as its second argument; without it, the export gets the job alone. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** The service's options as the child receives them. */
export interface ChildServiceOptions {
  config: FanoutConfig;
  stateDir: string;
  port: number;
  /** The key pair requests must be signed with; sent over IPC so that no other user can read it from the command line. */
  credentials: LocalCredentials;
  vcpus?: number | 'auto';
  cwd: string;
  jobEnvironment?: Record<string, string>;
  jobUmask?: number;
  prepareInvocationModule?: InvocationModule;
}

export type ParentMessage =
  | { type: 'start'; options: ChildServiceOptions }
  | { type: 'call'; id: number; method: 'stats' | 'waitForIdle' }
  | { type: 'call'; id: number; method: 'waitForJob'; jobId: string }
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'listening'; url: string }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; value: BatchServiceStats | JobDetail | null }
  | { type: 'error'; id: number; name: string; message: string };
