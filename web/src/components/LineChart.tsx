import { useEffect, useRef, useState } from 'preact/hooks';

/** A small live line chart (SVG, no library): one or more series over the same time axis. */

export interface Series {
  name: string;
  colour: string;
  values: Array<number | null>;
}

interface Props {
  title: string;
  series: Series[];
  /** Formats a y value for the axis and the latest-value readout. */
  format(value: number): string;
  /** Seconds the x axis spans (one value per second, newest last). */
  span: number;
}

const H = 140;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

/** A rounded-up axis maximum (1, 2, 5 × 10^n) so ticks read well. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((m) => m >= value) ?? 10 * power;
}

export function LineChart({ title, series, format, span }: Props) {
  // The viewBox follows the drawn width, so text and strokes keep their size at any width.
  const svg = useRef<SVGSVGElement>(null);
  const [W, setW] = useState(600);
  useEffect(() => {
    const element = svg.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setW(Math.max(200, Math.round(element.getBoundingClientRect().width))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = niceMax(Math.max(0, ...all));
  const x = (i: number, n: number) => PAD.left + ((W - PAD.left - PAD.right) * (span - (n - 1 - i))) / span;
  const y = (v: number) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * v) / max;
  const path = (values: Array<number | null>) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null) return void (pen = false);
      d += `${pen ? 'L' : 'M'}${x(i, values.length).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const latest = series.map((s) => ({ ...s, last: [...s.values].reverse().find((v) => v !== null) }));
  const summary = latest.map((s) => `${s.name} ${s.last === undefined || s.last === null ? 'no data' : format(s.last)}`).join(', ');
  return (
    <figure class="panel chart">
      <h2>{title}</h2>
      <svg ref={svg} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}, last ${span} s: ${summary}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} vector-effect="non-scaling-stroke" />
            <text class="tick" x={PAD.left - 4} y={y(max * f) + 3} text-anchor="end">{format(max * f)}</text>
          </g>
        ))}
        <text class="tick" x={PAD.left} y={H - 4}>−{span} s</text>
        <text class="tick" x={W - PAD.right} y={H - 4} text-anchor="end">now</text>
        {series.map((s) => (
          <g key={s.name}>
            <path d={path(s.values)} fill="none" stroke={s.colour} stroke-width={2} stroke-linejoin="round" />
            {/* A value with no neighbour draws no line: show it as a dot. */}
            {s.values.map((v, i) => v !== null && s.values[i - 1] == null && s.values[i + 1] == null
              ? <circle key={i} cx={x(i, s.values.length)} cy={y(v)} r={2.5} fill={s.colour} />
              : null)}
          </g>
        ))}
      </svg>
      <figcaption class="chart-legend">
        {latest.map((s) => (
          <span key={s.name}><span class="swatch" style={{ background: s.colour }} aria-hidden="true" />{s.name}: {s.last === undefined || s.last === null ? '–' : format(s.last)}</span>
        ))}
      </figcaption>
    </figure>
  );
}
