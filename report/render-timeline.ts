import { escapeHtml as esc, formatCount, formatDuration, formatTime } from './format';
import { niceStep } from './histogram';
import type { AttemptOutcome, ReportModel, TimelineAttempt } from './model';
import { densityColumns, layoutSegments, OUTCOMES, segmentOf, type TimelineSegment, xOf } from './timeline';

/** The report's timeline: one bar per job attempt, or a density chart above the bar limit (docs/report.md). */

/** One colour per attempt outcome, shared by the timeline, its legend and the page's style. */
export const COLORS: Record<AttemptOutcome, string> = {
  succeeded: '#2f9e57',
  failed: '#d64545',
  aborted: '#e39b1b',
  running: '#3b7dd8',
};

const TIMELINE_WIDTH = 1100;
const AXIS_HEIGHT = 34;

export function renderTimeline(model: ReportModel, barLimit: number): string {
  const now = Date.parse(model.generatedAt);
  const bars = model.attempts.length <= barLimit;
  const labelWidth = bars && laneHeight(model.lanes.length) >= 12 ? 120 : 0;
  const plotWidth = TIMELINE_WIDTH - labelWidth;
  const aggregateBar = model.aggregate?.bar;
  // The aggregation job widens the axis like any attempt, so its bar is never cut.
  const spans: readonly TimelineAttempt[] = aggregateBar
    ? [...model.attempts, { lane: -1, attempt: 1, ...aggregateBar }]
    : model.attempts;
  const segments = layoutSegments(model.executions, spans, plotWidth, now);
  const legend = OUTCOMES.map(
    (outcome) => `<span><span class="swatch" style="background:${COLORS[outcome]}"></span>${outcome}</span>`,
  ).join(' ');
  const undrawn =
    model.undrawnAttempts > 0
      ? ` ${formatCount(model.undrawnAttempts)} attempt(s) are not drawn: they never started a job (a Batch API error, or stopped first), or Batch no longer knows their job.`
      : '';
  if (segments.length === 0) {
    return `<section id="timeline"><h2>Timeline</h2><p class="note">No job attempt started.${undrawn}</p></section>`;
  }
  const explanation = bars
    ? `One bar per job attempt, from its start to its stop, one row per item; a retry is a later bar in the same row, linked by a dotted line.`
    : `${formatCount(model.attempts.length)} attempts are more than one bar each can show (the limit is ${formatCount(barLimit)}): each column counts the attempts running during it, stacked by outcome.`;
  const gaps =
    segments.length > 1
      ? ' Each execution has its own stretch of the axis; the time between executions is left out.'
      : '';
  const aggregateNote = !model.aggregate
    ? ''
    : aggregateBar
      ? ' The aggregation job has the last row.'
      : " The aggregation job's times are not known to Batch: it is not drawn.";
  const svg = bars ? timelineBars(model, segments, labelWidth, now) : timelineDensity(model, segments, now);
  return `<section id="timeline"><h2>Timeline</h2>
<p class="note">${explanation}${gaps}${undrawn}${aggregateNote} ${legend}</p>
<div class="scroll">${svg}</div></section>`;
}

function laneHeight(lanes: number): number {
  return Math.max(3, Math.min(18, Math.floor(560 / Math.max(lanes, 1))));
}

function axis(segments: readonly TimelineSegment[], offset: number): string {
  const parts: string[] = [];
  for (const segment of segments) {
    const x = offset + segment.x;
    parts.push(`<text x="${x.toFixed(1)}" y="12" font-weight="600">${esc(segment.label)}</text>`);
    const span = segment.to - segment.from;
    const step = niceStep(span, Math.max(1, Math.floor(segment.width / 80)));
    for (let t = 0; t <= span; t += step) {
      const tx = x + (t / span) * segment.width;
      parts.push(
        `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${AXIS_HEIGHT - 8}" y2="${AXIS_HEIGHT}" stroke="#9aa3ad"/>`,
      );
      if (tx - x < segment.width - 30 || t === 0)
        parts.push(`<text x="${(tx + 2).toFixed(1)}" y="${AXIS_HEIGHT - 10}">+${esc(formatDuration(t))}</text>`);
    }
  }
  return parts.join('');
}

