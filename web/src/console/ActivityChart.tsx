import type { ActivitySample } from './admin.ts';
import { clock } from './format.ts';

const WIDTH = 900;
const HEIGHT = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** A round top for an axis: 0.7 → 1, 13 → 15, 240 → 250. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * step).find((m) => m >= value)!;
}

/**
 * Payments per second (a line) and sagas ended per interval, completed and
 * failed (stacked bars), over the last minutes. A small SVG drawn here rather
 * than a chart library: two series, one axis. Its summary is in the SVG's
 * title and description, and the latest figures are also written out below it.
 */
export function ActivityChart({ samples, intervalSeconds }: { samples: ActivitySample[]; intervalSeconds: number }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(samples.length, 1);
  const top = niceMax(Math.max(...samples.map((s) => Math.max(s.payments_per_second, s.completed + s.failed)), 0));
  const y = (value: number) => PAD.top + plotH - (value / top) * plotH;
  const line = samples.map((s, i) => `${i === 0 ? 'M' : 'L'}${(PAD.left + slot * (i + 0.5)).toFixed(1)},${y(s.payments_per_second).toFixed(1)}`).join(' ');
  const last = samples.at(-1);
  const minutes = Math.round((samples.length * intervalSeconds) / 60);
  const ended = samples.reduce((sum, s) => ({ completed: sum.completed + s.completed, failed: sum.failed + s.failed }), { completed: 0, failed: 0 });
  const summary = `Over the last ${minutes || 1} minute(s): ${ended.completed} sagas completed, ${ended.failed} failed; now ${last?.payments_per_second ?? 0} payments per second.`;

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby="activity-title activity-desc" data-testid="activity-chart">
        <title id="activity-title">Payments per second and saga outcomes</title>
        <desc id="activity-desc">{summary}</desc>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text className="chart-label" x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end">
              {Number((top * f).toFixed(2))}
            </text>
          </g>
        ))}
        {samples.map((s, i) => {
          const x = PAD.left + slot * i + slot * 0.15;
          const w = Math.max(1, slot * 0.7);
          return (
            <g key={s.at}>
              <rect className="chart-completed" x={x} width={w} y={y(s.completed)} height={plotH + PAD.top - y(s.completed)} />
              <rect className="chart-failed" x={x} width={w} y={y(s.completed + s.failed)} height={y(s.completed) - y(s.completed + s.failed)} />
            </g>
          );
        })}
        {samples.length > 1 && <path className="chart-line" d={line} />}
        {samples.length > 0 && (
          <>
            <text className="chart-label" x={PAD.left} y={HEIGHT - 8}>
              {clock(samples[0]!.at)}
            </text>
            <text className="chart-label" x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end">
              {clock(samples.at(-1)!.at)}
            </text>
          </>
        )}
      </svg>
      <figcaption>
        <span className="legend legend-line">payments / s</span> <span className="legend legend-completed">sagas completed</span>{' '}
        <span className="legend legend-failed">sagas failed</span> (per {intervalSeconds} s) · <span data-testid="activity-summary">{summary}</span>
      </figcaption>
    </figure>
  );
}
