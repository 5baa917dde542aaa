import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { systemClock } from './clock';
import { type LoadedDefinition, loadDefinition } from './definition';
import { InvalidDefinitionError, ServiceError, UnsupportedFeatureError } from './errors';
import type { ObjectStore } from './object-store';
import { Execution } from './private/execution';
import { presentEvent } from './private/history';
import type { MapRun } from './private/map/map-run';
import { checkArn, validateName } from './private/names';
import { listChildren, paginate } from './private/pagination';
import { type EngineEnvironment, type MapRunHandle, PAYLOAD_LIMIT_BYTES } from './private/runtime';
import type {
  Clock,
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  Json,
  MapRunDescription,
  Page,
  PageRequest,
  StateMachineDescription,
  StepFunctionsService,
  TaskIntegration,
} from './types';

/** Options of {@link createLocalStepFunctions}. */
export interface LocalStepFunctionsOptions {
  /** Service integrations Task states may use; a definition naming another resource is refused. */
  integrations: TaskIntegration[];
  /** Where ItemReader reads and ResultWriter writes. */
  objectStore: ObjectStore;
  /** @default systemClock */
  clock?: Clock;
  /** @default 'us-east-1' */
  region?: string;
  /** @default '123456789012' */
  accountId?: string;
  /** Uniform in [0, 1): retry jitter and intrinsic functions. @default Math.random */
  random?: () => number;
  /** Most recent successful Distributed Map children whose full history is kept, per Map Run. @default 1000 */
  childHistoryLimit?: number;
  /** Most recent failed, timed-out or aborted Distributed Map children whose full history is kept, per Map Run. @default 1000 */
  failedChildHistoryLimit?: number;
  /** Directory for the temporary files that Map Runs spill finished children's records to. @default os.tmpdir() */
  spillDirectory?: string;
  /**
   * Bytes of finished children's records (input, output, error, cause) a Map Run holds in memory
   * before it appends them to a temporary file. @default 1048576 (1 MiB)
   */
  spillMemoryBytes?: number;
  /** History events after which an execution fails, as AWS's 25,000 quota. @default 25000 */
  maxHistoryEvents?: number;
  /** Concurrent children of a Distributed Map whose MaxConcurrency is 0 (AWS runs up to 10,000). @default 1000 */
  maxChildConcurrency?: number;
  /** Concurrent iterations of an inline Map whose MaxConcurrency is 0 (AWS runs about 40). @default 40 */
  maxInlineConcurrency?: number;
  /** Map Run ids; tests inject a deterministic source. @default crypto.randomUUID */
  newUuid?: () => string;
  /**
   * Checks the calls the engine makes itself with an execution's role, which no endpoint sees:
   * a Distributed Map's `states:StartExecution` of its children. A denial fails the Map state
   * with `States.Runtime` naming it (docs/rehearse.md). @default every call allowed
   */
  authorize?: (call: { roleArn: string; action: string; resource: string }) => string | undefined;
}

/** The ClientToken shape of the API: 1 to 64 characters from '!' to '~' (API_RedriveExecution.html). */
const CLIENT_TOKEN = /^[!-~]{1,64}$/;

interface StateMachineRecord {
  description: StateMachineDescription;
  loaded: LoadedDefinition;
  executions: Execution[];
}

/**
 * Creates the local Step Functions service: the API of `StepFunctionsService`, executions run
 * by the interpreter in this process.
 * @example
 * const sfn = createLocalStepFunctions({ integrations: [batch, dynamodb], objectStore: new MemoryObjectStore() });
 * const { stateMachineArn } = sfn.createStateMachine({ name: 'fanout', definition, roleArn });
 * const { executionArn } = sfn.startExecution({ stateMachineArn, input: '{}' });
 * const result = await sfn.waitForExecution(executionArn);
 */
export function createLocalStepFunctions(options: LocalStepFunctionsOptions): StepFunctionsService {
  return new LocalStepFunctions(options);
}

class LocalStepFunctions implements StepFunctionsService {
  private readonly env: EngineEnvironment;
  private readonly integrations: TaskIntegration[];
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, Execution>();
  private readonly mapRuns = new Map<string, MapRun>();
  private readonly mapRunsByChildPrefix = new Map<string, MapRun>();

