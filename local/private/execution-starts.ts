import type { StepFunctionsService } from '../engine/types';

/**
 * The service as an endpoint serves it, calling `started` with the ARN of every execution that
 * StartExecution or RedriveExecution sets running through it. The executions a Distributed Map
 * starts itself do not pass through the endpoint, so only top-level ones are reported; an
 * idempotent StartExecution (same name and input, still running) reports its execution again.
 * @example startStepFunctionsEndpoint({ service: reportingStarts(engine, (arn) => follow(arn)), credentials })
 */
export function reportingStarts(
  service: StepFunctionsService,
  started: (executionArn: string) => void,
): StepFunctionsService {
  return new Proxy(service, {
    get(target, key) {
      if (key === 'startExecution') {
        return (request: Parameters<StepFunctionsService['startExecution']>[0]) => {
          const result = target.startExecution(request);
          started(result.executionArn);
          return result;
        };
      }
      if (key === 'redriveExecution') {
        return (request: Parameters<StepFunctionsService['redriveExecution']>[0]) => {
          const result = target.redriveExecution(request);
          started(request.executionArn);
          return result;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
