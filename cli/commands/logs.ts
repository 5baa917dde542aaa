import { resolve } from 'node:path';
import { loadConfig } from '../../config';
import { readRunRecord } from '../../run';
import { paintStatus, palette } from '../colour';
import { CliError, type CliIo, ExitCode } from '../io';
import { processAlive, readRunLock } from '../lock';
import { awsLogSource } from '../logs/aws-source';
import { openLocalLogSource } from '../logs/local-source';
import { FINAL_STATUSES, type LogCursor, type LoggedItem, type LogSource } from '../logs/source';
import { commandPrefix } from '../package-info';
import { didYouMean, runNamesIn } from '../suggest';
import { type AwsTargetOptions, openAwsTarget } from '../targets';

export interface LogsOptions {
  runId: string;
  /** The item whose log to print; without it, every failed item's. */
  itemId?: string | undefined;
  dir?: string;
  /** Keep printing what the item's job writes until it ends. */
  follow?: boolean;
  /** Read the run from a deployed stack and its logs from CloudWatch Logs (`--aws`). */
  aws?: AwsTargetOptions | undefined;
  /** Milliseconds between reads while following. @default 500 locally, 2000 on AWS */
  pollIntervalMs?: number;
}

/**
 * `fanout logs RUNID [ITEM]`: what an item's job wrote (its latest attempt), from the log file in
 * the state directory or, with `--aws`, from CloudWatch Logs. With one item only the log goes to
 * stdout (a line naming the item, its kwargs and status goes to stderr), so it can be redirected;
 * without ITEM, each failed item's log follows a line naming it by id and kwargs. `--follow`
 * keeps printing while the job runs. Exit code 0, 2 when the run or item does not exist.
 */
export async function logsCommand(options: LogsOptions, io: CliIo): Promise<number> {
  const { runId } = options;
  let source: LogSource;
  let where: string;
  if (options.aws) {
    const target = await openAwsTarget(options.aws);
    if (!(await target.readRunHeader(runId))) {
      await target.close();
      throw new CliError(`no run "${runId}" in ${target.where} (no header row in ledger ${target.names.ledgerTable})`);
    }
    const logs = awsLogSource(target, runId);
    source = {
      ...logs,
      async close() {
        await logs.close();
        await target.close();
      },
    };
    where = target.where;
  } else {
    const dirText = options.dir ?? '.fanout';
    where = resolve(dirText);
    const dir = where;
    const running = () => {
      const lock = readRunLock(dir, runId);
      return lock !== undefined && processAlive(lock.pid);
    };
    if (!running() && !readRunRecord(where, runId))
      throw new CliError(`no run "${runId}" in ${where}${didYouMean(runId, runNamesIn(where))}`);
    source = await openLocalLogSource(where, runId, loadConfig(), running);
  }
  const interval = options.pollIntervalMs ?? (options.aws ? 2_000 : 500);
  try {
    if (options.itemId !== undefined) {
      const item = await source.item(options.itemId);
      if (!item) {
        const hint = didYouMean(options.itemId, await source.itemIds());
        if (!options.follow || !(await source.running()))
          throw new CliError(`run ${runId} has no item "${options.itemId}" in ${where}${hint}`);
      }
      return await printItemLog(io, source, options.itemId, item, { follow: options.follow ?? false, interval });
    }
    const failed = await source.failedItems();
    if (failed.length === 0) {
      io.out(
        `run ${runId} has no failed items; name the item whose log to print: ${commandPrefix()} logs ${runId} ITEM${options.aws ? '' : ` --dir ${options.dir ?? '.fanout'}`}`,
      );
      return ExitCode.Succeeded;
    }
    const paint = palette(io.colour);
    for (const item of failed) {
      io.out(paint.bold(`==> ${describeItem(item, paintStatus.bind(undefined, paint))} <==`));
      if (!item.logStream) {
        io.out('(no log: the job never started)');
        continue;
      }
      const { text } = await readAll(source, item.logStream, undefined);
      io.out(text.replace(/\n$/, ''));
    }
    return ExitCode.Succeeded;
  } finally {
    await source.close();
  }
}

/** `<itemId> <kwargs> <STATUS> exit <n> <log link>`: an item named as a person finds it in the input. */
export function describeItem(
  item: LoggedItem,
  paintStatusText: (status: string) => string = (status) => status,
): string {
  const kwargs = item.kwargs === null ? '' : ` ${JSON.stringify(item.kwargs)}`;
  const exit = item.exitCode === null ? '' : ` exit ${item.exitCode}`;
  const log = item.logLink ? ` ${item.logLink}` : '';
  return `${item.itemId}${kwargs} ${paintStatusText(item.status)}${exit}${log}`;
}

async function readAll(
  source: LogSource,
  logStream: string,
  cursor: LogCursor,
): Promise<{ text: string; cursor: LogCursor }> {
  let text = '';
  let at = cursor;
  for (;;) {
    const chunk = await source.read(logStream, at);
    text += chunk.text;
    if (chunk.text === '' || chunk.cursor === at) return { text, cursor: chunk.cursor };
    at = chunk.cursor;
  }
}

/** Prints one item's log; following, re-reads the item and its stream until the item's job has ended. */
async function printItemLog(
  io: CliIo,
  source: LogSource,
  itemId: string,
  found: LoggedItem | undefined,
  { follow, interval }: { follow: boolean; interval: number },
): Promise<number> {
  const paint = palette(io.errColour);
  let item = found;
  if (item) io.err(paint.dim(`==> ${describeItem(item)} <==`));
  let stream = item?.logStream;
  let cursor: LogCursor;
  const write = (text: string) => {
    if (text !== '') io.out(text.replace(/\n$/, ''));
  };
  if (stream) {
    const first = await readAll(source, stream, undefined);
    write(first.text);
    cursor = first.cursor;
  } else if (!follow) {
    io.err(`item ${itemId} has no log yet: its job has not started (add --follow to wait for it)`);
    return ExitCode.Succeeded;
  }
  if (!follow) return ExitCode.Succeeded;
  for (;;) {
    // Whatever was written before the end is read after it: one more read, then stop.
    const ended = (item !== undefined && FINAL_STATUSES.has(item.status)) || !(await source.running());
    await new Promise((done) => setTimeout(done, interval));
    item = await source.item(itemId);
    if (item?.logStream && item.logStream !== stream) {
      // A new attempt writes a new stream.
      if (stream) io.err(paint.dim(`==> ${describeItem(item)} <==`));
      stream = item.logStream;
      cursor = undefined;
    }
    if (stream) {
      const next = await readAll(source, stream, cursor);
      write(next.text);
      cursor = next.cursor;
      if (ended && next.text === '') break;
    } else if (ended) {
      io.err(`item ${itemId} ended without its job starting`);
      return ExitCode.Succeeded;
    }
  }
  if (item)
    io.err(paint.dim(`${item.itemId} ended ${item.status}${item.exitCode === null ? '' : ` (exit ${item.exitCode})`}`));
  return ExitCode.Succeeded;
}
