/**
 * Job dependencies as they are made (docs: batch/latest/userguide/job_dependencies.html): the
 * `dependsOn` of a SubmitJob request checked and linked, and the SEQUENTIAL and N_TO_N links of
 * an array job's children (docs: batch/latest/userguide/array_jobs.html).
 */
import type { DependencyInput } from '../api/validate';
import { BatchClientError } from '../errors';
import type { JobStore } from '../store/job-store';
import type { JobRecord } from '../store/records';
import { type JobEntry, SpilledJob } from '../store/spilled-job';

/** The jobs a SubmitJob request depends on, found and checked. */
interface RequestedDependencies {
  /** Whole jobs the new job waits for. */
  dependencies: JobEntry[];
  /** Arrays whose child i the new array's child i waits for. */
  nToN: JobRecord[];
  /** A SEQUENTIAL entry without a job ID: the new array's children run one after another. */
  sequential: boolean;
}

/**
 * Finds the jobs `dependsOn` names; throws `BatchClientError` naming the entry for an unknown
 * job, a type on a job that is not an array, or an N_TO_N pairing arrays that cannot pair.
 */
export function findDependencies(
  dependsOn: DependencyInput[] | undefined,
  arraySize: number | undefined,
  store: JobStore,
): RequestedDependencies {
  const dependencies: JobEntry[] = [];
  const nToN: JobRecord[] = [];
  let sequential = false;
  (dependsOn ?? []).forEach((dependency, index) => {
    const where = `dependsOn[${index}]`;
    // SEQUENTIAL and N_TO_N order the children of array jobs (docs: batch/latest/userguide/job_dependencies.html).
    if (dependency.type !== undefined && arraySize === undefined) {
      throw new BatchClientError(
        `${where}.type ${dependency.type} is only valid for array jobs (arrayProperties.size)`,
      );
    }
    if (dependency.type === 'SEQUENTIAL' && dependency.jobId === undefined) {
      sequential = true;
      return;
    }
    const target = store.get(dependency.jobId as string);
    if (!target) throw new BatchClientError(`${where}.jobId: job ${dependency.jobId} does not exist`);
    if (dependency.type !== 'N_TO_N') {
      dependencies.push(target);
      return;
    }
    // A parent restored from the journal has no children left: it cannot pair its children with ours.
    if (target instanceof SpilledJob || !target.array) {
      throw new BatchClientError(
        `${where}: an N_TO_N dependency must name an array job whose children are known; job ${dependency.jobId} is not one`,
      );
    }
    if (target.array.size !== arraySize) {
      throw new BatchClientError(
        `${where}: an N_TO_N dependency pairs child i with child i, so both arrays must have the same size; job ${dependency.jobId} has arrayProperties.size ${target.array.size}, this job ${arraySize}`,
      );
    }
    nToN.push(target);
  });
  return { dependencies, nToN, sequential };
}

/**
 * Links a new job to what it waits for: a dependency that already failed fails it, one still
 * running counts as unmet and will settle it.
 */
export function linkDependencies(job: JobRecord, { dependencies, nToN }: RequestedDependencies): void {
  for (const dependency of dependencies) {
    if (dependency.status === 'FAILED') job.dependencyFailed = true;
    else if (dependency.status !== 'SUCCEEDED' && !(dependency instanceof SpilledJob)) {
      job.unmetDependencies++;
      addDependent(dependency, job);
    }
  }
  if (nToN.length > 0) job.nToN = nToN;
  for (const upstream of nToN) {
    // Children are paired once both arrays have them; an array that ended without children fails ours.
    if (upstream.array?.expanded) continue;
    if (upstream.status === 'FAILED') job.dependencyFailed = true;
    else {
      job.unmetDependencies++;
      if (upstream.expansionWaiters) upstream.expansionWaiters.push(job);
      else upstream.expansionWaiters = [job];
    }
  }
}

/**
 * Links child `index` of an array: to the previous child when the array is SEQUENTIAL, and to
 * child `index` of each array named N_TO_N (docs: batch/latest/userguide/array_jobs.html).
 */
export function linkArrayChild(
  parent: JobRecord,
  index: number,
  child: JobRecord,
  previous: JobRecord | undefined,
  store: JobStore,
): void {
  if (parent.array?.sequential && previous) {
    child.dependsOn = [{ jobId: previous.jobId, type: 'SEQUENTIAL' }];
    child.unmetDependencies = 1;
    addDependent(previous, child);
  }
  for (const upstreamArray of parent.nToN ?? []) {
    const upstreamId = `${upstreamArray.jobId}:${index}`;
    const upstream = store.get(upstreamId);
    const link = { jobId: upstreamId, type: 'N_TO_N' } as const;
    if (child.dependsOn) child.dependsOn.push(link);
    else child.dependsOn = [link];
    if (!upstream || upstream.status === 'FAILED') child.dependencyFailed = true;
    else if (!(upstream instanceof SpilledJob) && upstream.status !== 'SUCCEEDED') {
      child.unmetDependencies++;
      addDependent(upstream, child);
    }
  }
}

function addDependent(upstream: JobRecord, dependent: JobRecord): void {
  if (upstream.dependents) upstream.dependents.push(dependent);
  else upstream.dependents = [dependent];
}
