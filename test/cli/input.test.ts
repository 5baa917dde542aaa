import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localJobResources, readJsonDocument } from '../../cli/input';
import { CliError } from '../../cli/io';
import { loadConfig, parseConfig } from '../../config';

describe('readJsonDocument', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-cli-input-'));
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('reads a UTF-8 JSON document', () => {
    expect(readJsonDocument(file('ok.json', Buffer.from('{"x":"é"}')), 'input')).toEqual({ x: 'é' });
  });

  it('refuses bytes that are not UTF-8 with their offset instead of replacing them', () => {
    const path = file('latin1.json', Buffer.from('{"x":"caf\xe9"}', 'latin1'));
    expect(() => readJsonDocument(path, 'input')).toThrow(CliError);
    expect(() => readJsonDocument(path, 'input')).toThrow(
      `invalid input ${path}: the file must be UTF-8 text, but the bytes at byte offset 9 are not UTF-8`,
    );
    expect(() => readJsonDocument(path, 'input')).toThrow('(received "0xE9 0x22 0x7D")');
  });

  it('still names a JSON syntax error as such', () => {
    expect(() => readJsonDocument(file('bad.json', Buffer.from('{"x":')), 'input')).toThrow('is not valid JSON');
  });
});

describe('localJobResources', () => {
  it('lists the queues and job definitions of the configuration, at revision 1 in its region and account', () => {
    const config = loadConfig();
    expect(localJobResources(config)).toEqual({
      source: 'fanout.config.json (the local cloud)',
      jobQueues: config.jobQueues.map((queue) => queue.name),
      schedulingPolicies: Object.fromEntries(
        config.jobQueues.flatMap((queue) => (queue.schedulingPolicy ? [[queue.name, queue.schedulingPolicy]] : [])),
      ),
      jobDefinitions: config.jobDefinitions.map((definition) => definition.name),
      onlyRevision: 1,
      definitionArnPrefix: `arn:aws:batch:${config.region}:${config.accountId}:job-definition/`,
    });
    expect(localJobResources(config).jobQueues).toContain('fanout-high');
  });

  it('names the scheduling policy of each fair-share queue, so a run on one must name its share', () => {
    const config = parseConfig({
      computeEnvironments: [{ name: 'ce', type: 'FARGATE', maxvCpus: 4 }],
      jobQueues: [
        { name: 'fifo', priority: 1, computeEnvironments: ['ce'] },
        { name: 'shared', priority: 1, computeEnvironments: ['ce'], schedulingPolicy: 'teams' },
      ],
      jobDefinitions: [{ name: 'job', image: 'fanout-job:latest' }],
      schedulingPolicies: [{ name: 'teams' }],
    });
    expect(localJobResources(config).schedulingPolicies).toEqual({ shared: 'teams' });
  });
});
