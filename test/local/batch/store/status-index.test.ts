import { describe, expect, it } from 'vitest';
import { StatusIndex } from '../../../../local/batch/store/status-index';

function filled(count: number): StatusIndex {
  const index = new StatusIndex();
  for (let job = 0; job < count; job++) {
    index.move(`job-${job}`, undefined, 'SUBMITTED');
    index.move(`job-${job}`, 'SUBMITTED', 'RUNNABLE');
  }
  return index;
}

describe('StatusIndex', () => {
  it('keeps each status in the order its jobs entered it', () => {
    const index = filled(3);
    index.move('job-2', 'RUNNABLE', 'SUCCEEDED');
    index.move('job-0', 'RUNNABLE', 'SUCCEEDED');
    const seen: string[] = [];
    expect(
      index.scan(['RUNNABLE', 'SUCCEEDED'], { status: 0, position: 0 }, (jobId) => seen.push(jobId) > 0),
    ).toBeUndefined();
    expect(seen).toEqual(['job-1', 'job-2', 'job-0']);
    expect([index.size('RUNNABLE'), index.size('SUCCEEDED'), index.size('SUBMITTED')]).toEqual([1, 2, 0]);
  });

  it('starts a page of finished jobs at its position without visiting the jobs before it', () => {
    const index = filled(10_000);
    for (let job = 0; job < 10_000; job++) index.move(`job-${job}`, 'RUNNABLE', 'FAILED');
    let visited = 0;
    const page: string[] = [];
    const next = index.scan(['FAILED'], { status: 6, position: 9_000 }, (jobId) => {
      visited++;
      if (page.length === 100) return false;
      page.push(jobId);
      return true;
    });
    expect(visited).toBe(101);
    expect(page[0]).toBe('job-9000');
    expect(next).toEqual({ status: 6, position: 9_100 });
  });

  it('resumes a listing across statuses where the previous page stopped', () => {
    const index = filled(3);
    index.move('job-0', 'RUNNABLE', 'SUCCEEDED');
    const pages: string[][] = [];
    let from: { status: number; position: number } | undefined = { status: 0, position: 0 };
    while (from) {
      const page: string[] = [];
      from = index.scan(['RUNNABLE', 'SUCCEEDED'], from, (jobId) => page.length < 1 && page.push(jobId) > 0);
      pages.push(page);
    }
    expect(pages).toEqual([['job-1'], ['job-2'], ['job-0']]);
  });
});
