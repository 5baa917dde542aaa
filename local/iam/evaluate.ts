/**
 * The decision of "Policy evaluation logic" for a request within one account
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * an explicit Deny in any applicable policy wins; otherwise an Allow in the principal's identity
 * policies or in the resource's policy allows; otherwise the request is implicitly denied.
 */
import { conditionHolds, type RequestContext } from './conditions';
import { matchesAction, matchesArn } from './patterns';
import type { Policy, Principal, Statement } from './policy';

/** What is asked: who, which action on which resource, with which condition keys. */
export interface AuthorizationRequest {
  /** The role's ARN, e.g. `arn:aws:iam::123456789012:role/fanout-prepare`. */
  readonly principalArn: string;
  readonly accountId: string;
  /** `service:Operation`, e.g. `dynamodb:PutItem`. */
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
}

export interface Decision {
  readonly decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** The statement that decided (the Deny, or the first Allow), as `<policy>[<index or Sid>]`. */
  readonly decidedBy?: string;
  /** Where the deciding statement was: the principal's identity policies or the resource's policy. */
  readonly source?: 'identity' | 'resource';
}

function actionApplies(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((pattern) => matchesAction(pattern, action));
  return !(statement.notActions ?? []).some((pattern) => matchesAction(pattern, action));
}

function resourceApplies(statement: Statement, resource: string): boolean {
  if (statement.resources) return statement.resources.some((pattern) => matchesArn(pattern, resource));
  if (statement.notResources) return !statement.notResources.some((pattern) => matchesArn(pattern, resource));
  // A resource policy's statement may leave Resource out: it is about the resource it is attached to.
  return true;
}

function principalMatches(principal: Principal, request: AuthorizationRequest): boolean {
  if (principal === '*') return true;
  return (principal.AWS ?? []).some(
    (id) =>
      id === '*' ||
      id === request.principalArn ||
      id === request.accountId ||
      id === `arn:aws:iam::${request.accountId}:root`,
  );
}

function principalApplies(statement: Statement, request: AuthorizationRequest): boolean {
  if (statement.principal) return principalMatches(statement.principal, request);
  if (statement.notPrincipal) return !principalMatches(statement.notPrincipal, request);
  return true;
}

function applies(statement: Statement, request: AuthorizationRequest, resourcePolicy: boolean): boolean {
  return (
    actionApplies(statement, request.action) &&
    resourceApplies(statement, request.resource) &&
    (!resourcePolicy || principalApplies(statement, request)) &&
    (statement.condition === undefined || conditionHolds(statement.condition, request.context ?? {}))
  );
}

/**
 * Evaluates the request against the principal's identity policies and, when the resource has
 * one, its resource policy.
 * @example evaluate(request, { identityPolicies: [readPolicy('p', doc)] }).decision // 'Allow'
 */
export function evaluate(
  request: AuthorizationRequest,
  policies: { readonly identityPolicies: readonly Policy[]; readonly resourcePolicy?: Policy },
): Decision {
  const sources: Array<{ policy: Policy; source: 'identity' | 'resource' }> = [
    ...policies.identityPolicies.map((policy) => ({ policy, source: 'identity' as const })),
    ...(policies.resourcePolicy ? [{ policy: policies.resourcePolicy, source: 'resource' as const }] : []),
  ];
  let allow: Decision | undefined;
  for (const { policy, source } of sources) {
    for (const [index, statement] of policy.statements.entries()) {
      if (!applies(statement, request, source === 'resource')) continue;
      const decidedBy = `${policy.name}[${statement.sid ?? index}]`;
      if (statement.effect === 'Deny') return { decision: 'ExplicitDeny', decidedBy, source };
      allow ??= { decision: 'Allow', decidedBy, source };
    }
  }
  return allow ?? { decision: 'ImplicitDeny' };
}

/**
 * The message AWS gives a denied call, e.g. `User: arn:aws:sts::123456789012:assumed-role/prepare/fanout
 * is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:...:table/ledger
 * because no identity-based policy allows the dynamodb:PutItem action`.
 */
export function accessDeniedMessage(request: AuthorizationRequest, decision: Decision, callerArn: string): string {
  const why =
    decision.decision === 'ExplicitDeny'
      ? `with an explicit deny in ${decision.source === 'resource' ? 'a resource-based policy' : 'an identity-based policy'}`
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${callerArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
