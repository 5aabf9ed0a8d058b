import { useState } from 'react';
import { millis } from './format.ts';
import type { SpanNode, TraceView } from './traces.ts';

const ROW = 22;
const LABEL = 330;
const WIDTH = 1000;

/** Each service its own colour class (a CSS lane), the same on every trace. */
function lane(service: string, services: string[]): string {
  return `lane-${services.indexOf(service) % 8}`;
}

function flatten(nodes: SpanNode[], depth = 0, out: Array<{ span: SpanNode; depth: number }> = []) {
  for (const span of nodes) {
    out.push({ span, depth });
    flatten(span.children, depth + 1, out);
  }
  return out;
}

/**
 * A trace as a waterfall: one row per span in causal order (children under
 * their parent), its bar placed by start and length in the trace's time.
 * SVG, so no style attributes are needed (the page's CSP refuses them).
 * A row is a button: its attributes and events open below.
 */
export function Waterfall({ trace }: { trace: TraceView }) {
  const rows = flatten(trace.spans);
  const [open, setOpen] = useState<string>();
  const total = Math.max(trace.duration_ms, 0.001);
  const plot = WIDTH - LABEL - 90;
  const chosen = rows.find((r) => r.span.span_id === open)?.span;

  return (
    <>
      <svg className="waterfall" viewBox={`0 0 ${WIDTH} ${rows.length * ROW + 24}`} role="img" aria-label={`Trace ${trace.trace_id}: ${rows.length} spans across ${trace.services.join(', ')}, ${millis(trace.duration_ms)}`} data-testid="waterfall">
        <defs>
          <clipPath id="span-labels">
            <rect x={0} y={0} width={LABEL - 10} height={rows.length * ROW} />
          </clipPath>
        </defs>
        {[0, 0.25, 0.5, 0.75, 1].map((f) => (
          <g key={f}>
            <line className="chart-grid" x1={LABEL + plot * f} x2={LABEL + plot * f} y1={0} y2={rows.length * ROW} />
            <text className="chart-label" x={LABEL + plot * f} y={rows.length * ROW + 16} textAnchor="middle">
              {millis(total * f)}
            </text>
          </g>
        ))}
        {rows.map(({ span, depth }, i) => {
          const x = LABEL + (span.start_ms / total) * plot;
          const w = Math.max(1.5, (span.duration_ms / total) * plot);
          const y = i * ROW;
          return (
            <g key={span.span_id} className={`span-row${span.status === 'error' ? ' span-error' : ''}${open === span.span_id ? ' span-open' : ''}`} data-testid="span" onClick={() => setOpen(open === span.span_id ? undefined : span.span_id)}>
              <title>{`${span.service}: ${span.name} (${span.kind}) ${millis(span.duration_ms)} from ${millis(span.start_ms)}`}</title>
              <rect className="span-hit" x={0} y={y} width={WIDTH} height={ROW} />
              <text className="span-label" x={6 + Math.min(depth, 12) * 8} y={y + 15} clipPath="url(#span-labels)">
                <tspan className="span-service">{span.service}</tspan> {span.name}
              </text>
              <rect className={`span-bar ${lane(span.service, trace.services)}`} x={x} y={y + 4} width={w} height={ROW - 8} rx={2} />
              <text className="chart-label" x={Math.min(x + w + 4, WIDTH - 4)} y={y + 15} textAnchor={x + w + 60 > WIDTH ? 'end' : 'start'}>
                {millis(span.duration_ms)}
              </text>
            </g>
          );
        })}
      </svg>
      <details className="span-details">
        <summary>Spans as a list (keyboard: open one for its attributes)</summary>
        <ul className="plain-list span-list" aria-label="Spans">
          {rows.map(({ span, depth }) => (
            <li key={span.span_id} className={`span-item depth-${Math.min(depth, 8)}`}>
              <button type="button" className="button-link" aria-expanded={open === span.span_id} onClick={() => setOpen(open === span.span_id ? undefined : span.span_id)}>
                {span.service}: {span.name}
              </button>{' '}
              <span className="hint">
                {millis(span.duration_ms)} at {millis(span.start_ms)}
                {span.status === 'error' && ` · error${span.status_message ? `: ${span.status_message}` : ''}`}
              </span>
            </li>
          ))}
        </ul>
      </details>
      {chosen && (
        <section className="card" aria-label="Span details">
          <h2>
            {chosen.service}: {chosen.name}
          </h2>
          <p className="hint">
            {chosen.kind} · {millis(chosen.duration_ms)} · starts {millis(chosen.start_ms)} into the trace{chosen.version ? ` · version ${chosen.version}` : ''}
          </p>
          <pre className="body">{JSON.stringify({ attributes: chosen.attributes, events: chosen.events, links: chosen.links }, null, 2)}</pre>
        </section>
      )}
    </>
  );
}
