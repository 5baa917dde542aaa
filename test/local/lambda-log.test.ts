import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runLogger } from '../../lambdas/shared/log';
import { lambdaLogger } from '../../local/lambda-log';

describe('lambdaLogger', () => {
  it("appends a function's lines to <dir>/lambdas/<function>.jsonl, children's included, and prints nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-lambda-log-'));
    const stdout = vi.spyOn(process.stdout, 'write');
    try {
      const logger = lambdaLogger(dir, 'fanout-prepare');
      runLogger(logger, { runId: 'sweep-7', execution: 'arn:execution:sweep-7' }).info('input accepted', {
        itemCount: 3,
      });
      logger.warn('input refused');
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
    }
    const lines = readFileSync(join(dir, 'lambdas', 'fanout-prepare.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'input accepted',
        service: 'fanout',
        function: 'fanout-prepare',
        runId: 'sweep-7',
        execution: 'arn:execution:sweep-7',
        itemCount: 3,
      }),
      expect.objectContaining({ level: 'WARN', message: 'input refused', function: 'fanout-prepare' }),
    ]);
    expect(lines[1]).not.toHaveProperty('runId');
  });
});
