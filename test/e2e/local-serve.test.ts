import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { BatchClient, DescribeJobQueuesCommand } from '@aws-sdk/client-batch';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import type { LocalEndpoints } from '../../local/cloud';
import { signedFetch } from '../local/signed-request';
import { repoRoot, tempDir } from './helpers';

const run = promisify(execFile);

interface Served {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  endpoints: LocalEndpoints;
  environment: Record<string, string>;
  envFile: string;
}

let child: ChildProcessByStdio<null, Readable, null>;
let served: Served;

beforeAll(async () => {
  child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'fanout.mjs'), 'local', 'serve', '--json', '--dir', tempDir()],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  served = JSON.parse(first) as Served;
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

type Service = keyof LocalEndpoints;

/** One read call per service through the SDK, signed with `credentials`. */
async function call(service: Service, credentials: Served['credentials']): Promise<unknown> {
  const config = { region: served.region, credentials, endpoint: served.endpoints[service], maxAttempts: 1 };
  switch (service) {
    case 'stepfunctions':
      return (await new SFNClient(config).send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name);
    case 'batch':
      return (await new BatchClient(config).send(new DescribeJobQueuesCommand({}))).jobQueues?.map(
        (q) => q.jobQueueName,
      );
    case 'dynamodb':
      return (await new DynamoDBClient(config).send(new ListTablesCommand({}))).TableNames;
    case 's3':
      return (await new S3Client({ ...config, forcePathStyle: true }).send(new ListBucketsCommand({}))).Buckets?.map(
        (b) => b.Name,
      );
    case 'sns':
      return (await new SNSClient(config).send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn);
  }
}

/** How the SDK reports a refused call: the error code and the HTTP status. */
async function refusal(service: Service, credentials: Served['credentials']): Promise<[string, number | undefined]> {
  try {
    await call(service, credentials);
  } catch (error) {
    const { name, $metadata } = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return [name, $metadata?.httpStatusCode];
  }
  throw new Error(`${service} accepted the call`);
}

/** A request each service would serve if it were signed. */
const unsignedRequests: Record<
  Service,
  { method: string; path: string; headers: Record<string, string>; body: string }
> = {
  stepfunctions: {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
    body: '{}',
  },
  batch: { method: 'POST', path: '/v1/describejobqueues', headers: { 'content-type': 'application/json' }, body: '{}' },
  dynamodb: {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
    body: '{}',
  },
  s3: { method: 'GET', path: '/fanout-data', headers: {}, body: '' },
  sns: {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Action=ListTopics&Version=2010-03-31',
  },
};

/** The error code in a raw answer, wherever the protocol puts it. */
function errorCode(headers: Record<string, string | string[] | undefined>, body: string): string | undefined {
  const header = headers['x-amzn-errortype'];
  if (typeof header === 'string') return header.split(':')[0];
  const xml = /<Code>([^<]+)<\/Code>/.exec(body);
  if (xml) return xml[1];
  const type = (JSON.parse(body) as { __type?: string }).__type;
  return type?.split('#').at(-1);
}

function send(
  url: string,
  options: { method: string; headers: Record<string, string>; body: string },
): Promise<{ status: number; code: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method, headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, code: errorCode(response.headers, body), body }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

const SERVICES: Service[] = ['stepfunctions', 'batch', 'dynamodb', 's3', 'sns'];

