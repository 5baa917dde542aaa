/**
 * Fair-share ordering of a queue's RUNNABLE jobs (docs: batch/latest/userguide/fair-share-scheduling.html,
 * batch/latest/APIReference/API_FairsharePolicy.html, API_ShareAttributes.html). AWS documents the
 * parameters, not the algorithm; the model here is docs/local-batch.md, "Fair share":
 *
 * - a share's usage is the vCPUs its attempts hold now, plus, with `shareDecaySeconds` D > 0, its
 *   recent usage: vCPU-seconds decayed exponentially with time constant D, divided by D;
 * - the next job comes from the share with the least `usage × weightFactor` (a lower weight gets a
 *   larger share), ties going to the share whose next job was queued first;
 * - within a share, higher `schedulingPriority` first, then first in, first out;
 * - `computeReservation` holds back `capacity × (computeReservation/100)^activeShares` vCPUs.
 */
import type { Clock } from '../../engine/types';
import { Fifo } from '../private/fifo';
import type { JobRecord, RunnableJobs, SchedulingPolicyState } from '../store/records';

interface Queued {
  job: JobRecord;
  /** Order of arrival in this queue, for ties between shares. */
  sequence: number;
}

interface Share {
  /** RUNNABLE jobs by scheduling priority. */
  byPriority: Map<number, Fifo<Queued>>;
  /** The keys of `byPriority`, highest first. */
  priorities: number[];
  queued: number;
  /** vCPUs held by the share's STARTING and RUNNING attempts. */
  running: number;
  /** Past usage in vCPU-seconds, decayed exponentially with time constant `shareDecaySeconds`. */
  decayed: number;
  updatedAt: number;
}

/** The weight of `shareIdentifier`: an exact entry, else the longest matching `prefix*` entry, else 1. */
export function weightOf(policy: SchedulingPolicyState, shareIdentifier: string): number {
  let best: { length: number; weight: number } | undefined;
  for (const entry of policy.shareDistribution) {
    const id = entry.shareIdentifier;
    if (id === shareIdentifier) return entry.weightFactor;
    if (id.endsWith('*') && shareIdentifier.startsWith(id.slice(0, -1)) && id.length > (best?.length ?? -1)) {
      best = { length: id.length, weight: entry.weightFactor };
    }
  }
  return best?.weight ?? 1;
}

/**
 * The RUNNABLE jobs of a fair-share queue.
 * @example const jobs = new FairShareJobs(() => policy, clock); jobs.push(job); jobs.peek();
 */
export class FairShareJobs implements RunnableJobs {
  private readonly shares = new Map<string, Share>();
  private sequence = 0;
  private queuedJobs = 0;
  private vcpusInUse = 0;
  /** The share of the job {@link peek} returned last, which {@link shift} takes from. */
  private chosen: Share | undefined;

  constructor(
    private readonly policyOf: () => SchedulingPolicyState,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.queuedJobs;
  }

  push(job: JobRecord): void {
    const share = this.share(job);
    const priority = job.schedulingPriority ?? 0;
    let jobs = share.byPriority.get(priority);
    if (!jobs) {
      jobs = new Fifo<Queued>();
      share.byPriority.set(priority, jobs);
      share.priorities.push(priority);
      share.priorities.sort((a, b) => b - a);
    }
    jobs.push({ job, sequence: this.sequence++ });
    share.queued++;
    this.queuedJobs++;
  }

  peek(): JobRecord | undefined {
    const policy = this.policyOf();
    const now = this.clock.now();
    let best: { share: Share; head: Queued; score: number } | undefined;
    for (const [id, share] of this.shares) {
      const head = this.head(share);
      if (!head) {
        this.forgetIfIdle(id, share, now);
        continue;
      }
      const score = this.usage(share, policy, now) * weightOf(policy, id);
      if (!best || score < best.score || (score === best.score && head.sequence < best.head.sequence)) {
        best = { share, head, score };
      }
    }
    this.chosen = best?.share;
    return best?.head.job;
  }

