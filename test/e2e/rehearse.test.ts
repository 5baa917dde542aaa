import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { repoRoot, runFanout, tempDir } from './helpers';

/**
 * `fanout rehearse` stands the synthesized stack itself up on the local cloud, IAM enforced
 * (docs/rehearse.md). Each broken copy of the project's own assembly below is a mistake that
 * passes every test of fanout's own wiring and would fail on the first real run.
 */

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

interface Rehearsed {
  map?: RunSummary;
  array?: RunSummary;
  denials: Array<{ roleArn: string; action: string; resource: string }>;
  notRehearsed: string[];
}

let assembly: string;
const work = tempDir('fanout-rehearse-');

beforeAll(() => {
  // What `cdk synth` runs: the app of cdk.json with CDK_OUTDIR set.
  assembly = join(work, 'cdk.out');
  execFileSync('sh', ['-c', (JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { app: string }).app], {
    cwd: repoRoot,
    env: { ...process.env, CDK_OUTDIR: assembly },
    stdio: 'ignore',
  });
}, 120_000);

/** A copy of the assembly with its template changed by `edit`. */
function brokenAssembly(name: string, edit: (template: Template) => void): string {
  const copy = join(work, name);
  cpSync(assembly, copy, { recursive: true });
  const file = join(copy, 'Fanout.template.json');
  const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
  edit(template);
  writeFileSync(file, JSON.stringify(template));
  return copy;
}

function logicalId(template: Template, prefix: string): string {
  const id = Object.keys(template.Resources).find((candidate) => candidate.startsWith(prefix));
  if (!id) throw new Error(`no resource ${prefix}* in the template`);
  return id;
}