describe('fanout local serve --json', () => {
  it('prints a fresh key pair, the endpoints and the environment that reaches them', () => {
    expect(served.region).toBe('us-east-1');
    expect(Object.keys(served.endpoints).sort()).toEqual(['batch', 'dynamodb', 's3', 'sns', 'stepfunctions']);
    expect(served.credentials.accessKeyId).toMatch(/^LOCAL[A-Z2-7]{15}$/);
    expect(served.environment).toEqual({
      AWS_ACCESS_KEY_ID: served.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: served.credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SFN: served.endpoints.stepfunctions,
      AWS_ENDPOINT_URL_BATCH: served.endpoints.batch,
      AWS_ENDPOINT_URL_DYNAMODB: served.endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: served.endpoints.s3,
      AWS_ENDPOINT_URL_SNS: served.endpoints.sns,
    });
    // The shell form holds the secret: owner-only.
    expect(statSync(served.envFile).mode & 0o777).toBe(0o600);
    const shell = readFileSync(served.envFile, 'utf8');
    expect(shell).toContain(`export AWS_SECRET_ACCESS_KEY='${served.credentials.secretAccessKey}'`);
    expect(shell).toContain('unset AWS_PROFILE');
  });

  it('serves every AWS API to the SDK signing with the printed key pair', async () => {
    expect(await call('stepfunctions', served.credentials)).toEqual(
      expect.arrayContaining(['fanout-map', 'fanout-array']),
    );
    expect(await call('batch', served.credentials)).toEqual(expect.arrayContaining(['fanout-high', 'fanout-low']));
    expect(await call('dynamodb', served.credentials)).toContain('fanout-ledger');
    expect(await call('s3', served.credentials)).toContain('fanout-data');
    expect(await call('sns', served.credentials)).toEqual([expect.stringMatching(/:fanout-notices$/)]);
  });

  // The codes each service answers a bad signature with; the AWS common errors pages list
  // MissingAuthenticationToken, InvalidClientTokenId and IncompleteSignature (e.g.
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html), S3 its own
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
  it.each([
    [
      'stepfunctions',
      'MissingAuthenticationTokenException',
      400,
      'UnrecognizedClientException',
      'InvalidSignatureException',
    ],
    [
      'dynamodb',
      'MissingAuthenticationTokenException',
      400,
      'UnrecognizedClientException',
      'InvalidSignatureException',
    ],
    ['batch', 'MissingAuthenticationTokenException', 403, 'UnrecognizedClientException', 'InvalidSignatureException'],
    ['sns', 'MissingAuthenticationToken', 403, 'InvalidClientTokenId', 'SignatureDoesNotMatch'],
    ['s3', 'AccessDenied', 403, 'InvalidAccessKeyId', 'SignatureDoesNotMatch'],
  ] as const)(
    '%s refuses unsigned requests, other keys and a wrong secret with AWS error codes',
    async (service, unsigned, status, otherKey, wrongSecret) => {
      const raw = unsignedRequests[service];
      const answer = await send(`${served.endpoints[service]}${raw.path}`, raw);
      expect([answer.status, answer.code], answer.body).toEqual([status, unsigned]);

      const other = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: served.credentials.secretAccessKey };
      expect(await refusal(service, other)).toEqual([otherKey, status]);
      const wrong = { accessKeyId: served.credentials.accessKeyId, secretAccessKey: 'not-the-secret-key' };
      expect(await refusal(service, wrong)).toEqual([wrongSecret, status]);
    },
  );

  it('refuses a request signed 20 minutes ago and a validly signed one for a foreign Host', async () => {
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60 * 1000);
    const old = await signedFetch(`${served.endpoints.dynamodb}/`, {
      service: 'dynamodb',
      credentials: served.credentials,
      method: 'POST',
      headers: unsignedRequests.dynamodb.headers,
      body: '{}',
      signingDate: twentyMinutesAgo,
    });
    expect(old.status).toBe(400);
    expect(await old.text()).toContain('InvalidSignatureException');

    for (const service of SERVICES) {
      const url = served.endpoints[service];
      const port = new URL(url).port;
      const answer = await send(`${url}${unsignedRequests[service].path}`, {
        ...unsignedRequests[service],
        headers: { ...unsignedRequests[service].headers, host: `rebind.attacker.example:${port}` },
      });
      expect([service, answer.status]).toEqual([service, 403]);
      expect(answer.body).toContain('the Host header must name this endpoint');
    }
  });

  /** The environment of a program the user starts in a shell that sourced the printed form. */
  function userEnvironment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
    return {
      ...env,
      ...served.environment,
      // No profile or credentials file of the machine's user may stand in for the printed keys.
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    };
  }

  it('works with the AWS CLI given the printed environment, presigned URLs included', async () => {
    const env = userEnvironment();
    const aws = async (...args: string[]) => (await run('aws', [...args, '--output', 'json'], { env })).stdout;
    expect(JSON.parse(await aws('stepfunctions', 'list-state-machines')).stateMachines).toContainEqual(
      expect.objectContaining({ name: 'fanout-map' }),
    );
    expect(JSON.parse(await aws('batch', 'describe-job-queues')).jobQueues).toHaveLength(loadConfig().jobQueues.length);
    expect(JSON.parse(await aws('dynamodb', 'list-tables')).TableNames).toContain('fanout-ledger');
    expect(JSON.parse(await aws('sns', 'list-topics')).Topics).toHaveLength(1);
    const file = join(tempDir('fanout-cli-'), 'hello.txt');
    await run('sh', ['-c', `printf 'hello from the cli' > '${file}'`]);
    await run('aws', ['s3', 'cp', file, 's3://fanout-data/cli/hello world.txt'], { env });
    expect((await run('aws', ['s3', 'ls', 's3://fanout-data/cli/'], { env })).stdout).toContain('hello world.txt');
    const url = (await run('aws', ['s3', 'presign', 's3://fanout-data/cli/hello world.txt'], { env })).stdout.trim();
    const fetched = await fetch(url);
    expect([fetched.status, await fetched.text()]).toEqual([200, 'hello from the cli']);

    const refused = await run('aws', ['dynamodb', 'list-tables'], {
      env: { ...env, AWS_SECRET_ACCESS_KEY: 'not-the-secret-key' },
    }).catch((error: { stderr: string }) => error.stderr);
    expect(refused).toContain('InvalidSignatureException');
  }, 60_000);

  // docs: step-functions/latest/dg/redrive-executions.html, apireference/API_RedriveExecution.html.
  it('redrives a failed execution with the AWS CLI from the state that failed', async () => {
    const env = userEnvironment();
    const aws = async (...args: string[]) =>
      JSON.parse((await run('aws', [...args, '--output', 'json'], { env })).stdout || '{}') as Record<string, unknown>;
    const definition = {
      StartAt: 'Before',
      States: {
        Before: { Type: 'Pass', Result: 'ran', ResultPath: '$.before', Next: 'Read' },
        Read: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:s3:getObject',
          Parameters: { Bucket: 'fanout-data', Key: 'redrive/needed.txt' },
          ResultSelector: { 'body.$': '$.Body' },
          End: true,
        },
      },
    };
    const { stateMachineArn } = await aws(
      'stepfunctions',
      'create-state-machine',
      '--name',
      'redriven-by-cli',
      '--role-arn',
      'arn:aws:iam::000000000000:role/any',
      '--definition',
      JSON.stringify(definition),
    );
    const { executionArn } = await aws(
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      stateMachineArn as string,
      '--input',
      '{}',
    );
    const describe = () => aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn as string);
    const ended = async () => {
      for (;;) {
        const execution = await describe();
        if (execution.status !== 'RUNNING') return execution;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    // The object is missing: Read fails the execution, which may then be redriven.
    expect(await ended()).toMatchObject({
      status: 'FAILED',
      error: 'S3.NoSuchKeyException',
      redriveStatus: 'REDRIVABLE',
    });

    const file = join(tempDir('fanout-cli-redrive-'), 'needed.txt');
    await run('sh', ['-c', `printf 'present now' > '${file}'`]);
    await run('aws', ['s3', 'cp', file, 's3://fanout-data/redrive/needed.txt'], { env });
    await aws('stepfunctions', 'redrive-execution', '--execution-arn', executionArn as string);
    const redriven = await ended();
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(JSON.parse(redriven.output as string)).toEqual({ body: 'present now' });
    const { events } = (await aws(
      'stepfunctions',
      'get-execution-history',
      '--execution-arn',
      executionArn as string,
    )) as {
      events: Array<{ type: string; stateEnteredEventDetails?: { name: string } }>;
    };
    // Redrive restarts at the failed state: Before ran once, Read twice.
    expect(events.filter((event) => event.type === 'ExecutionRedriven')).toHaveLength(1);
    expect(events.filter((event) => event.stateEnteredEventDetails?.name === 'Before')).toHaveLength(1);
    expect(events.filter((event) => event.stateEnteredEventDetails?.name === 'Read')).toHaveLength(2);
  }, 60_000);

  it('works with boto3 given the printed environment', async () => {
    const script = [
      'import boto3',
      "print(boto3.client('stepfunctions').list_state_machines()['stateMachines'][0]['name'])",
      "print(len(boto3.client('batch').describe_job_queues()['jobQueues']))",
      "print(boto3.client('dynamodb').list_tables()['TableNames'][0])",
      "print(boto3.client('sns').list_topics()['Topics'][0]['TopicArn'].split(':')[-1])",
      "s3 = boto3.client('s3')",
      "s3.put_object(Bucket='fanout-data', Key='boto/ü +.txt', Body=b'from boto3')",
      "print(s3.get_object(Bucket='fanout-data', Key='boto/ü +.txt')['Body'].read().decode())",
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script], { env: userEnvironment() });
    expect(stdout.trim().split('\n')).toEqual([
      'fanout-map',
      String(loadConfig().jobQueues.length),
      'fanout-ledger',
      'fanout-notices',
      'from boto3',
    ]);
  }, 60_000);

  it('stops cleanly on SIGTERM and removes the file holding the key pair', async () => {
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(existsSync(served.envFile)).toBe(false);
  }, 60_000);
});