  shift(): JobRecord | undefined {
    const share = this.chosen;
    if (!share) return undefined;
    this.chosen = undefined;
    const priority = share.priorities[0];
    if (priority === undefined) return undefined;
    const jobs = share.byPriority.get(priority) as Fifo<Queued>;
    const taken = jobs.shift();
    if (jobs.size === 0) {
      share.byPriority.delete(priority);
      share.priorities.shift();
    }
    share.queued--;
    this.queuedJobs--;
    return taken?.job;
  }

  attemptStarted(job: JobRecord, vcpus: number): void {
    const share = this.share(job);
    this.decay(share, this.policyOf(), this.clock.now());
    share.running += vcpus;
    this.vcpusInUse += vcpus;
  }

  attemptEnded(job: JobRecord, vcpus: number): void {
    const share = this.share(job);
    this.decay(share, this.policyOf(), this.clock.now());
    share.running -= vcpus;
    this.vcpusInUse -= vcpus;
  }

  /**
   * Compute reservation: the active shares (those with RUNNABLE, STARTING or RUNNING jobs) together
   * hold at most `capacity × (1 - (computeReservation/100)^activeShares)`. A queue with nothing
   * running always admits its next job, so that a reservation never stops a queue for good.
   */
  admits(need: number, capacity: number): boolean {
    const reservation = this.policyOf().computeReservation;
    if (reservation === 0 || this.vcpusInUse === 0) return true;
    let active = 0;
    for (const share of this.shares.values()) if (share.queued > 0 || share.running > 0) active++;
    const reserved = capacity * (reservation / 100) ** active;
    return this.vcpusInUse + need <= capacity - reserved;
  }

  private share(job: JobRecord): Share {
    const id = job.shareIdentifier ?? '';
    let share = this.shares.get(id);
    if (!share) {
      share = { byPriority: new Map(), priorities: [], queued: 0, running: 0, decayed: 0, updatedAt: this.clock.now() };
      this.shares.set(id, share);
    }
    return share;
  }

  /** The share's next job, dropping the cancelled ones met on the way. */
  private head(share: Share): Queued | undefined {
    for (;;) {
      const priority = share.priorities[0];
      if (priority === undefined) return undefined;
      const jobs = share.byPriority.get(priority) as Fifo<Queued>;
      const head = jobs.peek();
      if (head && head.job.status === 'RUNNABLE') return head;
      jobs.shift();
      share.queued--;
      this.queuedJobs--;
      if (jobs.size === 0) {
        share.byPriority.delete(priority);
        share.priorities.shift();
      }
    }
  }

  /** Current vCPUs plus, with a decay time, the recent average. */
  private usage(share: Share, policy: SchedulingPolicyState, now: number): number {
    this.decay(share, policy, now);
    const seconds = policy.shareDecaySeconds;
    return seconds > 0 ? share.running + share.decayed / seconds : share.running;
  }

  /** Brings `decayed` to `now`: the running vCPUs were constant since `updatedAt`. */
  private decay(share: Share, policy: SchedulingPolicyState, now: number): void {
    const seconds = policy.shareDecaySeconds;
    const elapsed = (now - share.updatedAt) / 1000;
    share.updatedAt = now;
    if (seconds === 0) {
      share.decayed = 0;
      return;
    }
    if (elapsed <= 0) return;
    const kept = Math.exp(-elapsed / seconds);
    share.decayed = share.decayed * kept + share.running * seconds * (1 - kept);
  }

  private forgetIfIdle(id: string, share: Share, now: number): void {
    if (share.queued > 0 || share.running > 0) return;
    this.decay(share, this.policyOf(), now);
    // Under a thousandth of a vCPU-second left: the share's past no longer weighs on anything.
    if (share.decayed < 1e-3) this.shares.delete(id);
  }
}
