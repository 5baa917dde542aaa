/**
 * What a rehearsal stands up, read from the synthesized template through the resolver: the
 * resources of the types it models, with their properties resolved. A property the rehearsal
 * needs but cannot resolve is an error naming the resource and property.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type FanoutConfig, parseConfig } from '../../config';
import { type Policy, readPolicy } from '../iam';
import type { CloudAssembly } from './assembly';
import { RehearsalError } from './errors';
import { type Resolved, TemplateResolver } from './resolver';

export interface RehearsedFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The staged bundle's folder and the handler in it (`index.handler`). */
  readonly codeDir: string;
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn: string;
  readonly timeoutSeconds: number;
}

export interface RehearsedStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The staged definition with its DefinitionSubstitutions applied. */
  readonly definition: string;
  readonly roleArn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
}

export interface RehearsedRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
  readonly policies: readonly Policy[];
}

export interface RehearsedStack {
  readonly resolver: TemplateResolver;
  readonly tables: readonly CreateTableCommandInput[];
  /** Tables with time to live, by table name: the attribute. */
  readonly timeToLive: ReadonlyMap<string, string>;
  readonly buckets: ReadonlyArray<{ name: string; policy?: Policy }>;
  readonly topics: ReadonlyArray<{ name: string; arn: string; policy?: Policy }>;
  readonly functions: readonly RehearsedFunction[];
  readonly stateMachines: readonly RehearsedStateMachine[];
  readonly roles: ReadonlyMap<string, RehearsedRole>;
  /** The Batch resources as the local Batch service's configuration, plus the run names. */
  readonly config: FanoutConfig;
  /** The job role the job definitions run with (they share one; see docs/rehearse.md). */
  readonly jobRoleArn: string | undefined;
  /** The stack's outputs, resolved, as DescribeStacks would list them. */
  readonly outputs: Readonly<Record<string, string>>;
}

function asRecord(value: Resolved | undefined, where: string): Record<string, Resolved> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RehearsalError(`${where}: expected an object`);
  }
  return value;
}

function props(resolver: TemplateResolver, logicalId: string, type: string): Record<string, unknown> {
  const [, resource] = resolver.resourcesOfType(type).find(([id]) => id === logicalId) ?? [];
  return { ...(resource?.Properties ?? {}) };
}

