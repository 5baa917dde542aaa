export type { RequestContext } from './conditions';
export { conditionHolds } from './conditions';
export { IamPolicyError } from './errors';
export { type AuthorizationRequest, accessDeniedMessage, type Decision, evaluate } from './evaluate';
export { matchesAction, matchesArn, matchesWildcard } from './patterns';
export { type Policy, readPolicy, type Statement } from './policy';
