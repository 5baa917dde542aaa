import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { FanoutConfig } from '../../config';
import { jobNameFor } from '../../lambdas/shared/input';
import { logFileFor, readJournal } from '../../local/batch';
import { openLocalLedger } from '../commands/local-ledger';
import { CliError } from '../io';
import { commandPrefix } from '../package-info';
import { type LogCursor, type LoggedItem, type LogSource, ledgerItems } from './source';

/** How much of a log file one read returns at most; the rest comes with the next read. */
const READ_CHUNK_BYTES = 1 << 20;

/** Reads a local log file from a byte offset; a file not written yet reads as empty. */
export function readLogFile(path: string, cursor: LogCursor): { text: string; cursor: LogCursor } {
  const offset = typeof cursor === 'number' ? cursor : 0;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', cursor: offset };
    throw error;
  }
  try {
    const buffer = Buffer.alloc(READ_CHUNK_BYTES);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    // Stop before a UTF-8 sequence cut at the end of the chunk; the next read starts there.
    let end = read;
    if (read === buffer.length) {
      while (end > 0 && ((buffer[end - 1] as number) & 0xc0) === 0x80) end--;
      if (end > 0 && ((buffer[end - 1] as number) & 0xc0) === 0xc0) end--;
    }
    return { text: buffer.subarray(0, end).toString('utf8'), cursor: offset + end };
  } finally {
    closeSync(fd);
  }
}

/**
 * The logs of a run in a local state directory. A run that has ended is read from its ledger;
 * while a `fanout run` process runs it (and holds the ledger), its items' jobs are found in the
 * Batch service's journal by their job names, which name the items.
 */
export async function openLocalLogSource(
  dir: string,
  runId: string,
  config: FanoutConfig,
  running: () => boolean,
): Promise<LogSource> {
  const logLink = (logStream: string) => logFileFor(dir, logStream);
  const read = async (logStream: string, cursor: LogCursor) => readLogFile(logLink(logStream), cursor);
  const ledger = running() ? undefined : await openLocalLedger(dir, config);
  if (ledger) {
    return {
      ...ledgerItems(ledger.client, config.ledgerTable, runId, logLink),
      read,
      running: async () => false,
      close: () => ledger.close(),
    };
  }
  const itemFromJournal = async (itemId: string): Promise<LoggedItem | undefined> => {
    const jobName = jobNameFor(runId, itemId);
    const job = readJournal(join(dir, 'batch'))
      .filter((candidate) => candidate.jobName === jobName)
      .at(-1);
    if (!job) return undefined;
    return {
      itemId,
      kwargs: null,
      status: job.status,
      exitCode: job.exitCode ?? null,
      logStream: job.logStreamName,
      logLink: job.logStreamName ? logLink(job.logStreamName) : undefined,
    };
  };
  return {
    item: itemFromJournal,
    itemIds: async () => [],
    failedItems: async () => {
      throw new CliError(
        `run ${runId} is still running in ${dir}; name the item whose log to follow (${commandPrefix()} logs ${runId} ITEM --follow --dir ${dir})`,
      );
    },
    read,
    running: async () => running(),
    close: async () => undefined,
  };
}
