/**
 * The run report: one self-contained HTML page per run (docs/report.md). Gathering (ledger,
 * run records, Batch job times) is separate from rendering, a pure function of a typed model.
 * @example
 * const path = await writeRunReport({ ledger, tableName, runId: 'sweep-7', stateDir, jobTimes: journalJobTimes(stateDir) });
 */
export {
  buildReportModel,
  type ExecutionRecord,
  FAILURE_ROWS_PER_GROUP,
  type JobTiming,
  type ReportHeader,
  type ReportRow,
  type ReportSources,
} from './build';
export {
  defaultReportPath,
  describeJobsTimes,
  type JobTimesSource,
  jobTimesFrom,
  journalJobTimes,
  localLogUrl,
  readExecutionRecords,
  readLedgerRows,
  type WriteRunReportOptions,
  writeRunReport,
} from './gather';
export type * from './model';
export { type RenderOptions, renderReport } from './render';
export { describeSource, readSourceSummary, type SourceSummary, saveSourceSummary } from './source';
export { TIMELINE_BAR_LIMIT } from './timeline';
