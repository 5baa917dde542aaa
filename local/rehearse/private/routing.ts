/**
 * Step Functions calls services with the role of the execution's state machine. The local
 * engine has one set of integrations, so each integration here routes a Task to the one built
 * with that role's key pair, and checks what no endpoint sees: `lambda:InvokeFunction` (the
 * Lambda integration calls the function's process directly) and, for a `.sync` Batch task, the
 * EventBridge rule Step Functions manages (docs: step-functions/latest/dg/batch-iam.html).
 */
import { randomUUID } from 'node:crypto';
import { StatesError } from '../../engine/errors';
import type { Json, TaskIntegration, TaskRequest } from '../../engine/types';
import type { RehearsedStack } from '../stack';
import type { Authority } from './authority';

function functionArn(reference: string, region: string, account: string): string {
  if (reference.startsWith('arn:')) return reference.split(':').slice(0, 7).join(':');
  const name = reference.replace(/^\d{12}:function:/, '').split(':')[0] ?? reference;
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

export function roleRoutedIntegrations(
  roleArns: readonly string[],
  integrationsOf: (roleArn: string) => TaskIntegration[],
  authority: Authority,
  stack: RehearsedStack,
): TaskIntegration[] {
  const byRole = new Map<string, Map<string, TaskIntegration>>();
  for (const roleArn of new Set(roleArns)) {
    byRole.set(roleArn, new Map(integrationsOf(roleArn).map((integration) => [integration.service, integration])));
  }
  const [first] = byRole.values();
  if (!first) return [];
  const { region, account } = stack.resolver;
  return [...first.values()].map((template) => ({
    service: template.service,
    actions: template.actions,
    async invoke(request: TaskRequest): Promise<Json> {
      const roleArn = request.context.Execution.RoleArn;
      const integration = byRole.get(roleArn)?.get(template.service);
      if (!integration) throw new StatesError('States.Runtime', `no integrations for the role ${roleArn}`);
      if (template.service === 'batch' && request.action.endsWith('.sync')) {
        // A .sync task has Step Functions manage an EventBridge rule for the job's end.
        const rule = `arn:aws:events:${region}:${account}:rule/StepFunctionsGetEventsForBatchJobsRule`;
        for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
          const denial = authority.check(roleArn, { action, resource: rule });
          if (denial) throw new StatesError('States.Runtime', denial);
        }
      }
      if (template.service === 'lambda') {
        const parameters = request.parameters as { FunctionName?: unknown };
        const resource = functionArn(String(parameters.FunctionName ?? ''), region, account);
        const denial = authority.check(roleArn, { action: 'lambda:InvokeFunction', resource });
        if (denial) {
          // As Step Functions reports an error of the Lambda API (optimized integration).
          throw new StatesError(
            'Lambda.AWSLambdaException',
            `${denial} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
          );
        }
      }
      return integration.invoke(request);
    },
  }));
}
