/** A policy that breaks the policy grammar, or uses what the evaluator does not implement. */
export class IamPolicyError extends Error {
  override readonly name: string = 'IamPolicyError';
}
