/**
 * Spot capacity reclaimed under a running attempt, locally: each attempt placed on a SPOT or
 * FARGATE_SPOT compute environment loses its host with probability `rate`, `afterMs` after it
 * starts running. The attempt then ends as AWS reports such an end, and the retry strategy
 * decides (docs: batch/latest/userguide/job_retries.html; docs/local-batch.md, "Spot").
 */
import { StatusReasons } from '../status-reasons';
import type { ComputeEnvironmentState } from '../store/records';

export interface SpotInterruptions {
  /** Chance, 0 to 1, that an attempt on a Spot compute environment is interrupted. */
  rate: number;
  /** Time from RUNNING to the interruption. */
  afterMs: number;
  /** Uniform on [0, 1); tests inject a fixed sequence. */
  random: () => number;
}

/** How an interrupted attempt is stopped and what it reports. */
export interface Interruption {
  statusReason: string;
  /** EC2 Spot loses the instance at once; Fargate Spot sends SIGTERM first, then SIGKILL. */
  signal: 'SIGKILL' | 'SIGTERM';
}

/**
 * Draws whether an attempt just started on `environment` will be interrupted; one draw per
 * attempt on a Spot environment, none elsewhere.
 * @example spotInterruption(environment, { rate: 0.5, afterMs: 0, random: Math.random })
 */
export function spotInterruption(
  environment: ComputeEnvironmentState,
  spot: SpotInterruptions,
): Interruption | undefined {
  if (environment.type !== 'SPOT' && environment.type !== 'FARGATE_SPOT') return undefined;
  if (spot.rate <= 0 || spot.random() >= spot.rate) return undefined;
  if (environment.type === 'FARGATE_SPOT')
    return { statusReason: StatusReasons.fargateSpotInterrupted, signal: 'SIGTERM' };
  return { statusReason: StatusReasons.spotHostTerminated(instanceId(spot.random)), signal: 'SIGKILL' };
}

/** An EC2 instance ID: `i-` and 17 hexadecimal digits. */
function instanceId(random: () => number): string {
  let digits = '';
  for (let index = 0; index < 17; index++) digits += Math.floor(random() * 16).toString(16);
  return `i-${digits}`;
}
