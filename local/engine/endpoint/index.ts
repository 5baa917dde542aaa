/**
 * The local Step Functions API over HTTP, speaking the AWS JSON 1.0 protocol so that the AWS SDK,
 * the AWS CLI and the console-less tools users already have work against the local engine.
 */

export { type StepFunctionsEndpoint, type StepFunctionsEndpointOptions, startStepFunctionsEndpoint } from './server';
