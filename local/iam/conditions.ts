/**
 * Condition operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
 * and their set qualifiers
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
 * An operator outside these is an {@link IamPolicyError}: a condition the evaluator cannot read
 * must not quietly allow or deny.
 */
import { IamPolicyError } from './errors';
import { matchesArn, matchesWildcard } from './patterns';
import type { ConditionBlock } from './policy';

/** The request's condition keys; names compare case-insensitively, as IAM compares them. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

type Compare = (policyValue: string, requestValue: string) => boolean;

const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));

/** Each base operator: how one policy value compares with one request value, and whether it is a negation. */
const OPERATORS: Readonly<Record<string, { compare: Compare; negated: boolean }>> = {
  StringEquals: { compare: (p, r) => p === r, negated: false },
  StringNotEquals: { compare: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (p, r) => matchesWildcard(p, r), negated: false },
  StringNotLike: { compare: (p, r) => matchesWildcard(p, r), negated: true },
  ArnEquals: { compare: (p, r) => matchesArn(p, r), negated: false },
  ArnLike: { compare: (p, r) => matchesArn(p, r), negated: false },
  ArnNotEquals: { compare: (p, r) => matchesArn(p, r), negated: true },
  ArnNotLike: { compare: (p, r) => matchesArn(p, r), negated: true },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  NumericEquals: { compare: (p, r) => number(r) === number(p), negated: false },
  NumericNotEquals: { compare: (p, r) => number(r) === number(p), negated: true },
  NumericLessThan: { compare: (p, r) => number(r) < number(p), negated: false },
  NumericLessThanEquals: { compare: (p, r) => number(r) <= number(p), negated: false },
  NumericGreaterThan: { compare: (p, r) => number(r) > number(p), negated: false },
  NumericGreaterThanEquals: { compare: (p, r) => number(r) >= number(p), negated: false },
};

function lookup(context: RequestContext, key: string): readonly string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) {
    if (name.toLowerCase() === wanted) return typeof value === 'string' ? [value] : value;
  }
  return undefined;
}

/** One operator and key of a condition block against the request. */
function keyMatches(
  operatorName: string,
  key: string,
  policyValues: readonly string[],
  context: RequestContext,
): boolean {
  const requestValues = lookup(context, key);
  if (operatorName === 'Null') {
    // "true": the key must be absent; "false": present.
    return policyValues.some((value) => (value.toLowerCase() === 'true') === (requestValues === undefined));
  }
  let name = operatorName;
  let qualifier: 'ForAnyValue' | 'ForAllValues' | undefined;
  for (const prefix of ['ForAnyValue:', 'ForAllValues:'] as const) {
    if (name.startsWith(prefix)) {
      qualifier = prefix.slice(0, -1) as 'ForAnyValue' | 'ForAllValues';
      name = name.slice(prefix.length);
    }
  }
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  const operator = OPERATORS[name];
  if (!operator) throw new IamPolicyError(`condition operator ${operatorName} is not supported by the local evaluator`);

  if (requestValues === undefined || requestValues.length === 0) {
    if (ifExists) return true;
    // An absent key matches no value: a positive operator fails, a negated one holds; ForAllValues holds vacuously.
    if (qualifier === 'ForAllValues') return true;
    if (qualifier === 'ForAnyValue') return false;
    return operator.negated;
  }
  const matchesAny = (requestValue: string) => policyValues.some((p) => operator.compare(p, requestValue));
  // A negated operator holds for a request value that matches none of the policy values.
  const holds = (requestValue: string) => (operator.negated ? !matchesAny(requestValue) : matchesAny(requestValue));
  if (qualifier === 'ForAllValues') return requestValues.every(holds);
  if (qualifier === 'ForAnyValue') return requestValues.some(holds);
  return operator.negated ? requestValues.every(holds) : requestValues.some(holds);
}

/** True when every operator and key of the block holds (AND), each key against any of its values (OR). */
export function conditionHolds(block: ConditionBlock, context: RequestContext): boolean {
  return Object.entries(block).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => keyMatches(operator, key, values, context)),
  );
}
