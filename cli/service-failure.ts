import type { LocalCloud, ServiceFailure } from '../local/cloud';
import type { RunPath } from '../run';
import { CliError, ExitCode } from './io';
import { commandPrefix } from './package-info';
import { executionArnOf } from './targets';

/** How long a failed run waits to learn whether a service's death was the cause. */
const SERVICE_DEATH_GRACE_MS = 1_000;

/**
 * The run's exit code, unless a local service's process died during it: then its execution is
 * stopped, and the run ends with one line naming the service and the way on (`resume`), exit 69.
 * An error of the run that a service's death caused (the ledger unreachable) counts as that death.
 */
export async function survivingServiceFailure(
  cloud: LocalCloud,
  plan: { runId: string; executionName: string; path?: RunPath },
  running: Promise<number>,
  dirText: string,
): Promise<number> {
  const failure = cloud.serviceFailure ?? new Promise<never>(() => {});
  let outcome: { code: number } | { failure: ServiceFailure };
  try {
    outcome = await Promise.race([running.then((code) => ({ code })), failure.then((died) => ({ failure: died }))]);
  } catch (error) {
    const died = await Promise.race([
      failure,
      new Promise<undefined>((done) => setTimeout(() => done(undefined), SERVICE_DEATH_GRACE_MS)),
    ]);
    if (!died) throw error;
    outcome = { failure: died };
  }
  if ('code' in outcome) return outcome.code;
  running.catch(() => undefined);
  const stateMachineArn = plan.path === 'array' ? cloud.arrayStateMachineArn : cloud.mapStateMachineArn;
  const { service, why } = outcome.failure;
  try {
    cloud.engine.stopExecution(executionArnOf(stateMachineArn, plan.executionName), {
      error: 'Fanout.LocalServiceDied',
      cause: `the local ${service} service process ${why}`,
    });
  } catch {
    // It had already ended.
  }
  throw new CliError(
    `the local ${service} service process ${why} during run ${plan.runId}; the run is stopped. Finish it with: ${commandPrefix()} resume ${plan.runId} --dir ${dirText}`,
    ExitCode.ServiceDied,
  );
}
