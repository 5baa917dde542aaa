import { readFileSync } from 'node:fs';
import { FanoutInfraError } from '../errors';

/**
 * Reads an ASL file the way the stack deploys it (`DefinitionBody.fromFile` plus
 * `definitionSubstitutions`) and works out what its execution role needs from the states
 * themselves, so a definition written by someone else gets exactly the grants it uses.
 */

const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** The placeholders (`${Name}`) a definition text uses, in order of first use. */
function placeholdersOf(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(PLACEHOLDER)) names.add(match[1] ?? '');
  return [...names];
}

/**
 * The substitutions for one definition: every placeholder must have a value in `known`,
 * otherwise synth fails naming the file, the placeholders left over and the known names.
 */
export function substitutionsFor(
  file: string,
  text: string,
  known: Readonly<Record<string, string>>,
): Record<string, string> {
  const used = placeholdersOf(text);
  const missing = used.filter((name) => !Object.hasOwn(known, name));
  if (missing.length > 0) {
    throw new FanoutInfraError(
      `${file} has placeholders without a value: ${missing.map((name) => `\${${name}}`).join(', ')}; ` +
        `known placeholders are ${Object.keys(known).sort().join(', ')}`,
    );
  }
  return Object.fromEntries(used.map((name) => [name, known[name] as string]));
}

/** What a definition's states call, and so what its role must be allowed to do. */
export interface DefinitionNeeds {
  /** Placeholders used as a Lambda function (a Task `FunctionName` or `Resource`). */
  readonly functionPlaceholders: Set<string>;
  /** `batch:submitJob` or `batch:submitJob.sync`. */
  readonly batchSubmit: boolean;
  /** `.sync`: Step Functions follows the job through EventBridge and terminates it on abort. */
  readonly batchSync: boolean;
  /** Other Batch reads through SDK integrations (`batch:ListJobs`, `batch:DescribeJobs`). */
  readonly batchReads: Set<string>;
  /** DynamoDB actions on the ledger (`dynamodb:UpdateItem`, ...). */
  readonly dynamodbActions: Set<string>;
  /** S3 object actions on the data bucket's run objects. */
  readonly s3ObjectActions: Set<string>;
  /** `s3:ListBucket` on the data bucket. */
  readonly s3ListBucket: boolean;
  readonly snsPublish: boolean;
  /** Labels of the Distributed Map states (`undefined` for a Map without a Label). */
  readonly distributedMapLabels: (string | undefined)[];
}

type Json = Record<string, unknown>;

const OPTIMIZED_DYNAMODB = /^arn:aws:states:::dynamodb:(getItem|putItem|updateItem|deleteItem)$/;
const SDK_INTEGRATION = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z0-9]+)$/;
const LAMBDA_INVOKE = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;
const FUNCTION_PLACEHOLDER = /^\$\{([A-Za-z0-9]+FunctionArn)\}$/;
const RESULT_WRITER_ACTIONS = [
  's3:PutObject',
  's3:GetObject',
  's3:ListMultipartUploadParts',
  's3:AbortMultipartUpload',
];
const SDK_S3_OBJECT_ACTIONS: Readonly<Record<string, string>> = {
  getObject: 's3:GetObject',
  putObject: 's3:PutObject',
  headObject: 's3:GetObject',
};
const SDK_BATCH_READS = new Set(['listJobs', 'describeJobs']);

function pascal(action: string): string {
  return action.charAt(0).toUpperCase() + action.slice(1);
}

/**
 * Walks every state (nested Map processors and Parallel branches included) and lists what it
 * calls. A Task whose resource is not one fanout grants is refused, naming the state, rather
 * than deployed with a role that would fail at run time.
 */