function describeAttempt(itemId: string, attempt: TimelineAttempt): string {
  const duration = attempt.stoppedAt === null ? 'still running' : formatDuration(attempt.stoppedAt - attempt.startedAt);
  const exit = attempt.exitCode === undefined || attempt.exitCode === null ? '' : ` · exit ${attempt.exitCode}`;
  return `${itemId} · attempt ${attempt.attempt} · ${attempt.outcome}${attempt.failureClass ? ` (${attempt.failureClass})` : ''}${exit} · ${duration} · started ${formatTime(new Date(attempt.startedAt).toISOString())}`;
}

const AGGREGATE_LANE_GAP = 6;
const AGGREGATE_LANE_HEIGHT = 15;

/** The aggregation job's lane below the items (`top` is its y), or nothing when it has no times. */
function aggregateLane(
  model: ReportModel,
  segments: readonly TimelineSegment[],
  labelWidth: number,
  top: number,
  now: number,
): string {
  const aggregate = model.aggregate;
  const bar = aggregate?.bar;
  if (!aggregate || !bar) return '';
  const segment = segmentOf(segments, bar.startedAt) as TimelineSegment;
  const x = labelWidth + xOf(segment, bar.startedAt);
  const end = Math.max(labelWidth + xOf(segment, bar.stoppedAt ?? now), x + 1.5);
  const duration = bar.stoppedAt === null ? 'still running' : formatDuration(bar.stoppedAt - bar.startedAt);
  const exit = aggregate.exitCode === undefined ? '' : ` · exit ${aggregate.exitCode}`;
  const title = `aggregation job ${aggregate.jobName} · ${bar.outcome}${exit} · ${duration} · started ${formatTime(new Date(bar.startedAt).toISOString())}`;
  // With item labels the lane is labelled like them; without, beside its bar.
  const label =
    labelWidth > 0
      ? `<text class="lane-label" x="4" y="${top + AGGREGATE_LANE_HEIGHT - 4}">aggregate</text>`
      : end < TIMELINE_WIDTH - 70
        ? `<text class="lane-label" x="${(end + 4).toFixed(1)}" y="${top + AGGREGATE_LANE_HEIGHT - 4}">aggregate</text>`
        : `<text class="lane-label" x="${(x - 4).toFixed(1)}" y="${top + AGGREGATE_LANE_HEIGHT - 4}" text-anchor="end">aggregate</text>`;
  return `<line x1="0" x2="${TIMELINE_WIDTH}" y1="${top - AGGREGATE_LANE_GAP / 2}" y2="${top - AGGREGATE_LANE_GAP / 2}" stroke="#e3e6ea"/>${label}<rect class="bar aggregate ${bar.outcome}" data-aggregate="${esc(aggregate.jobName)}" x="${x.toFixed(1)}" y="${top}" width="${(end - x).toFixed(1)}" height="${AGGREGATE_LANE_HEIGHT - 3}" fill="${COLORS[bar.outcome]}"><title>${esc(title)}</title></rect>`;
}

/** The height the aggregation job's lane adds to the timeline. */
function aggregateLaneHeight(model: ReportModel): number {
  return model.aggregate?.bar ? AGGREGATE_LANE_GAP + AGGREGATE_LANE_HEIGHT : 0;
}

