import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { FanoutOrchestrator, type FanoutOrchestratorProps } from '../../infra';

/**
 * Skips esbuild for every stack: these tests read templates, not bundles. One test
 * (function.test.ts) bundles a handler for real.
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** A path under test/infra/fixtures (which need not exist). */
export const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** Writes a state machine definition to a fresh temporary file and returns its path. */
export function tempDefinition(definition: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fanout-infra-')), 'machine.asl.json');
  writeFileSync(file, JSON.stringify(definition));
  return file;
}

/**
 * A fresh app and environment-agnostic stack holding one orchestrator; props may be built from
 * the stack (for constructs they reference).
 */
export function orchestratorStack(props: FanoutOrchestratorProps | ((stack: Stack) => FanoutOrchestratorProps) = {}): {
  stack: Stack;
  orchestrator: FanoutOrchestrator;
  template: () => Template;
} {
  const app = new App({ context: { ...SKIP_BUNDLING } });
  const stack = new Stack(app, 'Test');
  const orchestrator = new FanoutOrchestrator(stack, 'Fanout', typeof props === 'function' ? props(stack) : props);
  return { stack, orchestrator, template: () => Template.fromStack(stack) };
}

/** A value of a synthesized template: JSON, read through the narrowing helpers below rather than `any`. */
export type Json = string | number | boolean | null | Json[] | JsonObject;
export type JsonObject = { [key: string]: Json };

/** `value` as a JSON object; anything else fails the test, naming what was expected. */
export function objectOf(value: Json | undefined, what = 'an object'): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`expected ${what}, found ${JSON.stringify(value)}`);
  return value;
}

/** `value` as a JSON array; anything else fails the test. */
export function arrayOf(value: Json | undefined): Json[] {
  if (!Array.isArray(value)) throw new Error(`expected an array, found ${JSON.stringify(value)}`);
  return value;
}

/** `value` as a string; anything else fails the test. */
export function stringOf(value: Json | undefined): string {
  if (typeof value !== 'string') throw new Error(`expected a string, found ${JSON.stringify(value)}`);
  return value;
}

/** The value at a path of keys and indexes, `undefined` where the path leaves the template. */
export function at(value: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Array.isArray(current) ? current[Number(key)] : current[String(key)];
  }
  return current;
}

/** The logical id a `{ "Fn::GetAtt": [logicalId, attribute] }` names; anything else fails the test. */
export function getAttOf(value: Json | undefined): string {
  const [logicalId] = arrayOf(objectOf(value, 'a Fn::GetAtt')['Fn::GetAtt']);
  if (typeof logicalId !== 'string') throw new Error(`expected a Fn::GetAtt, found ${JSON.stringify(value)}`);
  return logicalId;
}

/** The logical id a `{ Ref: logicalId }` names; anything else fails the test. */
export function refOf(value: Json | undefined): string {
  const logicalId = objectOf(value, 'a Ref').Ref;
  if (typeof logicalId !== 'string') throw new Error(`expected a Ref, found ${JSON.stringify(value)}`);
  return logicalId;
}

/**
 * Renders a CloudFormation value to text, standing in for what CloudFormation resolves at
 * deploy time: `Fn::GetAtt` of a function becomes a Lambda ARN named after the resource, other
 * references a readable token.
 */
export function renderValue(value: Json): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if ('Ref' in value) return value.Ref === 'AWS::Partition' ? 'aws' : `${value.Ref}`;
  if ('Fn::GetAtt' in value) {
    const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
    return attribute === 'Arn' && /Function/.test(logicalId)
      ? `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`
      : `${logicalId}-${attribute}`;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map(renderValue).join(separator);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The one resource of a type whose properties match, as [logicalId, properties]. */
export function onlyResource(template: Template, type: string, props?: Record<string, unknown>): [string, JsonObject] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1)
    throw new Error(`expected one ${type}${props ? ` with ${JSON.stringify(props)}` : ''}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, { Properties: JsonObject }];
  return [logicalId, resource.Properties];
}

/** Every statement of the policies attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): JsonObject[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as JsonObject[]);
}

/** The actions of a role's statements, flattened and sorted. */
export function roleActions(template: Template, roleLogicalId: string): string[] {
  return roleStatements(template, roleLogicalId)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]) as string[])
    .sort();
}

/** The table operations behind the document client's commands (`UpdateCommand` is UpdateItem). */
const DOCUMENT_CLIENT_OPERATIONS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchWrite: 'BatchWriteItem',
  BatchGet: 'BatchGetItem',
  TransactWrite: 'TransactWriteItems',
  TransactGet: 'TransactGetItems',
  Query: 'Query',
  Scan: 'Scan',
};

/** IAM action of an SDK v3 command, per client package. */
const COMMAND_ACTIONS: Readonly<Record<string, (command: string) => string>> = {
  '@aws-sdk/client-batch': (command) => `batch:${command}`,
  '@aws-sdk/client-sns': (command) => `sns:${command}`,
  '@aws-sdk/client-dynamodb': (command) => `dynamodb:${command}`,
  '@aws-sdk/lib-dynamodb': (command) =>
    `dynamodb:${DOCUMENT_CLIENT_OPERATIONS[command] ?? `<no table operation for ${command}Command>`}`,
  // HeadObject is authorized by s3:GetObject, ListObjectsV2 by s3:ListBucket
  // (docs: AmazonS3/latest/API/API_HeadObject.html, API_ListObjectsV2.html).
  '@aws-sdk/client-s3': (command) =>
    command === 'HeadObject' ? 's3:GetObject' : command === 'ListObjectsV2' ? 's3:ListBucket' : `s3:${command}`,
};

/**
 * The IAM actions of the AWS calls a handler's code can make: its entry bundled by esbuild as
 * the deployed function is (tree-shaken, so shared helpers it never calls drop out), then every
 * `new <X>Command(` traced back to the SDK package it was imported from.
 */
export async function awsCallsOf(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]?.text ?? '';
  const imported = new Map<string, { from: string; name: string }>();
  for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)) {
    for (const specifier of (match[1] ?? '').split(',')) {
      const [name, alias] = specifier.trim().split(/\s+as\s+/) as [string, string | undefined];
      if (name) imported.set(alias ?? name, { from: match[2] as string, name });
    }
  }
  const actions = new Set<string>();
  for (const match of text.matchAll(/new (\w+)\(/g)) {
    const command = imported.get(match[1] as string);
    if (!command?.name.endsWith('Command')) continue;
    const action = COMMAND_ACTIONS[command.from];
    if (!action)
      throw new Error(
        `${entry} calls ${command.name} of ${command.from}, which awsCallsOf cannot map to an IAM action`,
      );
    actions.add(action(command.name.replace(/Command$/, '')));
  }
  return [...actions].sort();
}
