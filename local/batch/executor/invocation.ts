/** What a job process is started with; `prepareInvocation` may rewrite it. */
export interface Invocation {
  command: string[];
  environment: Record<string, string>;
}

/**
 * Rewrites a job's command and environment right before its process is started.
 * @example const prepare: PrepareInvocation = ({ command, environment }) => ({ command, environment: { ...environment, SEED: '42' } });
 */
export type PrepareInvocation = (job: Invocation) => Invocation | Promise<Invocation>;