  constructor(options: LocalStepFunctionsOptions) {
    this.integrations = options.integrations;
    this.env = {
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      region: options.region ?? 'us-east-1',
      accountId: options.accountId ?? '123456789012',
      objectStore: options.objectStore,
      childHistoryLimit: options.childHistoryLimit ?? 1000,
      failedChildHistoryLimit: options.failedChildHistoryLimit ?? 1000,
      spillDirectory: options.spillDirectory ?? tmpdir(),
      spillMemoryBytes: options.spillMemoryBytes ?? 1024 * 1024,
      maxHistoryEvents: options.maxHistoryEvents ?? 25_000,
      maxChildConcurrency: options.maxChildConcurrency ?? 1000,
      maxInlineConcurrency: options.maxInlineConcurrency ?? 40,
      newUuid: options.newUuid ?? randomUUID,
      authorize: options.authorize ?? (() => undefined),
      registerMapRun: (run: MapRunHandle) => {
        const mapRun = run as MapRun;
        this.mapRuns.set(mapRun.mapRunArn, mapRun);
        this.mapRunsByChildPrefix.set(mapRun.childArnPrefix, mapRun);
      },
    };
  }

  createStateMachine(request: {
    name: string;
    definition: string;
    roleArn: string;
    type?: 'STANDARD' | 'EXPRESS' | undefined;
  }): StateMachineDescription {
    validateName(request.name);
    const type = request.type ?? 'STANDARD';
    if (type === 'EXPRESS') {
      throw new ServiceError(
        'InvalidDefinition',
        `type EXPRESS is not supported by the local engine for state machines started with StartExecution (received type ${type})`,
      );
    }
    let loaded: LoadedDefinition;
    try {
      loaded = loadDefinition(request.definition, this.integrations);
    } catch (error) {
      if (error instanceof InvalidDefinitionError || error instanceof UnsupportedFeatureError) {
        throw new ServiceError('InvalidDefinition', error.message);
      }
      throw error;
    }
    const arn = `arn:aws:states:${this.env.region}:${this.env.accountId}:stateMachine:${request.name}`;
    const existing = this.stateMachines.get(arn);
    if (existing) {
      const same =
        existing.description.definition === request.definition &&
        existing.description.roleArn === request.roleArn &&
        existing.description.type === type;
      if (same) return { ...existing.description };
      throw new ServiceError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const description: StateMachineDescription = {
      stateMachineArn: arn,
      name: request.name,
      definition: request.definition,
      roleArn: request.roleArn,
      type,
      status: 'ACTIVE',
      creationDate: this.env.clock.now(),
    };
    this.stateMachines.set(arn, { description, loaded, executions: [] });
    return { ...description };
  }

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    return { ...this.stateMachine(stateMachineArn).description };
  }

  listStateMachines(request: PageRequest = {}): Page<StateMachineDescription> {
    const all = [...this.stateMachines.values()].map((record) => record.description);
    return paginate('stateMachines', all.length, (index) => ({ ...all[index]! }), request);
  }

  deleteStateMachine(stateMachineArn: string): void {
    checkArn(stateMachineArn);
    // Running executions go on, as on AWS; the machine can no longer start new ones, nor redrive them.
    const machine = this.stateMachines.get(stateMachineArn);
    for (const execution of machine?.executions ?? []) execution.machineDeleted = true;
    this.stateMachines.delete(stateMachineArn);
  }

