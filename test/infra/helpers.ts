import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FanoutOrchestrator, type FanoutOrchestratorProps } from '../../infra';

/**
 * Skips esbuild for every stack: these tests read templates, not bundles. One test
 * (function.test.ts) bundles a handler for real.
 */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

export const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** Props that deploy the array path from the fixtures, whether or not the repository has it yet. */
export const ARRAY_FIXTURES = { arrayDefinitionFile: fixture('array.asl.json'), collectEntry: fixture('collect.ts') } as const;

/** A fresh app and environment-agnostic stack holding one orchestrator. */
export function orchestratorStack(props: FanoutOrchestratorProps = {}): { stack: Stack; orchestrator: FanoutOrchestrator; template: () => Template } {
  const app = new App({ context: { ...SKIP_BUNDLING } });
  const stack = new Stack(app, 'Test');
  const orchestrator = new FanoutOrchestrator(stack, 'Fanout', props);
  return { stack, orchestrator, template: () => Template.fromStack(stack) };
}

type Intrinsic = string | number | boolean | null | Intrinsic[] | { [key: string]: Intrinsic };

/**
 * Renders a CloudFormation value to text, standing in for what CloudFormation resolves at
 * deploy time: `Fn::GetAtt` of a function becomes a Lambda ARN named after the resource, other
 * references a readable token.
 */
export function renderValue(value: Intrinsic): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(renderValue).join('');
  if ('Ref' in value) return value.Ref === 'AWS::Partition' ? 'aws' : `${value.Ref}`;
  if ('Fn::GetAtt' in value) {
    const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
    return attribute === 'Arn' && /Function/.test(logicalId) ? `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}` : `${logicalId}-${attribute}`;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Intrinsic[]];
    return parts.map(renderValue).join(separator);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The one resource of a type whose properties match, as [logicalId, properties]. */
export function onlyResource(template: Template, type: string, props?: Record<string, unknown>): [string, Record<string, any>] {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1) throw new Error(`expected one ${type}${props ? ` with ${JSON.stringify(props)}` : ''}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, { Properties: Record<string, any> }];
  return [logicalId, resource.Properties];
}

/** Every statement of the policies attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): Record<string, any>[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, any>[]);
}

/** The actions of a role's statements, flattened and sorted. */
export function roleActions(template: Template, roleLogicalId: string): string[] {
  return roleStatements(template, roleLogicalId)
    .flatMap((statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]) as string[])
    .sort();
}
