/** What a job process is started with; `prepareInvocation` may rewrite it. */
export interface Invocation {
  command: string[];
  environment: Record<string, string>;
}

/** What `prepareInvocation` is given: the invocation, and what a container running the attempt needs. */
export interface AttemptInvocation extends Invocation {
  /** The job definition's image (`imageReference`). */
  readonly image: string;
  /** A name unique to this attempt. */
  readonly attemptName: string;
}

/**
 * Rewrites a job's command and environment right before its process is started.
 * @example const prepare: PrepareInvocation = ({ command, environment }) => ({ command, environment: { ...environment, SEED: '42' } });
 */
export type PrepareInvocation = (job: AttemptInvocation) => Invocation | Promise<Invocation>;
