import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveEndpointsOf, parseServeEnvFile } from '../../cli/live-endpoints';
import { writeRunLock } from '../../cli/lock';
import { tempDir } from '../e2e/helpers';

const envFile = (pid: number) =>
  [
    `# fanout local serve, process ${pid}`,
    'unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN',
    "export AWS_ACCESS_KEY_ID='AKIDLOCAL'",
    "export AWS_SECRET_ACCESS_KEY='it'\\''s secret'",
    "export AWS_REGION='us-east-1'",
    "export AWS_ENDPOINT_URL_SFN='http://127.0.0.1:4001'",
    "export AWS_ENDPOINT_URL_BATCH='http://127.0.0.1:4002'",
    "export AWS_ENDPOINT_URL_DYNAMODB='http://127.0.0.1:4003'",
    '',
  ].join('\n');

describe('parseServeEnvFile', () => {
  it("reads the export lines, undoing the shell's quoting", () => {
    expect(parseServeEnvFile(envFile(1))).toMatchObject({
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: "it's secret",
      AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:4001',
    });
  });
});

describe('liveEndpointsOf', () => {
  it('reads the env file of the serve process holding the folder', () => {
    const dir = tempDir('fanout-live-');
    writeFileSync(join(dir, 'local-cloud.env'), envFile(4242));
    expect(liveEndpointsOf(dir, { pid: 4242 })).toEqual({
      pid: 4242,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: "it's secret" },
      stepfunctions: 'http://127.0.0.1:4001',
      dynamodb: 'http://127.0.0.1:4003',
      batch: 'http://127.0.0.1:4002',
    });
  });

  it("ignores an env file another process wrote (a killed serve's), and finds none without a lock", () => {
    const dir = tempDir('fanout-live-');
    writeFileSync(join(dir, 'local-cloud.env'), envFile(4241));
    expect(liveEndpointsOf(dir, { pid: 4242 })).toBeUndefined();
  });

  it("reads the lock of the run the holder follows, and not another process's lock", () => {
    const dir = tempDir('fanout-live-');
    const lock = {
      endpoint: 'http://127.0.0.1:5001',
      ledgerEndpoint: 'http://127.0.0.1:5003',
      credentials: { accessKeyId: 'AKIDRUN', secretAccessKey: 'secret' },
      region: 'eu-west-1',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:fanout-map:sweep-7',
    };
    writeRunLock(dir, 'other', { ...lock, pid: 1111 });
    expect(liveEndpointsOf(dir, { pid: 4242 })).toBeUndefined();
    writeRunLock(dir, 'sweep-7', { ...lock, pid: 4242 });
    expect(liveEndpointsOf(dir, { pid: 4242 })).toEqual({
      pid: 4242,
      region: 'eu-west-1',
      credentials: lock.credentials,
      stepfunctions: 'http://127.0.0.1:5001',
      dynamodb: 'http://127.0.0.1:5003',
    });
  });

  it('passes over a lock that names no DynamoDB endpoint', () => {
    const dir = tempDir('fanout-live-');
    mkdirSync(join(dir, 'runs'));
    writeFileSync(
      join(dir, 'runs', 'old.lock'),
      JSON.stringify({
        pid: 4242,
        endpoint: 'http://127.0.0.1:1',
        credentials: {},
        region: 'us-east-1',
        executionArn: 'x',
      }),
    );
    expect(liveEndpointsOf(dir, { pid: 4242 })).toBeUndefined();
  });
});