export function analyzeDefinition(file: string, text: string): DefinitionNeeds {
  let definition: Json;
  try {
    definition = JSON.parse(text) as Json;
  } catch (error) {
    throw new FanoutInfraError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const needs = {
    functionPlaceholders: new Set<string>(),
    batchSubmit: false,
    batchSync: false,
    batchReads: new Set<string>(),
    dynamodbActions: new Set<string>(),
    s3ObjectActions: new Set<string>(),
    s3ListBucket: false,
    snsPublish: false,
    distributedMapLabels: [] as (string | undefined)[],
  };

  const task = (name: string, state: Json): void => {
    const resource = String(state.Resource ?? '');
    const parameters = (state.Parameters ?? state.Arguments ?? {}) as Json;
    const direct = FUNCTION_PLACEHOLDER.exec(resource);
    if (direct) {
      needs.functionPlaceholders.add(direct[1] as string);
      return;
    }
    if (LAMBDA_INVOKE.test(resource)) {
      const target = FUNCTION_PLACEHOLDER.exec(String(parameters.FunctionName ?? ''));
      if (!target) {
        throw new FanoutInfraError(
          `${file}: state ${name} invokes a Lambda function that is not a \${...FunctionArn} placeholder (FunctionName ${JSON.stringify(parameters.FunctionName)})`,
        );
      }
      needs.functionPlaceholders.add(target[1] as string);
      return;
    }
    if (resource === 'arn:aws:states:::batch:submitJob' || resource === 'arn:aws:states:::batch:submitJob.sync') {
      needs.batchSubmit = true;
      needs.batchSync ||= resource.endsWith('.sync');
      return;
    }
    const dynamodb = OPTIMIZED_DYNAMODB.exec(resource);
    if (dynamodb) {
      needs.dynamodbActions.add(`dynamodb:${pascal(dynamodb[1] as string)}`);
      return;
    }
    if (resource === 'arn:aws:states:::sns:publish') {
      needs.snsPublish = true;
      return;
    }
    const sdk = SDK_INTEGRATION.exec(resource);
    if (sdk) {
      const [, service, action] = sdk as unknown as [string, string, string];
      if (service === 'dynamodb') {
        needs.dynamodbActions.add(`dynamodb:${pascal(action)}`);
        return;
      }
      if (service === 'batch' && SDK_BATCH_READS.has(action)) {
        needs.batchReads.add(`batch:${pascal(action)}`);
        return;
      }
      if (service === 's3' && SDK_S3_OBJECT_ACTIONS[action]) {
        needs.s3ObjectActions.add(SDK_S3_OBJECT_ACTIONS[action]);
        return;
      }
      if (service === 's3' && action === 'listObjectsV2') {
        needs.s3ListBucket = true;
        return;
      }
    }
    throw new FanoutInfraError(
      `${file}: state ${name} calls ${JSON.stringify(resource)}, which the stack grants no permission for; ` +
        'supported: Lambda invoke of a ${...FunctionArn} placeholder, batch:submitJob[.sync], dynamodb get/put/update/deleteItem, ' +
        'sns:publish, and the aws-sdk integrations dynamodb:*, batch:listJobs/describeJobs, s3:getObject/putObject/headObject/listObjectsV2',
    );
  };

  const walk = (states: Json): void => {
    for (const [name, value] of Object.entries(states)) {
      const state = value as Json;
      if (state.Type === 'Task') task(name, state);
      if (state.Type === 'Parallel')
        for (const branch of (state.Branches ?? []) as Json[]) walk((branch.States ?? {}) as Json);
      if (state.Type === 'Map') {
        const processor = (state.ItemProcessor ?? state.Iterator ?? {}) as Json;
        const mode = ((processor.ProcessorConfig ?? {}) as Json).Mode;
        if (mode === 'DISTRIBUTED')
          needs.distributedMapLabels.push(typeof state.Label === 'string' ? state.Label : undefined);
        const reader = state.ItemReader as Json | undefined;
        if (reader) {
          if (reader.Resource === 'arn:aws:states:::s3:listObjectsV2') needs.s3ListBucket = true;
          else needs.s3ObjectActions.add('s3:GetObject');
        }
        if (state.ResultWriter) for (const action of RESULT_WRITER_ACTIONS) needs.s3ObjectActions.add(action);
        walk((processor.States ?? {}) as Json);
      }
    }
  };
  walk((definition.States ?? {}) as Json);
  return needs;
}

/** Reads a definition file, naming it when it cannot be read. */
export function readDefinition(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new FanoutInfraError(`cannot read state machine definition ${file}: ${(error as Error).message}`);
  }
}
