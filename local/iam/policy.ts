/**
 * IAM policy documents as the policy grammar defines them
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html), read into
 * one shape: every element that may be a string or a list is a list.
 */
import { IamPolicyError } from './errors';

export type Effect = 'Allow' | 'Deny';

/** `Principal` of a resource policy: `*`, or principals by kind (`AWS`, `Service`, `Federated`). */
export type Principal = '*' | Readonly<Record<string, readonly string[]>>;

/** One condition block: operator → condition key → the values it is compared with. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly sid?: string;
  readonly effect: Effect;
  /** Exactly one of actions and notActions is set. */
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  /** Exactly one of resources and notResources is set (neither in a trust policy). */
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly principal?: Principal;
  readonly notPrincipal?: Principal;
  readonly condition?: ConditionBlock;
}

/** A named policy: where a statement came from, for messages. */
export interface Policy {
  readonly name: string;
  readonly statements: readonly Statement[];
}

function list(value: unknown, where: string): readonly string[] {
  const values = Array.isArray(value) ? value : [value];
  for (const item of values) {
    if (typeof item !== 'string') {
      throw new IamPolicyError(`${where} must be a string or a list of strings (received ${JSON.stringify(item)})`);
    }
  }
  return values as string[];
}

function principal(value: unknown, where: string): Principal {
  if (value === '*') return '*';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IamPolicyError(
      `${where} must be "*" or an object such as {"AWS": ...} (received ${JSON.stringify(value)})`,
    );
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([kind, ids]) => [kind, list(ids, `${where}.${kind}`)]),
  );
}

function condition(value: unknown, where: string): ConditionBlock {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IamPolicyError(`${where} must be an object of condition operators (received ${JSON.stringify(value)})`);
  }
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([operator, keys]) => {
      if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) {
        throw new IamPolicyError(`${where}.${operator} must be an object of condition keys`);
      }
      return [
        operator,
        Object.fromEntries(
          Object.entries(keys as Record<string, unknown>).map(([key, values]) => [
            key,
            list(Array.isArray(values) ? values.map(String) : String(values), `${where}.${operator}.${key}`),
          ]),
        ),
      ];
    }),
  );
}

/**
 * Reads a policy document (`{"Version", "Statement"}`), naming the element that breaks the grammar.
 * @example readPolicy('ledger', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' }] })
 */
export function readPolicy(name: string, document: unknown): Policy {
  const doc = document as { Statement?: unknown } | null;
  if (doc === null || typeof doc !== 'object' || doc.Statement === undefined) {
    throw new IamPolicyError(`policy ${name} has no Statement`);
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return {
    name,
    statements: statements.map((raw: unknown, index: number) => {
      const where = `policy ${name}, Statement[${index}]`;
      const s = raw as Record<string, unknown>;
      if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
        throw new IamPolicyError(`${where}.Effect must be "Allow" or "Deny" (received ${JSON.stringify(s.Effect)})`);
      }
      if ((s.Action === undefined) === (s.NotAction === undefined)) {
        throw new IamPolicyError(`${where} needs exactly one of Action and NotAction`);
      }
      if (s.Resource !== undefined && s.NotResource !== undefined) {
        throw new IamPolicyError(`${where} may not have both Resource and NotResource`);
      }
      return {
        ...(typeof s.Sid === 'string' ? { sid: s.Sid } : {}),
        effect: s.Effect,
        ...(s.Action === undefined ? {} : { actions: list(s.Action, `${where}.Action`) }),
        ...(s.NotAction === undefined ? {} : { notActions: list(s.NotAction, `${where}.NotAction`) }),
        ...(s.Resource === undefined ? {} : { resources: list(s.Resource, `${where}.Resource`) }),
        ...(s.NotResource === undefined ? {} : { notResources: list(s.NotResource, `${where}.NotResource`) }),
        ...(s.Principal === undefined ? {} : { principal: principal(s.Principal, `${where}.Principal`) }),
        ...(s.NotPrincipal === undefined ? {} : { notPrincipal: principal(s.NotPrincipal, `${where}.NotPrincipal`) }),
        ...(s.Condition === undefined ? {} : { condition: condition(s.Condition, `${where}.Condition`) }),
      } satisfies Statement;
    }),
  };
}