/** The statements of the default policy of a role, by the role's logical id prefix. */
function roleStatements(template: Template, rolePrefix: string): Array<{ Action: string | string[] }> {
  const role = logicalId(template, rolePrefix);
  const policy = Object.values(template.Resources).find(
    (resource) =>
      resource.Type === 'AWS::IAM::Policy' &&
      (resource.Properties.Roles as Array<{ Ref?: string }>).some((entry) => entry.Ref === role),
  );
  if (!policy) throw new Error(`no policy of role ${role}`);
  return (policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement;
}

function input(name: string, document: object): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

const allSucceed = () => input('grid', { grid: { n: [1, 2, 3, 4, 5] }, command: ['sh', '-c', 'echo n={n}'] });

describe('fanout rehearse', () => {
  it('synthesizes the app of cdk.json and runs an input through both deployed state machines with IAM enforced', async () => {
    const dir = join(work, 'state');
    const run = await runFanout(['rehearse', '--input', allSucceed(), '--dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = run.json<Rehearsed>();
    expect(result.map).toMatchObject({ status: 'SUCCEEDED', counts: { total: 5, succeeded: 5 } });
    expect(result.array).toMatchObject({ status: 'SUCCEEDED', counts: { total: 5, succeeded: 5 } });
    expect(result.denials).toEqual([]);
    // Said up front and in the output: what a rehearsal cannot rehearse.
    expect(run.stderr).toContain('not rehearsed:');
    expect(run.stderr).toContain('container images are not pulled');
    expect(result.notRehearsed).toContain('VPC networking, security groups and endpoints are not modelled');
    // The deployed names, from the template: the bundled Lambdas ran in their own processes and logged there.
    expect(run.stderr).toContain('arn:aws:states:us-east-1:000000000000:stateMachine:fanout-map');
    expect(existsSync(join(dir, 'reports', `${result.map?.runId}.html`))).toBe(true);
    const status = await runFanout(['status', result.map?.runId as string, '--dir', dir, '--json']);
    expect(status.json<RunSummary>()).toMatchObject({ status: 'SUCCEEDED', counts: { succeeded: 5 } });
  }, 180_000);

  it('names the role, action and resource when the map state machine may not terminate jobs (fail fast)', async () => {
    const cdkOut = brokenAssembly('no-terminate', (template) => {
      const statements = roleStatements(template, 'OrchestratorMapStateMachineRole');
      const kept = statements.filter((statement) => statement.Action !== 'batch:TerminateJob');
      expect(kept.length).toBe(statements.length - 1);
      statements.splice(0, statements.length, ...kept);
    });
    const failFast = input('fail-fast', {
      grid: { n: [1, 2, 3, 4] },
      failFast: true,
      idempotent: false,
      command: ['sh', '-c', 'if [ {n} = 1 ]; then sleep 0.5; exit 3; fi; sleep 30'],
    });
    const run = await runFanout([
      'rehearse',
      '--cdk-out',
      cdkOut,
      '--input',
      failFast,
      '--path',
      'map',
      '--dir',
      join(work, 'nt'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    const { denials } = run.json<Rehearsed>();
    expect(denials.length).toBeGreaterThan(0);
    for (const denial of denials) {
      expect(denial).toMatchObject({
        roleArn: expect.stringMatching(/:role\/Fanout-OrchestratorMapStateMachineRole/),
        action: 'batch:TerminateJob',
        resource: expect.stringMatching(/^arn:aws:batch:us-east-1:000000000000:job\/[0-9a-f-]{36}$/),
      });
    }
    expect(run.stderr).toMatch(
      /User: arn:aws:sts::000000000000:assumed-role\/Fanout-OrchestratorMapStateMachineRole[^/]+\/rehearsal is not authorized to perform: batch:TerminateJob on resource: arn:aws:batch:/,
    );
  }, 120_000);

  it('fails the run where AWS would when Prepare may not write the ledger, naming role, action and table', async () => {
    const cdkOut = brokenAssembly('no-ledger-write', (template) => {
      for (const statement of roleStatements(template, 'OrchestratorPrepareRole')) {
        if (Array.isArray(statement.Action) && statement.Action.includes('dynamodb:PutItem')) {
          statement.Action = statement.Action.filter(
            (action) => action !== 'dynamodb:PutItem' && action !== 'dynamodb:BatchWriteItem',
          );
        }
      }
    });
    const run = await runFanout([
      'rehearse',
      '--cdk-out',
      cdkOut,
      '--input',
      allSucceed(),
      '--path',
      'map',
      '--dir',
      join(work, 'nw'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    const result = run.json<Rehearsed>();
    // Prepare's error fails the execution, as the Lambda's AccessDeniedException would on AWS.
    expect(result.map).toMatchObject({ status: 'FAILED', error: 'AccessDeniedException' });
    expect(result.map?.cause).toContain('is not authorized to perform: dynamodb:PutItem');
    expect(result.denials[0]).toMatchObject({
      roleArn: expect.stringMatching(/:role\/Fanout-OrchestratorPrepareRole/),
      action: 'dynamodb:PutItem',
      resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/fanout-ledger',
    });
  }, 120_000);

  it("catches a Lambda environment variable that names the wrong table, which fanout's own wiring never sees", async () => {
    const cdkOut = brokenAssembly('wrong-table', (template) => {
      const summarize = template.Resources[logicalId(template, 'OrchestratorSummarizeFunction')] as unknown as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      summarize.Properties.Environment.Variables.TABLE_NAME = 'fanout-ledger-old';
    });
    const run = await runFanout([
      'rehearse',
      '--cdk-out',
      cdkOut,
      '--input',
      allSucceed(),
      '--path',
      'map',
      '--dir',
      join(work, 'wt'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    const result = run.json<Rehearsed>();
    expect(result.map?.status).toBe('FAILED');
    expect(result.denials).toContainEqual(
      expect.objectContaining({
        roleArn: expect.stringMatching(/:role\/Fanout-OrchestratorSummarizeRole/),
        resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/fanout-ledger-old',
      }),
    );
  }, 120_000);

  it.each([
    ['states:StartExecution', 'its Distributed Map may not start its children', /:stateMachine:fanout-map$/],
    [
      'events:PutRule',
      'its .sync tasks may not manage their EventBridge rule',
      /:rule\/StepFunctionsGetEventsForBatchJobsRule$/,
    ],
  ])(
    'fails the map path where the state machine role lacks %s (%s)',
    async (action, _why, resource) => {
      const cdkOut = brokenAssembly(`no-${action.replace(':', '-')}`, (template) => {
        for (const statement of roleStatements(template, 'OrchestratorMapStateMachineRole')) {
          const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
          if (actions.includes(action)) statement.Action = actions.filter((name) => name !== action);
        }
      });
      const run = await runFanout([
        'rehearse',
        '--cdk-out',
        cdkOut,
        '--input',
        allSucceed(),
        '--path',
        'map',
        '--dir',
        join(work, action.replace(':', '-')),
        '--json',
      ]);
      expect(run.code).toBe(1);
      const result = run.json<Rehearsed>();
      expect(result.map?.status).toBe('FAILED');
      expect(result.denials).toContainEqual({
        roleArn: expect.stringMatching(/:role\/Fanout-OrchestratorMapStateMachineRole/),
        action,
        resource: expect.stringMatching(resource),
      });
    },
    120_000,
  );

  it('refuses an assembly it cannot stand up, naming the resource and property', async () => {
    const cdkOut = brokenAssembly('unsupported', (template) => {
      const table = template.Resources[logicalId(template, 'OrchestratorLedger')] as {
        Properties: Record<string, unknown>;
      };
      table.Properties.TableName = { 'Fn::ImportValue': 'SharedLedgerName' };
    });
    const run = await runFanout(['rehearse', '--cdk-out', cdkOut, '--input', allSucceed(), '--dir', join(work, 'un')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /OrchestratorLedger[0-9A-F]+\.TableName \(Fn::ImportValue\): the rehearsal does not resolve Fn::ImportValue/,
    );
  }, 60_000);
});