  startExecution(request: { stateMachineArn: string; name?: string | undefined; input?: string | undefined }): {
    executionArn: string;
    startDate: number;
  } {
    const machine = this.stateMachine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    validateName(name);
    const inputText = request.input ?? '{}';
    const executionArn = `arn:aws:states:${this.env.region}:${this.env.accountId}:execution:${machine.description.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // StartExecution is idempotent for a running STANDARD execution with the same name and input (API_StartExecution).
      if (existing.status === 'RUNNING' && existing.input === inputText)
        return { executionArn, startDate: existing.startDate };
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    if (Buffer.byteLength(inputText, 'utf8') > PAYLOAD_LIMIT_BYTES) {
      throw new ServiceError(
        'InvalidExecutionInput',
        `input has a size of ${Buffer.byteLength(inputText, 'utf8')} bytes, which exceeds the maximum of ${PAYLOAD_LIMIT_BYTES} bytes`,
      );
    }
    let input: Json;
    try {
      input = JSON.parse(inputText) as Json;
    } catch (error) {
      throw new ServiceError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const execution = new Execution(this.env, machine.description, executionArn, name, inputText, input);
    this.executions.set(executionArn, execution);
    machine.executions.push(execution);
    execution.start(machine.loaded.graph, machine.loaded.timeoutSeconds);
    return { executionArn, startDate: execution.startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const execution = this.executions.get(executionArn);
    if (execution) return execution.describe();
    const child = this.findChild(executionArn);
    if (child) return child.run.describeChild(child.index);
    throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
  }

  stopExecution(executionArn: string, request: { error?: string; cause?: string } = {}): { stopDate: number } {
    const error = request.error ?? '';
    const cause = request.cause ?? '';
    const execution = this.executions.get(executionArn);
    if (execution) {
      execution.stop(error, cause);
      return { stopDate: execution.stopDate ?? this.env.clock.now() };
    }
    const child = this.findChild(executionArn);
    if (!child)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    child.run.stopChild(child.index, error, cause);
    return { stopDate: this.env.clock.now() };
  }

  redriveExecution(request: { executionArn: string; clientToken?: string | undefined }): { redriveDate: number } {
    const { executionArn, clientToken } = request;
    if (clientToken !== undefined && !CLIENT_TOKEN.test(clientToken)) {
      throw new ServiceError(
        'ValidationException',
        `clientToken must be 1 to 64 printable ASCII characters without spaces (received '${clientToken}')`,
      );
    }
    const execution = this.executions.get(executionArn);
    if (execution) return execution.redrive(clientToken);
    const child = this.findChild(executionArn);
    if (!child)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    // A child's redriveStatus is REDRIVABLE_BY_MAP_RUN at best: only redriving its parent reruns it (redrive-map-run.html).
    throw new ServiceError(
      'ExecutionNotRedrivable',
      `Execution is a child workflow execution of the Map Run '${child.run.mapRunArn}' and is redriven only by redriving its parent execution '${child.run.executionArn}': '${executionArn}'`,
    );
  }

  listExecutions(
    request: PageRequest & {
      stateMachineArn?: string | undefined;
      mapRunArn?: string | undefined;
      statusFilter?: ExecutionStatus | undefined;
      redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN' | undefined;
    },
  ): Page<ExecutionDescription> {
    if ((request.stateMachineArn === undefined) === (request.mapRunArn === undefined)) {
      throw new ServiceError(
        'ValidationException',
        'ListExecutions needs exactly one of stateMachineArn and mapRunArn',
      );
    }
    const filter = request.statusFilter;
    const redriven = request.redriveFilter === undefined ? undefined : request.redriveFilter === 'REDRIVEN';
    if (request.mapRunArn !== undefined)
      return listChildren(this.mapRun(request.mapRunArn), { status: filter, redriven }, request);
    const machine = this.stateMachine(request.stateMachineArn!);
    const executions = machine.executions
      .filter(
        (execution) =>
          (!filter || execution.status === filter) &&
          (redriven === undefined || execution.redriveCount > 0 === redriven),
      )
      .reverse();
    return paginate(
      `stateMachine:${machine.description.stateMachineArn}`,
      executions.length,
      (index) => executions[index]!.describe(),
      request,
    );
  }

  getExecutionHistory(
    executionArn: string,
    request: PageRequest & { reverseOrder?: boolean | undefined; includeExecutionData?: boolean | undefined } = {},
  ): Page<HistoryEvent> {
    let events: HistoryEvent[];
    const execution = this.executions.get(executionArn);
    if (execution) events = execution.scope.history;
    else {
      const child = this.findChild(executionArn);
      if (!child)
        throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
      events = child.run.childHistory(child.index);
    }
    const include = request.includeExecutionData ?? true;
    const count = events.length;
    const at = request.reverseOrder ? (index: number) => events[count - 1 - index]! : (index: number) => events[index]!;
    return paginate(`history:${executionArn}`, count, (index) => presentEvent(at(index), include), request);
  }

  describeMapRun(mapRunArn: string): MapRunDescription {
    return this.mapRun(mapRunArn).describe();
  }

  listMapRuns(executionArn: string, request: PageRequest = {}): Page<MapRunDescription> {
    if (!this.executions.has(executionArn) && !this.findChild(executionArn)) {
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    }
    const runs = [...this.mapRuns.values()].filter((run) => run.executionArn === executionArn);
    return paginate(`mapRuns:${executionArn}`, runs.length, (index) => runs[index]!.describe(), request);
  }

  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const execution = this.executions.get(executionArn);
    if (execution) {
      await execution.done;
      return execution.describe();
    }
    const child = this.findChild(executionArn);
    if (!child)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    await child.run.waitForChild(child.index);
    return child.run.describeChild(child.index);
  }

  private stateMachine(stateMachineArn: string): StateMachineRecord {
    const machine = this.stateMachines.get(stateMachineArn);
    if (!machine)
      throw new ServiceError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${checkArn(stateMachineArn)}'`,
      );
    return machine;
  }

  private mapRun(mapRunArn: string): MapRun {
    const run = this.mapRuns.get(mapRunArn);
    if (!run) throw new ServiceError('ResourceNotFound', `Resource not found: '${checkArn(mapRunArn)}'`);
    return run;
  }

  private findChild(executionArn: string): { run: MapRun; index: number } | undefined {
    const run = this.mapRunsByChildPrefix.get(executionArn.slice(0, -12));
    if (!run) return undefined;
    const index = run.indexOf(executionArn);
    return index < 0 ? undefined : { run, index };
  }
}