function timelineBars(
  model: ReportModel,
  segments: readonly TimelineSegment[],
  labelWidth: number,
  now: number,
): string {
  const rowHeight = laneHeight(model.lanes.length);
  const barHeight = Math.max(2, rowHeight - (rowHeight >= 6 ? 3 : 1));
  const itemsBottom = AXIS_HEIGHT + model.lanes.length * rowHeight;
  const height = itemsBottom + aggregateLaneHeight(model) + 4;
  const parts: string[] = [];
  if (labelWidth > 0) {
    model.lanes.forEach((itemId, lane) => {
      parts.push(
        `<text class="lane-label" x="4" y="${(AXIS_HEIGHT + lane * rowHeight + barHeight - 1).toFixed(1)}">${esc(itemId)}</text>`,
      );
    });
  }
  let previous: { lane: number; end: number } | undefined;
  for (const attempt of model.attempts) {
    const segment = segmentOf(segments, attempt.startedAt) as TimelineSegment;
    const x = labelWidth + xOf(segment, attempt.startedAt);
    const end = labelWidth + xOf(segment, attempt.stoppedAt ?? now);
    const y = AXIS_HEIGHT + attempt.lane * rowHeight;
    if (previous && previous.lane === attempt.lane && x > previous.end) {
      const mid = (y + barHeight / 2).toFixed(1);
      parts.push(`<line class="link" x1="${previous.end.toFixed(1)}" x2="${x.toFixed(1)}" y1="${mid}" y2="${mid}"/>`);
    }
    const itemId = model.lanes[attempt.lane] ?? '';
    parts.push(
      `<rect class="bar ${attempt.outcome}" data-item="${esc(itemId)}" data-attempt="${attempt.attempt}" x="${x.toFixed(1)}" y="${y}" width="${Math.max(end - x, 1.5).toFixed(1)}" height="${barHeight}" fill="${COLORS[attempt.outcome]}"><title>${esc(describeAttempt(itemId, attempt))}</title></rect>`,
    );
    previous = { lane: attempt.lane, end: Math.max(end, x + 1.5) };
  }
  parts.push(aggregateLane(model, segments, labelWidth, itemsBottom + AGGREGATE_LANE_GAP, now));
  return `<svg class="timeline bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${TIMELINE_WIDTH} ${height}" width="${TIMELINE_WIDTH}" height="${height}" role="img" aria-label="one bar per job attempt">${axis(segments, labelWidth)}${parts.join('')}</svg>`;
}

const DENSITY_HEIGHT = 240;

function timelineDensity(model: ReportModel, segments: readonly TimelineSegment[], now: number): string {
  const columns = densityColumns(segments, model.attempts, 4, now);
  const tallest = columns.reduce(
    (max, column) =>
      Math.max(
        max,
        OUTCOMES.reduce((sum, outcome) => sum + column.counts[outcome], 0),
      ),
    1,
  );
  const scale = (DENSITY_HEIGHT - 8) / tallest;
  const parts: string[] = [];
  for (const column of columns) {
    let y = AXIS_HEIGHT + DENSITY_HEIGHT;
    for (const outcome of OUTCOMES) {
      const count = column.counts[outcome];
      if (count === 0) continue;
      const h = count * scale;
      y -= h;
      parts.push(
        `<rect class="column ${outcome}" x="${column.x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(column.width - 0.5, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[outcome]}"><title>${count} ${outcome}</title></rect>`,
      );
    }
  }
  parts.push(aggregateLane(model, segments, 0, AXIS_HEIGHT + DENSITY_HEIGHT + AGGREGATE_LANE_GAP, now));
  const height = AXIS_HEIGHT + DENSITY_HEIGHT + aggregateLaneHeight(model) + 4;
  const scaleLabel = `<text x="${TIMELINE_WIDTH - 4}" y="${AXIS_HEIGHT + 10}" text-anchor="end">peak ${formatCount(tallest)} attempts running</text>`;
  return `<svg class="timeline density" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${TIMELINE_WIDTH} ${height}" width="${TIMELINE_WIDTH}" height="${height}" role="img" aria-label="attempts running over time, by outcome">${axis(segments, 0)}${parts.join('')}${scaleLabel}</svg>`;
}
