import type { Timings as TimingsData } from '../api';
import { ms } from '../format';

const ORDER = ['queue_ms', 'decode_ms', 'preprocess_ms', 'inference_ms', 'postprocess_ms', 'scene_ms', 'search_ms'];
const name = (key: string) => key.replace(/_ms$/, '');

/** Time per stage as a stacked bar with the figures beside it; `total_ms` also covers what no stage names (the API's own work). */
export function Timings({ timings }: { timings?: TimingsData }) {
  if (!timings) return null;
  const stages = Object.entries(timings)
    .filter((entry): entry is [string, number] => entry[0] !== 'total_ms' && entry[0].endsWith('_ms') && typeof entry[1] === 'number')
    .sort((a, b) => (ORDER.indexOf(a[0]) + 1 || 99) - (ORDER.indexOf(b[0]) + 1 || 99));
  const total = timings.total_ms ?? stages.reduce((sum, [, v]) => sum + v, 0);
  const scale = Math.max(total, stages.reduce((sum, [, v]) => sum + v, 0)) || 1;
  return (
    <section class="timings" aria-label="Timings per stage">
      <h3>Timings <span class="muted">total {ms(total)}</span></h3>
      <div class="timing-bar" aria-hidden="true">
        {stages.map(([key, value]) => <span key={key} class={`stage stage-${name(key)}`} style={{ width: `${(value / scale) * 100}%` }} title={`${name(key)} ${ms(value)}`} />)}
      </div>
      <dl class="timing-list">
        {stages.map(([key, value]) => (
          <div key={key}>
            <dt><span class={`swatch stage-${name(key)}`} aria-hidden="true" />{name(key)}</dt>
            <dd>{ms(value)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
