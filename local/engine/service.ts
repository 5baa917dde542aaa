import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { systemClock } from './clock';
import { type LoadedDefinition, loadDefinition } from './definition';
import { InvalidDefinitionError, ServiceError, StatesErrors, UnsupportedFeatureError } from './errors';
import type { ObjectStore } from './object-store';
import { JsonText, presentEvent } from './private/history';
import { runGraph } from './private/interpreter';
import type { MapRun } from './private/map/map-run';
import {
  asFailure,
  checkPayloadSize,
  type EngineEnvironment,
  type ExecutionScope,
  Halt,
  isoDate,
  type MapRunHandle,
  PAYLOAD_LIMIT_BYTES,
} from './private/runtime';
import type {
  Clock,
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  Json,
  MapRunDescription,
  Page,
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
}

interface StateMachineRecord {
  description: StateMachineDescription;
  loaded: LoadedDefinition;
  executions: ExecutionRecord[];
}

/** What DescribeExecution reports of an execution, plus what running it needs. */
interface ExecutionRecord
  extends Pick<
    ExecutionDescription,
    'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate' | 'input' | 'output' | 'error' | 'cause'
  > {
  scope: ExecutionScope;
  controller: AbortController;
  done: Promise<void>;
  markDone: () => void;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what API_StartExecution forbids in names.
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

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
  private readonly executions = new Map<string, ExecutionRecord>();
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
    type?: 'STANDARD' | 'EXPRESS';
  }): StateMachineDescription {
    validateName(request.name, 'name');
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

  listStateMachines(request: { maxResults?: number; nextToken?: string } = {}): Page<StateMachineDescription> {
    const all = [...this.stateMachines.values()].map((record) => record.description);
    return paginate('stateMachines', all.length, (index) => ({ ...all[index]! }), request);
  }

  deleteStateMachine(stateMachineArn: string): void {
    checkArn(stateMachineArn);
    // Running executions go on, as on AWS; the machine can no longer start new ones.
    this.stateMachines.delete(stateMachineArn);
  }

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    const machine = this.stateMachine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    validateName(name, 'name');
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
    const startDate = this.env.clock.now();
    const controller = new AbortController();
    let markDone = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    const roleArn = machine.description.roleArn;
    const scope: ExecutionScope = {
      env: this.env,
      executionArn,
      stateMachineArn: machine.description.stateMachineArn,
      stateMachineName: machine.description.name,
      execution: {
        Id: executionArn,
        Name: name,
        Input: input,
        StartTime: isoDate(startDate),
        RoleArn: roleArn,
        RedriveCount: 0,
      },
      history: [],
      transitions: 0,
      mapRuns: [],
    };
    const record: ExecutionRecord = {
      scope,
      stateMachineArn: machine.description.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate,
      input: inputText,
      controller,
      done,
      markDone,
    };
    this.executions.set(executionArn, record);
    machine.executions.push(record);
    scope.history.push({
      id: 1,
      previousEventId: 0,
      timestamp: startDate,
      type: 'ExecutionStarted',
      details: { input: new JsonText(input), inputDetails: { truncated: false }, roleArn },
    });
    // Run after returning, as AWS does: the caller gets the ARN of a RUNNING execution.
    queueMicrotask(() => void this.run(record, machine.loaded, input));
    return { executionArn, startDate };
  }

  private async run(record: ExecutionRecord, loaded: LoadedDefinition, input: Json): Promise<void> {
    const clock = this.env.clock;
    const timer = new AbortController();
    if (loaded.timeoutSeconds !== undefined) {
      clock.sleep(loaded.timeoutSeconds * 1000, timer.signal).then(
        () =>
          record.controller.abort(
            new Halt(
              'TIMED_OUT',
              StatesErrors.Timeout,
              `The execution timed out after ${loaded.timeoutSeconds} seconds`,
            ),
          ),
        () => undefined,
      );
    }
    try {
      const result = runGraph(loaded.graph, input, { scope: record.scope, signal: record.controller.signal });
      const output = result instanceof Promise ? await result : result;
      checkPayloadSize(output, 'execution output');
      this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output) }, output);
    } catch (error) {
      const failure = asFailure(error);
      if (failure instanceof Halt) this.finish(record, failure.status, { error: failure.error, cause: failure.cause });
      else this.finish(record, 'FAILED', { error: failure.error, cause: failure.cause });
    } finally {
      timer.abort();
    }
  }

  private finish(
    record: ExecutionRecord,
    status: ExecutionStatus,
    result: { output?: string; error?: string; cause?: string },
    output?: Json,
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = this.env.clock.now();
    Object.assign(record, result);
    const history = record.scope.history;
    const id = history.length + 1;
    const event = (type: string, details: Record<string, unknown>): HistoryEvent => ({
      id,
      previousEventId: id - 1,
      timestamp: record.stopDate!,
      type,
      details,
    });
    const failure = { error: result.error ?? '', cause: result.cause ?? '' };
    if (status === 'SUCCEEDED')
      history.push(
        event('ExecutionSucceeded', { output: new JsonText(output ?? null), outputDetails: { truncated: false } }),
      );
    else if (status === 'TIMED_OUT') history.push(event('ExecutionTimedOut', failure));
    else if (status === 'ABORTED') history.push(event('ExecutionAborted', failure));
    else history.push(event('ExecutionFailed', failure));
    record.markDone();
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const record = this.executions.get(executionArn);
    if (record) return this.describeRecord(record);
    const child = this.findChild(executionArn);
    if (child) return child.run.describeChild(child.index);
    throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
  }

  private describeRecord(record: ExecutionRecord): ExecutionDescription {
    const description: ExecutionDescription = {
      executionArn: record.scope.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      input: record.input,
      stateTransitions: record.scope.transitions,
    };
    if (record.stopDate !== undefined) description.stopDate = record.stopDate;
    if (record.output !== undefined) description.output = record.output;
    if (record.error !== undefined) description.error = record.error;
    if (record.cause !== undefined) description.cause = record.cause;
    return description;
  }

  stopExecution(executionArn: string, request: { error?: string; cause?: string } = {}): { stopDate: number } {
    const error = request.error ?? '';
    const cause = request.cause ?? '';
    const record = this.executions.get(executionArn);
    if (record) {
      if (record.status === 'RUNNING') {
        this.finish(record, 'ABORTED', { error, cause });
        record.controller.abort(new Halt('ABORTED', error, cause));
      }
      return { stopDate: record.stopDate ?? this.env.clock.now() };
    }
    const child = this.findChild(executionArn);
    if (!child)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    child.run.stopChild(child.index, error, cause);
    return { stopDate: this.env.clock.now() };
  }

  listExecutions(request: {
    stateMachineArn?: string;
    mapRunArn?: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }): Page<ExecutionDescription> {
    if ((request.stateMachineArn === undefined) === (request.mapRunArn === undefined)) {
      throw new ServiceError(
        'ValidationException',
        'ListExecutions needs exactly one of stateMachineArn and mapRunArn',
      );
    }
    const filter = request.statusFilter;
    if (request.mapRunArn !== undefined) return listChildren(this.mapRun(request.mapRunArn), filter, request);
    const machine = this.stateMachine(request.stateMachineArn!);
    const records = machine.executions.filter((record) => !filter || record.status === filter).reverse();
    return paginate(
      `stateMachine:${machine.description.stateMachineArn}`,
      records.length,
      (index) => this.describeRecord(records[index]!),
      request,
    );
  }

  getExecutionHistory(
    executionArn: string,
    request: { maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean } = {},
  ): Page<HistoryEvent> {
    let events: HistoryEvent[];
    const record = this.executions.get(executionArn);
    if (record) events = record.scope.history;
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

  listMapRuns(
    executionArn: string,
    request: { maxResults?: number; nextToken?: string } = {},
  ): Page<MapRunDescription> {
    if (!this.executions.has(executionArn) && !this.findChild(executionArn)) {
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${checkArn(executionArn)}'`);
    }
    const runs = [...this.mapRuns.values()].filter((run) => run.executionArn === executionArn);
    return paginate(`mapRuns:${executionArn}`, runs.length, (index) => runs[index]!.describe(), request);
  }

  async waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const record = this.executions.get(executionArn);
    if (record) {
      await record.done;
      return this.describeRecord(record);
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

/**
 * ListExecutions(mapRunArn): newest child first. The token holds the index to resume below, so
 * a page costs the children it returns (plus those a status filter skips), never a pass over all.
 */
function listChildren(
  run: MapRun,
  filter: ExecutionStatus | undefined,
  request: { maxResults?: number; nextToken?: string },
): Page<ExecutionDescription> {
  const listing = `mapRun:${run.mapRunArn}`;
  const size = pageSize(request.maxResults);
  let index =
    request.nextToken === undefined
      ? run.childCount - 1
      : Math.min(readToken(request.nextToken, listing), run.childCount - 1);
  const items: ExecutionDescription[] = [];
  for (; index >= 0 && items.length < size; index--) {
    if (!filter || run.statusOf(index) === filter) items.push(run.describeChild(index));
  }
  if (filter) while (index >= 0 && run.statusOf(index) !== filter) index--;
  const page: Page<ExecutionDescription> = { items };
  if (index >= 0) page.nextToken = makeToken(listing, index);
  return page;
}

function validateName(name: string, field: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 80) {
    throw new ServiceError(
      'InvalidName',
      `Invalid Name: '${name}' (${field} must be 1 to 80 characters, received ${typeof name === 'string' ? name.length : typeof name})`,
    );
  }
  const bad = NAME_FORBIDDEN.exec(name);
  if (bad) {
    throw new ServiceError(
      'InvalidName',
      `Invalid Name: '${name}' (${field} must not contain whitespace, brackets, wildcards, special or control characters; found ${JSON.stringify(bad[0])})`,
    );
  }
}

function checkArn(arn: string): string {
  if (typeof arn !== 'string' || !arn.startsWith('arn:'))
    throw new ServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
  return arn;
}

/** Offset pagination with an opaque token bound to the listing it came from. */
function paginate<T>(
  listing: string,
  count: number,
  item: (index: number) => T,
  request: { maxResults?: number; nextToken?: string },
): Page<T> {
  const size = pageSize(request.maxResults);
  const offset = request.nextToken === undefined ? 0 : readToken(request.nextToken, listing);
  const end = Math.min(count, offset + size);
  const items: T[] = [];
  for (let index = offset; index < end; index++) items.push(item(index));
  const page: Page<T> = { items };
  if (end < count) page.nextToken = makeToken(listing, end);
  return page;
}

function pageSize(maxResults: number | undefined): number {
  const size = maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE : maxResults;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) {
    throw new ServiceError(
      'ValidationException',
      `maxResults must be an integer from 0 to ${MAX_PAGE} (received ${String(maxResults)})`,
    );
  }
  return size;
}

/** The position a token carries; the token must come from the same listing. */
function readToken(token: string, listing: string): number {
  let parsed: { l?: unknown; o?: unknown } = {};
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { l?: unknown; o?: unknown };
  } catch {
    parsed = {};
  }
  if (parsed.l !== listing || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0)
    throw new ServiceError('InvalidToken', `Invalid Token: '${token}'`);
  return parsed.o;
}

function makeToken(listing: string, position: number): string {
  return Buffer.from(JSON.stringify({ l: listing, o: position }), 'utf8').toString('base64url');
}
