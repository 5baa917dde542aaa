/** ListJobs (docs: batch/latest/APIReference/API_ListJobs.html). */
import type { JobSummary, ListJobsResponse } from '@aws-sdk/client-batch';
import { BatchClientError } from '../errors';
import { decodeListToken, encodeListToken } from '../private/list-token';
import { jobSummary, summaryFields } from '../shapes/job-summary';
import type { JobRecord } from '../store/records';
import { SpilledJob } from '../store/spilled-job';
import { type JobStatus, jobStatuses, type StatusIndex } from '../store/status-index';
import type { ServiceParts } from './service-parts';
import { optionalMember } from './validate';

/** ListJobs page limits (docs: batch/latest/APIReference/API_ListJobs.html). */
const listPageLimit = 1000;
const listFilteredPageLimit = 100;

/** What ListJobs filters read, the same on both kinds of entry. */
type FilterSubject = Pick<JobRecord, 'jobName' | 'definition' | 'createdAt'>;

/**
 * ListJobs by `jobQueue` or `arrayJobId`, filtered by `jobStatus` (default RUNNING, as AWS)
 * or by `filters` (JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT; every status).
 */
export function listJobs(
  { resources, store }: Pick<ServiceParts, 'resources' | 'store'>,
  request: unknown,
): ListJobsResponse {
  const jobQueue = optionalMember(request, 'jobQueue', 'string');
  const arrayJobId = optionalMember(request, 'arrayJobId', 'string');
  const multiNodeJobId = optionalMember(request, 'multiNodeJobId', 'string');
  const given = [jobQueue, arrayJobId, multiNodeJobId].filter((value) => value !== undefined).length;
  if (given !== 1)
    throw new BatchClientError(`specify exactly one of jobQueue, arrayJobId or multiNodeJobId; received ${given}`);
  if (multiNodeJobId !== undefined)
    throw new BatchClientError('multiNodeJobId: multi-node parallel jobs are not supported locally');
  const jobStatus = optionalMember(request, 'jobStatus', 'string');
  if (jobStatus !== undefined && !jobStatuses.includes(jobStatus as JobStatus)) {
    throw new BatchClientError(`jobStatus must be one of ${jobStatuses.join(', ')}; received "${jobStatus}"`);
  }
  const filters = parseFilters(request);
  const maxResults = optionalMember(request, 'maxResults', 'number');
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1)) {
    throw new BatchClientError(`maxResults must be a positive integer; received ${maxResults}`);
  }
  const pageSize = Math.min(maxResults ?? Number.POSITIVE_INFINITY, filters ? listFilteredPageLimit : listPageLimit);
  const start = decodeListToken(optionalMember(request, 'nextToken', 'string'));

  let index: StatusIndex;
  if (jobQueue !== undefined) {
    index = resources.resolveQueue(jobQueue).byStatus;
  } else {
    const parent = store.get(arrayJobId as string);
    const children =
      parent instanceof SpilledJob ? store.restoredArrayChildren(parent.jobId) : parent?.array?.childrenByStatus;
    if (!children) throw new BatchClientError(`arrayJobId: ${arrayJobId} is not the ID of an array job`);
    index = children;
  }
  const statuses = filters ? jobStatuses : [(jobStatus as JobStatus | undefined) ?? 'RUNNING'];
  const jobSummaryList: JobSummary[] = [];
  const next = index.scan(statuses, start, (jobId) => {
    const job = store.get(jobId);
    if (!job || (filters && !filters(job))) return true;
    if (jobSummaryList.length === pageSize) return false;
    const fields = job instanceof SpilledJob ? job : summaryFields(job);
    jobSummaryList.push(jobSummary(fields, resources.arn('job', fields.jobId)));
    return true;
  });
  return next ? { jobSummaryList, nextToken: encodeListToken(next) } : { jobSummaryList };
}

function parseFilters(request: unknown): ((job: FilterSubject) => boolean) | undefined {
  const raw = (request as { filters?: unknown } | null)?.filters;
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new BatchClientError('filters must be an array of {name, values}');
  const tests = raw.map((filter: unknown, index): ((job: FilterSubject) => boolean) => {
    const { name, values } = (filter ?? {}) as { name?: unknown; values?: unknown };
    if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') {
      throw new BatchClientError(`filters[${index}].values must hold exactly one string`);
    }
    const value = values[0] as string;
    const glob = (subject: string): boolean =>
      value.endsWith('*') ? subject.startsWith(value.slice(0, -1)) : subject === value;
    switch (name) {
      case 'JOB_NAME':
        return (job) => glob(job.jobName);
      case 'JOB_DEFINITION':
        return (job) => glob(job.definition.name) || glob(job.definition.arn) || glob(`${job.definition.name}:1`);
      case 'BEFORE_CREATED_AT':
        return (job) => job.createdAt < Number(value);
      case 'AFTER_CREATED_AT':
        return (job) => job.createdAt > Number(value);
      default:
        throw new BatchClientError(
          `filters[${index}].name must be one of JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT; received ${JSON.stringify(name)}`,
        );
    }
  });
  return (job) => tests.every((test) => test(job));
}
