import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag (AwsSolutions) findings this design accepts. Each is acknowledged on the one policy
 * or function it concerns, for the one wildcard it names, with the reason it cannot be
 * narrower. Finding ids quote resources the way cdk-nag prints them (`<Logical.Arn>`,
 * `<AWS::Partition>`), so they are rendered from the same values the policies hold.
 */

type Resolved =
  | string
  | { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, Resolved[]] }
  | Resolved[];

/** A policy value as cdk-nag writes it in a finding id. */
function nagText(scope: IConstruct, value: string): string {
  const render = (resolved: Resolved): string => {
    if (typeof resolved === 'string') return resolved;
    if (Array.isArray(resolved)) return resolved.map(render).join('');
    if (resolved.Ref !== undefined) return `<${resolved.Ref}>`;
    if (resolved['Fn::GetAtt']) return `<${resolved['Fn::GetAtt'].join('.')}>`;
    if (resolved['Fn::Join']) return resolved['Fn::Join'][1].map(render).join(resolved['Fn::Join'][0]);
    return JSON.stringify(resolved);
  };
  return render(Stack.of(scope).resolve(value) as Resolved);
}

/** The policy a role's statements land in (the narrowest construct holding the finding). */
function policyOf(role: iam.IRole): IConstruct {
  return role.node.tryFindChild('DefaultPolicy') ?? role;
}

/** Acknowledges `AwsSolutions-IAM5[<finding>]` findings on a role's policy. */
export function acknowledgeWildcards(role: iam.IRole, findings: readonly { finding: string; reason: string }[]): void {
  const policy = policyOf(role);
  for (const { finding, reason } of findings)
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}

/** `Resource::<arn>` for a value of a policy. */
export function resourceFinding(scope: IConstruct, arn: string): string {
  return `Resource::${nagText(scope, arn)}`;
}

/** Acknowledges a rule without a finding id on one construct. */
export function acknowledgeRule(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}
