/** Rehearsing a synthesized stack on the local cloud, IAM enforced (docs/rehearse.md). */
export { type CloudAssembly, readCloudAssembly } from './assembly';
export type { Denial } from './denial';
export { RehearsalError } from './errors';
export { NOT_REHEARSED, type Rehearsal, type RehearsalOptions, startRehearsal } from './rehearsal';
export { type Resolved, TemplateResolver } from './resolver';
export { describeStack, type RehearsedStack } from './stack';