/** Reads the resources a rehearsal models from the assembly's template. */
export function describeStack(assembly: CloudAssembly): RehearsedStack {
  const r = new TemplateResolver(assembly);

  const tables: CreateTableCommandInput[] = [];
  const timeToLive = new Map<string, string>();
  for (const [id] of r.resourcesOfType('AWS::DynamoDB::Table')) {
    const p = props(r, id, 'AWS::DynamoDB::Table');
    const name = r.physicalName(id);
    const pick = (key: string) => (p[key] === undefined ? {} : { [key]: r.resolve(p[key], `${id}.${key}`) });
    tables.push({
      TableName: name,
      ...pick('KeySchema'),
      ...pick('AttributeDefinitions'),
      ...pick('GlobalSecondaryIndexes'),
      ...pick('LocalSecondaryIndexes'),
      BillingMode: (r.resolve(p.BillingMode ?? 'PROVISIONED', `${id}.BillingMode`) as 'PAY_PER_REQUEST') ?? undefined,
      ...(p.ProvisionedThroughput ? pick('ProvisionedThroughput') : {}),
    } as CreateTableCommandInput);
    if (p.TimeToLiveSpecification !== undefined) {
      const ttl = asRecord(r.resolve(p.TimeToLiveSpecification, `${id}.TimeToLiveSpecification`), id);
      if (ttl.Enabled === true && typeof ttl.AttributeName === 'string') timeToLive.set(name, ttl.AttributeName);
    }
  }

  const bucketPolicies = new Map<string, Policy>();
  for (const [id] of r.resourcesOfType('AWS::S3::BucketPolicy')) {
    const p = props(r, id, 'AWS::S3::BucketPolicy');
    bucketPolicies.set(
      r.resolveString(p.Bucket, `${id}.Bucket`),
      readPolicy(id, r.resolve(p.PolicyDocument, `${id}.PolicyDocument`)),
    );
  }
  const buckets = r.resourcesOfType('AWS::S3::Bucket').map(([id]) => {
    const name = r.physicalName(id);
    const policy = bucketPolicies.get(name);
    return { name, ...(policy ? { policy } : {}) };
  });

  const topicPolicies = new Map<string, Policy>();
  for (const [id] of r.resourcesOfType('AWS::SNS::TopicPolicy')) {
    const p = props(r, id, 'AWS::SNS::TopicPolicy');
    const policy = readPolicy(id, r.resolve(p.PolicyDocument, `${id}.PolicyDocument`));
    for (const topic of r.resolve(p.Topics, `${id}.Topics`) as string[]) topicPolicies.set(topic, policy);
  }
  const topics = r.resourcesOfType('AWS::SNS::Topic').map(([id]) => {
    const arn = r.arn(id);
    const policy = topicPolicies.get(arn);
    return { name: r.physicalName(id), arn, ...(policy ? { policy } : {}) };
  });

  const roles = describeRoles(r);
  const functions = r.resourcesOfType('AWS::Lambda::Function').map(([id]) => describeFunction(r, assembly, id));
  const stateMachines = r
    .resourcesOfType('AWS::StepFunctions::StateMachine')
    .map(([id]) => describeStateMachine(r, assembly, id));
  const { config, jobRoleArn } = describeBatch(r, assembly);
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(
    (assembly.template as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {},
  )) {
    const value = r.resolve(output.Value, `Outputs.${key}`);
    outputs[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const named = {
    ...config,
    ...(outputs.LedgerTableName ? { ledgerTable: outputs.LedgerTableName } : {}),
    ...(outputs.DataBucketName ? { bucket: outputs.DataBucketName } : {}),
  };
  return {
    resolver: r,
    tables,
    timeToLive,
    buckets,
    topics,
    functions,
    stateMachines,
    roles,
    config: named,
    jobRoleArn,
    outputs,
  };
}

function describeRoles(r: TemplateResolver): Map<string, RehearsedRole> {
  const byLogicalId = new Map<string, { arn: string; name: string; policies: Policy[] }>();
  for (const [id] of r.resourcesOfType('AWS::IAM::Role')) {
    const p = props(r, id, 'AWS::IAM::Role');
    if (p.ManagedPolicyArns !== undefined || p.PermissionsBoundary !== undefined) {
      throw new RehearsalError(
        `${id}.${p.ManagedPolicyArns !== undefined ? 'ManagedPolicyArns' : 'PermissionsBoundary'}: managed policies are not rehearsed (their documents are not in the template)`,
      );
    }
    const inline = ((p.Policies as Array<{ PolicyName: unknown; PolicyDocument: unknown }> | undefined) ?? []).map(
      (policy, index) =>
        readPolicy(
          `${id}/${r.resolveString(policy.PolicyName, `${id}.Policies[${index}].PolicyName`)}`,
          r.resolve(policy.PolicyDocument, `${id}.Policies[${index}].PolicyDocument`),
        ),
    );
    byLogicalId.set(id, { arn: r.arn(id), name: r.physicalName(id), policies: inline });
  }
  for (const [id] of r.resourcesOfType('AWS::IAM::Policy')) {
    const p = props(r, id, 'AWS::IAM::Policy');
    const policy = readPolicy(id, r.resolve(p.PolicyDocument, `${id}.PolicyDocument`));
    for (const [index, role] of ((p.Roles as unknown[] | undefined) ?? []).entries()) {
      const ref = (role as { Ref?: string }).Ref;
      const target = ref === undefined ? undefined : byLogicalId.get(ref);
      if (!target) throw new RehearsalError(`${id}.Roles[${index}]: must name a role of the template with Ref`);
      target.policies.push(policy);
    }
  }
  return new Map(
    [...byLogicalId].map(([logicalId, role]) => [role.arn, { logicalId, ...role }] as [string, RehearsedRole]),
  );
}

function stagedAsset(r: TemplateResolver, assembly: CloudAssembly, value: unknown, where: string): string {
  const location = asRecord(r.resolve(value, where), where);
  const bucket = location.S3Bucket ?? location.Bucket;
  const key = location.S3Key ?? location.Key;
  const path = typeof bucket === 'string' && typeof key === 'string' ? assembly.assetPath(bucket, key) : undefined;
  if (!path || !existsSync(path)) {
    throw new RehearsalError(
      `${where}: s3://${String(bucket)}/${String(key)} is not an asset staged in ${assembly.dir}`,
    );
  }
  return path;
}

function describeFunction(r: TemplateResolver, assembly: CloudAssembly, id: string): RehearsedFunction {
  const p = props(r, id, 'AWS::Lambda::Function');
  const runtime = r.resolveString(p.Runtime, `${id}.Runtime`);
  if (!runtime.startsWith('nodejs'))
    throw new RehearsalError(`${id}.Runtime: only Node.js functions are rehearsed (got ${runtime})`);
  if (p.Code && typeof p.Code === 'object' && 'ZipFile' in p.Code) {
    throw new RehearsalError(`${id}.Code.ZipFile: inline code is not rehearsed`);
  }
  const variables = p.Environment
    ? asRecord(
        asRecord(r.resolve(p.Environment, `${id}.Environment`), `${id}.Environment`).Variables ?? {},
        `${id}.Environment.Variables`,
      )
    : {};
  return {
    logicalId: id,
    name: r.physicalName(id),
    arn: r.arn(id),
    codeDir: stagedAsset(r, assembly, p.Code, `${id}.Code`),
    handler: r.resolveString(p.Handler ?? 'index.handler', `${id}.Handler`),
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
    roleArn: r.resolveString(p.Role, `${id}.Role`),
    timeoutSeconds: Number(r.resolve(p.Timeout ?? 3, `${id}.Timeout`)),
  };
}

function describeStateMachine(r: TemplateResolver, assembly: CloudAssembly, id: string): RehearsedStateMachine {
  const p = props(r, id, 'AWS::StepFunctions::StateMachine');
  let definition: string;
  if (p.DefinitionS3Location !== undefined) {
    definition = readFileSync(stagedAsset(r, assembly, p.DefinitionS3Location, `${id}.DefinitionS3Location`), 'utf8');
  } else if (p.DefinitionString !== undefined) {
    definition = r.resolveString(p.DefinitionString, `${id}.DefinitionString`);
  } else if (p.Definition !== undefined) {
    definition = JSON.stringify(r.resolve(p.Definition, `${id}.Definition`));
  } else {
    throw new RehearsalError(`${id}: has no Definition, DefinitionString or DefinitionS3Location`);
  }
  const substitutions = p.DefinitionSubstitutions
    ? asRecord(r.resolve(p.DefinitionSubstitutions, `${id}.DefinitionSubstitutions`), `${id}.DefinitionSubstitutions`)
    : {};
  // As CloudFormation does: `${name}` for each substitution; any other `${...}` stays as written.
  const substituted = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    name in substitutions ? String(substitutions[name]) : whole,
  );
  const type = r.resolve(p.StateMachineType ?? 'STANDARD', `${id}.StateMachineType`);
  return {
    logicalId: id,
    name: r.physicalName(id),
    arn: r.arn(id),
    definition: substituted,
    roleArn: r.resolveString(p.RoleArn, `${id}.RoleArn`),
    type: type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  };
}

function describeBatch(
  r: TemplateResolver,
  assembly: CloudAssembly,
): { config: FanoutConfig; jobRoleArn: string | undefined } {
  const computeEnvironments = r.resourcesOfType('AWS::Batch::ComputeEnvironment').map(([id]) => {
    const p = props(r, id, 'AWS::Batch::ComputeEnvironment');
    const resources = asRecord(r.resolve(p.ComputeResources ?? {}, `${id}.ComputeResources`), `${id}.ComputeResources`);
    return {
      name: r.physicalName(id),
      type: String(resources.Type ?? 'FARGATE'),
      maxvCpus: Number(resources.MaxvCpus ?? 256),
    };
  });
  const environmentByArn = new Map(
    r.resourcesOfType('AWS::Batch::ComputeEnvironment').map(([id]) => [r.arn(id), r.physicalName(id)]),
  );
  const jobQueues = r.resourcesOfType('AWS::Batch::JobQueue').map(([id]) => {
    const p = props(r, id, 'AWS::Batch::JobQueue');
    const order = r.resolve(p.ComputeEnvironmentOrder, `${id}.ComputeEnvironmentOrder`) as Array<{
      ComputeEnvironment: string;
      Order: number;
    }>;
    return {
      name: r.physicalName(id),
      priority: Number(r.resolve(p.Priority, `${id}.Priority`)),
      computeEnvironments: [...order]
        .sort((a, b) => a.Order - b.Order)
        .map((entry, index) => {
          const name = environmentByArn.get(entry.ComputeEnvironment);
          if (!name)
            throw new RehearsalError(
              `${id}.ComputeEnvironmentOrder[${index}]: names no compute environment of the template`,
            );
          return name;
        }),
    };
  });
  const jobRoles = new Set<string>();
  const jobDefinitions = r.resourcesOfType('AWS::Batch::JobDefinition').map(([id]) => {
    const p = props(r, id, 'AWS::Batch::JobDefinition');
    const container = asRecord(
      r.resolve(p.ContainerProperties, `${id}.ContainerProperties`),
      `${id}.ContainerProperties`,
    );
    if (typeof container.JobRoleArn === 'string') jobRoles.add(container.JobRoleArn);
    const requirement = (kind: string) =>
      (container.ResourceRequirements as Array<{ Type: string; Value: string }> | undefined)?.find(
        (x) => x.Type === kind,
      )?.Value;
    const retry = p.RetryStrategy
      ? asRecord(r.resolve(p.RetryStrategy, `${id}.RetryStrategy`), `${id}.RetryStrategy`)
      : undefined;
    const timeout = p.Timeout ? asRecord(r.resolve(p.Timeout, `${id}.Timeout`), `${id}.Timeout`) : undefined;
    const environment = (container.Environment as Array<{ Name: string; Value: string }> | undefined) ?? [];
    return {
      name: r.physicalName(id),
      image: String(container.Image ?? 'image'),
      vcpus: Number(requirement('VCPU') ?? 1),
      memoryMiB: Number(requirement('MEMORY') ?? 2048),
      command: (container.Command as string[] | undefined) ?? [],
      ...(timeout?.AttemptDurationSeconds ? { timeoutSeconds: Number(timeout.AttemptDurationSeconds) } : {}),
      ...(retry
        ? {
            retryStrategy: {
              attempts: Number(retry.Attempts ?? 1),
              ...(retry.EvaluateOnExit
                ? {
                    evaluateOnExit: (retry.EvaluateOnExit as Array<Record<string, string>>).map((rule) => ({
                      ...(rule.OnStatusReason ? { onStatusReason: rule.OnStatusReason } : {}),
                      ...(rule.OnReason ? { onReason: rule.OnReason } : {}),
                      ...(rule.OnExitCode ? { onExitCode: rule.OnExitCode } : {}),
                      action: String(rule.Action).toUpperCase() as 'RETRY' | 'EXIT',
                    })),
                  }
                : {}),
            },
          }
        : {}),
      environment: Object.fromEntries(environment.map((variable) => [variable.Name, variable.Value])),
    };
  });
  if (jobRoles.size > 1) {
    throw new RehearsalError(
      `the job definitions run with ${jobRoles.size} job roles; a rehearsal gives every job one role`,
    );
  }
  const stateMachineName = (needle: string) =>
    r
      .resourcesOfType('AWS::StepFunctions::StateMachine')
      .map(([id]) => r.physicalName(id))
      .find((n) => n.includes(needle));
  const config = parseConfig(
    {
      region: assembly.region,
      accountId: assembly.account,
      computeEnvironments,
      jobQueues,
      jobDefinitions,
      ...(stateMachineName('map') ? { mapStateMachine: stateMachineName('map') } : {}),
      ...(stateMachineName('array') ? { arrayStateMachine: stateMachineName('array') } : {}),
    },
    'the Batch resources of the synthesized template',
  );
  return { config, jobRoleArn: [...jobRoles][0] };
}

/** Where the staged bundle's handler module is: `index.handler` → `<codeDir>/index.js`, export `handler`. */
export function handlerModule(fn: RehearsedFunction): { file: string; exportName: string } {
  const dot = fn.handler.lastIndexOf('.');
  const base = fn.handler.slice(0, dot);
  for (const extension of ['.js', '.cjs', '.mjs']) {
    const file = join(fn.codeDir, `${base}${extension}`);
    if (existsSync(file)) return { file, exportName: fn.handler.slice(dot + 1) };
  }
  throw new RehearsalError(`${fn.logicalId}.Handler: no ${base}.js in the staged bundle ${fn.codeDir}`);
}
